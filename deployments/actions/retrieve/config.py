"""Settings of the retrieve deployment (the one owner of the vector store)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from deployments.common.settings import DeploymentSettings

SERVER_SCHEMES = ("http://", "https://", "tcp://", "grpc://", "unix:")
LITE_INDEX_TYPES = ("FLAT", "IVF_FLAT")
LITE_FILE_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,33}\.db$")


def is_server_uri(uri: str) -> bool:
    """True for a Milvus server address; False for a Milvus Lite ``.db`` file path."""
    return uri.startswith(SERVER_SCHEMES)


class RetrieveSettings(DeploymentSettings):
    """The ``retrieve`` deployment: where the store lives, its index and search defaults."""

    enabled: bool = Field(True, description="Deploy retrieval (False: retrieve stages skip).")
    num_cpus: float = Field(0.5, ge=0, description="Logical CPUs reserved per replica.")
    uri: str = Field(
        "index.db",
        min_length=1,
        description=(
            "Milvus Lite file (a path; relative paths resolve against data_dir) or a Milvus "
            "server address (http://host:19530). A Lite file admits one process, so with a "
            "file this deployment must run exactly one replica."
        ),
    )
    token_env: str = Field(
        "MILVUS_TOKEN",
        description="Environment variable holding the server token (user:password); unset: none.",
    )
    collection: str = Field(
        "ifz_chunks",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
        description="Collection of chunks; `<collection>_docs` holds the document registry.",
    )
    dimension: int = Field(384, ge=2, description="Vector size; must match the embed model.")
    metric: Literal["COSINE", "IP", "L2"] = Field(
        "COSINE", description="Similarity metric (COSINE/IP: higher is closer; L2: lower)."
    )
    index_type: Literal["FLAT", "IVF_FLAT", "HNSW"] = Field(
        "FLAT",
        description=(
            "Vector index. FLAT is exact (recall 1.0; ~24 ms per top-5 search at 100k chunks "
            "on 2 cores). Milvus Lite 2.5 keeps every segment 'growing': its IVF_FLAT is a "
            "small interim index with built-in nlist/nprobe (ours are ignored; recall@5 0.85 "
            "at 100k chunks), and it has no HNSW. On a Milvus server IVF_FLAT and HNSW are "
            "built with the parameters below."
        ),
    )
    nlist: int = Field(
        1024,
        ge=1,
        le=65536,
        description="IVF_FLAT on a server: clusters built (about 4*sqrt(rows)).",
    )
    nprobe: int = Field(
        64,
        ge=1,
        le=65536,
        description="IVF_FLAT on a server: clusters searched per query (recall vs speed).",
    )
    hnsw_m: int = Field(16, ge=2, le=2048, description="HNSW: graph degree M.")
    hnsw_ef_construction: int = Field(
        200, ge=1, description="HNSW: candidate list size while building (efConstruction)."
    )
    hnsw_ef: int = Field(64, ge=1, description="HNSW: candidate list size while searching (ef).")
    default_top_k: int = Field(5, ge=1, le=1024, description="Hits returned when none is asked.")
    max_top_k: int = Field(100, ge=1, le=16384, description="Most hits one search may ask for.")
    max_query_chars: int = Field(
        4000, ge=1, description="Longest query text accepted, in characters (longer: 413)."
    )
    ttl_s: int = Field(
        7 * 24 * 3600,
        ge=0,
        description=(
            "Default freshness of a document in seconds: after it, the document stops matching "
            "and is purged (0: never expires). A document may carry its own ttl_s."
        ),
    )
    max_chunks_per_document: int = Field(
        20_000, ge=1, description="Most chunks one document may store (larger: 413)."
    )
    insert_batch_rows: int = Field(
        1000, ge=1, le=100_000, description="Rows per Milvus insert call."
    )
    stale_pending_s: float = Field(
        600.0,
        ge=0,
        description=(
            "Server mode: an unfinished insert older than this is taken for a crashed one and "
            "cleaned at start. (A Lite file has one owner: every unfinished insert is cleaned.)"
        ),
    )
    timeout_s: float = Field(
        30.0, gt=0, description="Time limit of one call to Milvus (searches, inserts, queries)."
    )
    purge_interval_s: float = Field(
        600.0, ge=0, description="How often expired documents are deleted (0: only on demand)."
    )

    @model_validator(mode="after")
    def _check_store(self) -> RetrieveSettings:
        if not is_server_uri(self.uri):
            name = Path(self.uri).name
            if not LITE_FILE_NAME.match(name):
                raise ValueError(
                    f"Milvus Lite file name {name!r} must end in .db, use only letters, digits, "
                    "'.', '-', '_' and be at most 36 characters (a limit of milvus-lite)"
                )
            scaling = self.autoscaling_config
            if scaling.max_replicas != 1 or scaling.min_replicas > 1:
                raise ValueError(
                    "a Milvus Lite file admits one process: retrieve needs exactly one replica "
                    "(autoscaling_config.max_replicas=1) with uri "
                    f"{self.uri!r}; point uri at a Milvus server (http://host:19530) to scale"
                )
            if self.index_type not in LITE_INDEX_TYPES:
                raise ValueError(
                    f"index_type {self.index_type} needs a Milvus server; Milvus Lite builds "
                    f"{' and '.join(LITE_INDEX_TYPES)} only"
                )
        if self.default_top_k > self.max_top_k:
            raise ValueError(
                f"default_top_k ({self.default_top_k}) exceeds max_top_k ({self.max_top_k})"
            )
        return self

    def resolved_uri(self, data_dir: str | Path | None) -> str:
        """The uri with a relative Lite path made absolute under ``data_dir``."""
        if is_server_uri(self.uri):
            return self.uri
        path = Path(self.uri).expanduser()
        if not path.is_absolute() and data_dir is not None:
            path = Path(data_dir) / path
        return str(path.resolve())

    def index_params(self) -> dict[str, Any]:
        """The explicit build parameters of ``index_type``."""
        if self.index_type == "IVF_FLAT":
            return {"nlist": self.nlist}
        if self.index_type == "HNSW":
            return {"M": self.hnsw_m, "efConstruction": self.hnsw_ef_construction}
        return {}

    def search_params(self) -> dict[str, Any]:
        """The explicit search parameters of ``index_type``."""
        if self.index_type == "IVF_FLAT":
            return {"nprobe": min(self.nprobe, self.nlist)}
        if self.index_type == "HNSW":
            return {"ef": self.hnsw_ef}
        return {}
