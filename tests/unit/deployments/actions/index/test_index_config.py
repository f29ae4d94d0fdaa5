"""IndexSettings, the builder, and PDFs through an OCR deployment handle."""

from __future__ import annotations

import pytest
from index_site import make_pdf
from pydantic import ValidationError

from deployments.actions.index.config import IndexSettings
from deployments.actions.index.parsers import OcrTextLayerParser, PdfiumParser
from deployments.embed.handles import LocalHandle


def test_every_field_is_described_and_limits_are_checked() -> None:
    for model in (IndexSettings, IndexSettings.model_fields["crawl"].annotation):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
    with pytest.raises(ValidationError, match="chunk_overlap"):
        IndexSettings(chunk_tokens=32, chunk_overlap=32)
    with pytest.raises(ValidationError):
        IndexSettings(chunk_tokens=300)  # beyond MiniLM's 256-piece window
    with pytest.raises(ValidationError, match="allow_cidrs"):
        IndexSettings(allow_cidrs=["not-a-net"])
    with pytest.raises(ValidationError):
        IndexSettings(crawl={"max_pages": 0})


def test_guard_policy_allows_only_what_is_listed() -> None:
    policy = IndexSettings(allow_cidrs=["127.0.0.1/32"]).guard_policy()
    import ipaddress

    assert policy.address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert not policy.address_allowed(ipaddress.ip_address("10.0.0.1"))


def test_builder_binds_handles_and_options() -> None:
    from deployments.actions.index.builder import build_index_deployment

    settings = IndexSettings(max_ongoing_requests=4)
    app = build_index_deployment(settings, "embed-app", "retrieve-app", None)
    deployment = app._bound_deployment
    assert deployment.name == "index" and deployment.max_ongoing_requests == 4
    assert deployment.init_args[1:] == ("embed-app", "retrieve-app", None)
    assert IndexSettings.model_validate(deployment.init_args[0]) == settings


class FakeOcr:
    """The OCR deployment's result shape (pages with number/text), text layer from pypdfium2."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    async def process(self, request: dict) -> dict:
        self.requests.append(request)
        pages = PdfiumParser().parse_sync(request["data"], request["filename"])
        return {
            "pages": [
                {"number": p.number, "text": p.text, "source": "text_layer", "blocks": []}
                for p in pages
            ],
            "page_count": len(pages),
        }


async def test_pdfs_go_through_the_ocr_text_layer_path() -> None:
    ocr = FakeOcr()
    parser = OcrTextLayerParser(LocalHandle(ocr))
    pages = await parser.parse(make_pdf(["one", "two"]), "doc.pdf")
    assert [(p.number, p.text) for p in pages] == [(1, "one"), (2, "two")]
    assert ocr.requests[0]["mode"] == "text_layer"
    assert ocr.requests[0]["mime"] == "application/pdf"


async def test_builders_compose_through_real_handles(tmp_path) -> None:
    """embed → retrieve → index as a Serve app in local testing mode (no Ray processes)."""
    from ray import serve

    from deployments.actions.index.builder import build_index_deployment
    from deployments.actions.retrieve.builder import build_retrieve_deployment
    from deployments.actions.retrieve.config import RetrieveSettings
    from deployments.embed.builder import build_embed_deployment
    from deployments.embed.config import EmbedSettings

    embed = build_embed_deployment(EmbedSettings())
    retrieve = build_retrieve_deployment(RetrieveSettings(), tmp_path, embed)
    handle = serve.run(
        build_index_deployment(IndexSettings(), embed, retrieve),
        name="ifz-index-local",
        route_prefix=None,
        _local_testing_mode=True,
    )
    request = {"data": b"Barn owls hunt mice at night by sound.", "filename": "owls.txt"}
    events = [e["event"] async for e in handle.options(stream=True).index_stream.remote(request)]
    assert events == ["start", "chunked", "embedded", "stored", "done"]
    again = await handle.index.remote(request)
    assert again["duplicates"] == 1
    from deployments.common.netguard import ForbiddenDestination

    with pytest.raises(ForbiddenDestination):
        await handle.index.remote({"url": "http://10.0.0.1/"})
