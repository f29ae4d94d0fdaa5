"""RetrieveDeployment with the real embedder and a Milvus Lite file (no Ray)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deployments.actions.retrieve.deployment import RetrieveDeployment
from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.embed.deployment import EmbedDeployment
from deployments.embed.handles import LocalHandle

PARIS = "Paris is the capital of France and sits on the river Seine."
PYTHON = "Python's open() function returns a file object for reading or writing files."
BREAD = "Knead the dough for ten minutes, then let the bread rise for an hour."


@pytest.fixture(scope="module")
def retrieve(tmp_path_factory) -> Iterator[RetrieveDeployment]:
    embed = EmbedDeployment({})
    deployment = RetrieveDeployment(
        {"uri": "r.db", "max_top_k": 10, "max_chunks_per_document": 3, "max_query_chars": 100},
        LocalHandle(embed),
        data_dir=str(tmp_path_factory.mktemp("retrieve")),
    )
    yield deployment
    deployment.store.close()


async def test_upsert_embeds_and_search_ranks_by_meaning(retrieve: RetrieveDeployment) -> None:
    for source, text, page in (("geo.pdf", PARIS, 3), ("py.html", PYTHON, 0), ("b.txt", BREAD, 0)):
        result = await retrieve.upsert(
            {
                "source": source,
                "chunks": [{"text": text, "page": page, "start": 0, "end": len(text)}],
            }
        )
        assert result["status"] == "stored" and result["chunks"] == 1
    found = await retrieve.search({"query": "Which city is France's capital?", "top_k": 2})
    top = found["hits"][0]
    assert top["source"] == "geo.pdf" and top["page"] == 3 and top["text"] == PARIS
    assert set(top) >= {"text", "score", "source", "page", "start", "end", "chunk_id", "doc_id"}
    assert {"embed", "search", "total"} <= set(found["timings_ms"])
    filtered = await retrieve.search(
        {"query": "Which city is France's capital?", "filters": {"source": ["py.html", "b.txt"]}}
    )
    assert {h["source"] for h in filtered["hits"]} == {"py.html", "b.txt"}


async def test_duplicate_content_is_reported_not_stored(retrieve: RetrieveDeployment) -> None:
    result = await retrieve.upsert({"source": "mirror.txt", "chunks": [{"text": BREAD}]})
    assert result["status"] == "duplicate" and result["source"] == "b.txt"
    assert (await retrieve.lookup({"content_hash": result["content_hash"]}))["duplicate"]
    stats = await retrieve.stats()
    assert stats["documents"] == 3 and stats["chunks"] == 3


async def test_delete_by_source_prefix(retrieve: RetrieveDeployment) -> None:
    await retrieve.upsert({"source": "http://s/x_1", "chunks": [{"text": "alpha beta"}]})
    await retrieve.upsert({"source": "http://s/xy1", "chunks": [{"text": "gamma delta"}]})
    assert (await retrieve.delete({"source_prefix": "http://s/x_"}))["deleted"] == 1
    docs = (await retrieve.documents({"source_prefix": "http://s/"}))["documents"]
    assert [d["source"] for d in docs] == ["http://s/xy1"]


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        ({"query": ""}, MalformedInput, "non-empty query"),
        ({"query": "x", "top_k": 11}, MalformedInput, "max_top_k=10"),
        ({"query": "x" * 101}, InputTooLarge, "max_query_chars=100"),
        ({"query": "x", "filters": {"colour": "red"}}, MalformedInput, "unknown filter"),
        ({"query": "x", "extra": 1}, MalformedInput, "extra"),
        ({"vector": [0.1, 0.2]}, MalformedInput, "384"),
    ],
)
async def test_bad_searches(retrieve: RetrieveDeployment, request_, error, match) -> None:
    with pytest.raises(error, match=match):
        await retrieve.search(request_)


async def test_bad_documents(retrieve: RetrieveDeployment) -> None:
    with pytest.raises(InputTooLarge, match="max_chunks_per_document=3"):
        await retrieve.upsert({"source": "big", "chunks": [{"text": f"t{i}"} for i in range(4)]})
    with pytest.raises(MalformedInput, match="chunks"):
        await retrieve.upsert({"source": "empty", "chunks": []})
    with pytest.raises(MalformedInput, match="exactly one"):
        await retrieve.delete({})
