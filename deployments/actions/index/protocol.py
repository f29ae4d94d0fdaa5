"""The index request (``POST /v1/documents`` body, as the deployment receives it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deployments.common.errors import MalformedInput


class IndexRequest(BaseModel):
    """``{"url": ...}`` to crawl, or ``{"data": bytes|base64, "mime", "filename"}`` to parse.

    Crawl options may tighten the configured limits (``max_depth``, ``max_pages``,
    ``same_site``), never loosen them.
    """

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(
        "anonymous",
        min_length=1,
        max_length=128,
        description="The API key the documents belong to.",
    )
    url: str | None = Field(None, min_length=1, max_length=8192)
    data: bytes | str | None = None
    mime: str | None = Field(None, max_length=255)
    filename: str | None = Field(None, max_length=1024)
    source: str | None = Field(None, min_length=1, max_length=4096)
    title: str | None = Field(None, max_length=1024)
    max_depth: int | None = Field(None, ge=0)
    max_pages: int | None = Field(None, ge=1)
    same_site: bool | None = None
    ttl_s: int | None = Field(None, ge=0)
    replace: bool = Field(True, description="Replace older documents from the same source.")
    stream: bool = False

    @model_validator(mode="after")
    def _one_input(self) -> IndexRequest:
        if (self.url is None) == (self.data is None):
            raise ValueError("give exactly one of url (to crawl) or data (a file)")
        return self


def parse_request(payload: Any) -> IndexRequest:
    """Validate; errors become :class:`MalformedInput` naming the field."""
    if isinstance(payload, IndexRequest):
        return payload
    if not isinstance(payload, dict):
        raise MalformedInput("index request must be an object", code="invalid_index_request")
    try:
        return IndexRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = first.get("msg", "invalid")
        raise MalformedInput(
            f"{where + ': ' if where else ''}{message}", code="invalid_index_request"
        ) from None
