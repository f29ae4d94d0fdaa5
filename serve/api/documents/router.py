"""Thin HTTP layer of /v1/documents: crawl a URL or parse a file into the vector store."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments.common.errors import Overloaded
from serve.api.protocol import ERROR_RESPONSES
from serve.gateway.integration import gateway_context

router = APIRouter()


class DocumentRequest(BaseModel):
    """A URL to crawl, or a file (data: URL) to parse, chunk, embed and store."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, description="Page or site to crawl.")
    file_data: str | None = Field(None, description="The file as a data: URL (PDF/HTML/text).")
    filename: str | None = Field(None, description="Its file name (provenance).")
    title: str | None = None
    source: str | None = Field(None, description="Provenance name (default: URL or filename).")
    max_depth: int | None = Field(None, ge=0, description="Crawl depth (≤ the configured one).")
    max_pages: int | None = Field(None, ge=1, description="Pages to crawl (≤ the configured).")
    same_site: bool | None = None
    ttl_s: int | None = Field(None, ge=0, description="Seconds the document stays fresh.")
    replace: bool = Field(True, description="Replace older documents from the same source.")
    stream: bool = Field(False, description="Stream NDJSON progress events.")

    @model_validator(mode="after")
    def _one_input(self) -> DocumentRequest:
        if (self.url is None) == (self.file_data is None):
            raise ValueError("give exactly one of url or file_data")
        return self


@router.post("/v1/documents", responses=ERROR_RESPONSES)
async def create_document(body: DocumentRequest, request: Request, ctx=Depends(gateway_context)):
    serving = request.app.state.documents
    if serving is None:
        raise Overloaded("document indexing is not enabled here", code="index_unavailable")
    result = await serving.create(body, request, ctx)
    if body.stream:
        return StreamingResponse(result, media_type="application/x-ndjson")
    return result
