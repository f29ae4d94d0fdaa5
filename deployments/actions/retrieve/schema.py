"""Collection schemas: chunks (vectors + provenance) and the document registry."""

from __future__ import annotations

from typing import Any

MAX_TEXT_BYTES = 65_535
MAX_SOURCE = 4096
MAX_TITLE = 1024
ID_LENGTH = 64
REGISTRY_DIM = 2  # Milvus needs a vector field in every collection; the registry's is a stub
MAX_OWNER = 128
# Whose a document is: the API key that indexed it. Documents stored before owners existed
# belong to the key of the local profile without auth.
LEGACY_OWNER = "anonymous"


def chunk_schema(client: Any, dimension: int) -> Any:
    """One row per chunk: the text, its vector and where it came from."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH + 8)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    schema.add_field("owner", DataType.VARCHAR, max_length=MAX_OWNER)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
    schema.add_field("source", DataType.VARCHAR, max_length=MAX_SOURCE)
    schema.add_field("title", DataType.VARCHAR, max_length=MAX_TITLE)
    schema.add_field("mime", DataType.VARCHAR, max_length=128)
    schema.add_field("page", DataType.INT64)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("chunk_index", DataType.INT64)
    schema.add_field("fetched_at", DataType.INT64)
    schema.add_field("expires_at", DataType.INT64)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=ID_LENGTH + 16)
    return schema


def registry_schema(client: Any) -> Any:
    """One row per document: its state (pending → committed → deleting) and provenance."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
    schema.add_field("status", DataType.VARCHAR, max_length=16)
    schema.add_field("owner", DataType.VARCHAR, max_length=MAX_OWNER)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=ID_LENGTH + 16)
    schema.add_field("source", DataType.VARCHAR, max_length=MAX_SOURCE)
    schema.add_field("title", DataType.VARCHAR, max_length=MAX_TITLE)
    schema.add_field("mime", DataType.VARCHAR, max_length=128)
    schema.add_field("n_chunks", DataType.INT64)
    schema.add_field("n_pages", DataType.INT64)
    schema.add_field("fetched_at", DataType.INT64)
    schema.add_field("expires_at", DataType.INT64)
    schema.add_field("updated_at", DataType.INT64)
    schema.add_field("stub", DataType.FLOAT_VECTOR, dim=REGISTRY_DIM)
    return schema


CHUNK_OUTPUT_FIELDS = [
    "chunk_id",
    "doc_id",
    "owner",
    "text",
    "source",
    "title",
    "mime",
    "page",
    "start",
    "end",
    "chunk_index",
    "fetched_at",
    "expires_at",
    "content_hash",
]
REGISTRY_FIELDS = [
    "doc_id",
    "status",
    "owner",
    "content_hash",
    "source",
    "title",
    "mime",
    "n_chunks",
    "n_pages",
    "fetched_at",
    "expires_at",
    "updated_at",
]


def clip_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")
