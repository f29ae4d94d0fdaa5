"""Request shapes of the retrieve deployment, validated into clear 400/413 errors."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deployments.actions.retrieve.schema import LEGACY_OWNER, MAX_OWNER
from deployments.common.errors import MalformedInput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChunkPayload(_Strict):
    """One chunk of a document: text, optional vector, and its place in the document."""

    text: str = Field(min_length=1)
    vector: list[float] | None = None
    page: int = Field(0, ge=0)
    start: int = Field(0, ge=0)
    end: int = Field(0, ge=0)


class DocumentPayload(_Strict):
    """What ``upsert`` takes: provenance plus chunks (vectors are computed when absent)."""

    owner: str = Field(LEGACY_OWNER, min_length=1, max_length=MAX_OWNER, description="API key id.")
    source: str = Field(min_length=1, max_length=4096)
    chunks: list[ChunkPayload] = Field(min_length=1)
    title: str = ""
    mime: str = ""
    fetched_at: int | str | None = None
    content_hash: str | None = Field(None, pattern=r"^[A-Za-z0-9:_-]{1,80}$")
    ttl_s: int | None = Field(None, ge=0)
    n_pages: int = Field(1, ge=0)
    replace_source: bool = True

    def hash(self) -> str:
        """The given content hash, or sha256 over the chunk texts."""
        if self.content_hash:
            return self.content_hash
        digest = hashlib.sha256()
        for chunk in self.chunks:
            digest.update(chunk.text.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return "sha256:" + digest.hexdigest()


class SearchPayload(_Strict):
    """What ``search`` takes: a query text (or a vector), top_k and metadata filters.

    Searches see one owner's documents: ``filters.owner`` (the legacy owner when absent).
    """

    query: str | None = None
    vector: list[float] | None = None
    top_k: int | None = Field(None, ge=1)
    filters: dict[str, Any] | None = None


class SearchHit(BaseModel):
    """One retrieved chunk with its provenance (best first in :class:`SearchResult`)."""

    text: str
    score: float = Field(description="Similarity (cosine / inner product; -L2 distance).")
    source: str = ""
    title: str = ""
    mime: str = ""
    page: int = 0
    start: int = 0
    end: int = 0
    chunk_id: Any = None
    chunk_index: int = 0
    doc_id: str = ""
    content_hash: str = ""
    fetched_at: str | None = None


class SearchResult(BaseModel):
    """What ``search`` returns."""

    hits: list[SearchHit] = Field(default_factory=list)
    top_k: int = 0
    timings_ms: dict[str, float] = Field(default_factory=dict)


class DeletePayload(_Strict):
    """What ``delete`` takes: one selector."""

    doc_id: str | list[str] | None = None
    source: str | None = None
    source_prefix: str | None = None
    content_hash: str | None = None


def parse(model: type[BaseModel], payload: Any, what: str) -> Any:
    """Validate ``payload``; errors become :class:`MalformedInput` naming the field."""
    if not isinstance(payload, dict):
        raise MalformedInput(f"{what} must be an object", code=f"invalid_{what}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or what
        raise MalformedInput(
            f"{what}.{where}: {first.get('msg')}", code=f"invalid_{what}"
        ) from None
