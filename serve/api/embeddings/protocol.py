"""``/v1/embeddings`` request and response models (OpenAI's shape)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from serve.api.protocol import RequestBody, null_means

# Request limits (413 past them); the embed deployment's own limits apply too, whichever is
# lower. Candidates for gateway.validation settings.
MAX_INPUTS = 2048  # OpenAI's limit on inputs per request
MAX_INPUT_CHARS = 50_000  # about OpenAI's 8,192 tokens per input
MAX_TOTAL_CHARS = 2_000_000  # about OpenAI's 300,000 tokens per request


class EmbeddingRequest(RequestBody):
    """``POST /v1/embeddings`` body; unknown fields are ignored, null means the default."""

    model: str = Field(..., min_length=1, description="An embedding model or OpenAI alias.")
    input: str | list[str] | list[int] | list[list[int]] = Field(
        ..., description="Text or texts to embed (token arrays are refused: send text)."
    )
    encoding_format: Annotated[Literal["float", "base64"], null_means("float")] = Field(
        "float", description="float: lists of numbers; base64: little-endian float32 bytes."
    )
    dimensions: int | None = Field(
        None, ge=1, description="Must equal the model's dimension (no shortening)."
    )
    user: str | None = None

    @property
    def token_arrays(self) -> bool:
        """Whether ``input`` holds token ids rather than text."""
        value = self.input
        return isinstance(value, list) and bool(value) and not isinstance(value[0], str)

    def texts(self) -> list[str]:
        """``input`` as a list of texts (call after checking :attr:`token_arrays`)."""
        return [self.input] if isinstance(self.input, str) else list(self.input)  # type: ignore[arg-type]


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str = Field(description="Floats, or base64 float32 bytes.")


class EmbeddingUsage(BaseModel):
    prompt_tokens: int = Field(description="Word pieces the embedder read, over all inputs.")
    total_tokens: int


class EmbeddingMeta(BaseModel):
    """The ``interfaze`` object: what the embedder did with the inputs."""

    trace_id: str
    embed_model: str = Field(description="The embed deployment's model.")
    dimension: int
    max_tokens_per_input: int = Field(description="Word pieces one input may use; more are cut.")
    truncated_inputs: list[int] = Field(
        default_factory=list, description="Indexes of inputs longer than that (cut)."
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
    interfaze: EmbeddingMeta
