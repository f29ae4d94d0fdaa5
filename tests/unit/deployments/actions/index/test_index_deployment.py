"""IndexDeployment end to end without Ray: real site on 127.0.0.1, real MiniLM, Milvus Lite.

Index A, then fail on B in every way the issue lists; A stays searchable and nothing partial
is ever visible.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from index_site import Site, make_pdf

from deployments.actions.index.config import IndexSettings
from deployments.actions.index.deployment import IndexDeployment
from deployments.actions.index.parsers import PdfiumParser
from deployments.actions.retrieve.deployment import RetrieveDeployment
from deployments.actions.retrieve.store import StoreError
from deployments.common.errors import ServeError
from deployments.embed.deployment import EmbedDeployment
from deployments.embed.handles import LocalHandle

DOC_A = (
    b"The Aurora Borealis appears when charged particles from the sun strike the upper "
    b"atmosphere near the magnetic poles, painting the night sky green and violet."
)


@dataclass
class Stack:
    index: IndexDeployment
    retrieve: RetrieveDeployment


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    embed = EmbedDeployment({})
    retrieve = RetrieveDeployment(
        {"uri": str(tmp_path_factory.mktemp("idx") / "index.db"), "insert_batch_rows": 1},
        LocalHandle(embed),
    )
    settings = IndexSettings(
        chunk_tokens=48,
        chunk_overlap=8,
        allow_cidrs=["127.0.0.1/32"],
        max_page_bytes=256 * 1024,
        max_file_bytes=64 * 1024,
        timeout_s=5,
        crawl={"politeness_delay_s": 0, "max_depth": 1, "max_pages": 10},
    )
    index = IndexDeployment(
        settings, LocalHandle(embed), LocalHandle(retrieve), pdf_parser=PdfiumParser()
    )
    yield Stack(index, retrieve)
    retrieve.store.close()


async def search(stack: Stack, query: str, **filters) -> list[dict]:
    return (await stack.retrieve.search({"query": query, "top_k": 3, "filters": filters}))["hits"]


async def test_a_file_is_indexed_and_searchable(stack: Stack) -> None:
    events = [
        e
        async for e in stack.index.index_stream(
            {"data": DOC_A, "mime": "text/plain", "filename": "aurora.txt"}
        )
    ]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and "stored" in kinds
    assert events[-1]["ok"] and events[-1]["documents"] == 1
    hits = await search(stack, "why is the night sky green near the poles?")
    assert hits[0]["source"] == "aurora.txt" and "Aurora" in hits[0]["text"]


@pytest.mark.parametrize(
    ("request_", "status", "code", "names"),
    [
        ({"url": "http://127.0.0.1:9/"}, 502, "unreachable_url", "cannot connect"),
        ({"url": "PATH/to-private"}, 403, "forbidden_address", "10.1.2.3"),
        ({"url": "PATH/to-metadata"}, 403, "metadata_endpoint", "169.254.169.254"),
        ({"url": "PATH/loop1"}, 422, "too_many_redirects", "redirect loop"),
        ({"url": "PATH/huge"}, 413, "page_too_large", "max_page_bytes=262144"),
        ({"url": "PATH/stream-big"}, 413, "page_too_large", "max_page_bytes=262144"),
        ({"url": "PATH/missing"}, 502, "http_error", "HTTP 404"),
        ({"url": "PATH/image.png"}, 415, "unsupported_document_type", "image/png"),
        ({"url": "PATH/private/secret"}, 422, "robots_disallowed", "robots.txt"),
        ({"url": "file:///etc/passwd"}, 403, "forbidden_scheme", "scheme"),
        ({"data": "@@not base64@@", "filename": "x"}, 400, "invalid_base64", "base64"),
        ({"data": b"x" * 70000, "filename": "big.txt"}, 413, "file_too_large", "max_file_bytes"),
        ({"data": b"%PDF-1.4 broken", "filename": "b.pdf"}, 400, "invalid_pdf", "readable"),
        ({"data": make_pdf(["", ""]), "filename": "scan.pdf"}, 422, "empty_document", "OCR"),
        ({"url": "http://x", "data": b"y"}, 400, "invalid_index_request", "exactly one"),
    ],
)
async def test_bad_input_fails_clearly_and_keeps_a(
    stack: Stack, site: Site, request_, status, code, names
) -> None:
    if str(request_.get("url", "")).startswith("PATH"):
        request_ = {"url": site.url(request_["url"][4:])}
    with pytest.raises(ServeError) as info:
        await stack.index.index(request_)
    assert (info.value.status, info.value.code) == (status, code), info.value.message
    assert names in info.value.message
    events = [e async for e in stack.index.index_stream(request_)]  # never raises
    assert events[-2]["event"] == "error" and events[-2]["code"] == code
    assert events[-1] == events[-1] | {"event": "done", "ok": False}
    assert (await search(stack, "night sky near the magnetic poles"))[0]["source"] == "aurora.txt"


async def test_duplicates_and_non_utf8_pages(stack: Stack, site: Site) -> None:
    again = await stack.index.index({"data": base64.b64encode(DOC_A).decode(), "filename": "c.txt"})
    assert again["duplicates"] == 1 and again["documents"] == []
    latin = await stack.index.index({"url": site.url("/latin1")})
    assert latin["documents"][0]["source"] == site.url("/latin1")
    hit = (await search(stack, "prix du café à la gare", source=site.url("/latin1")))[0]
    assert "café crème coûte" in hit["text"]
    # the same URL fetched again unchanged: a duplicate whose TTL restarts
    events = [e async for e in stack.index.index_stream({"url": site.url("/latin1")})]
    duplicate = next(e for e in events if e["event"] == "duplicate")
    assert duplicate["refreshed"] and duplicate["doc_id"] == hit["doc_id"]


async def test_crawl_streams_progress_within_limits(stack: Stack, site: Site) -> None:
    events = [e async for e in stack.index.index_stream({"url": site.url("/")})]
    pages = [e["url"] for e in events if e["event"] == "page"]
    assert pages == [site.url("/"), site.url("/a")]  # depth 1; /private by robots; no pic/offsite
    skipped = {e["code"] for e in events if e["event"] == "skipped"}
    assert skipped == {"robots_disallowed"}
    assert events[-1]["documents"] == 2 and events[-1]["ok"]
    hits = await search(stack, "what do giraffes eat?")
    assert hits[0]["source"] == site.url("/a")
    # the same page under another URL is a duplicate, reported per page
    mirror = await stack.index.index({"url": site.url("/mirror"), "max_depth": 0})
    assert mirror["duplicates"] == 1


async def test_pdf_file_keeps_page_numbers(stack: Stack) -> None:
    pdf = make_pdf(["Volcanoes form where tectonic plates meet.", "Basalt cools into columns."])
    result = await stack.index.index({"data": pdf, "mime": "application/pdf", "filename": "v.pdf"})
    assert result["documents"][0]["chunks"] == 2
    hits = await search(stack, "how does basalt cool?", source="v.pdf")
    assert (hits[0]["page"], hits[0]["text"]) == (2, "Basalt cools into columns.")


async def test_store_failure_mid_insert_leaves_no_partial_document(
    stack: Stack, monkeypatch
) -> None:
    store = stack.retrieve.store
    real, calls = store._insert_rows, {"n": 0}

    def failing(rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise StoreError("simulated crash during insert")
        real(rows)

    monkeypatch.setattr(store, "_insert_rows", failing)
    text = " ".join(f"Comet number {i} has a bright tail of ice and dust." for i in range(60))
    with pytest.raises(ServeError) as info:
        await stack.index.index({"data": text.encode(), "filename": "comets.txt"})
    monkeypatch.undo()
    assert info.value.status == 503 and "earlier documents are intact" in info.value.message
    assert store.count(expr='source == "comets.txt"') == 0
    assert not await search(stack, "comet tail", source="comets.txt")
    stats = await stack.retrieve.stats()
    assert stats["unfinished_documents"] == 0
    assert (await search(stack, "night sky near the magnetic poles"))[0]["source"] == "aurora.txt"
