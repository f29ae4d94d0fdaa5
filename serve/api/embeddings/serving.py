"""``/v1/embeddings``: the gateway lifecycle around the embed deployment."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse

from deployments.common.errors import BadRequest, Overloaded, PayloadTooLarge, ServeError
from serve.api.embeddings.protocol import (
    MAX_INPUT_CHARS,
    MAX_INPUTS,
    MAX_TOTAL_CHARS,
    Embedding,
    EmbeddingMeta,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingUsage,
)
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.gateway.context import RequestContext
from serve.stages.client import StageClient, StageUnavailable, unwrap_remote_error

EMBED_METHOD = "embed_counted"


def encode_base64(vector: list[float]) -> str:
    """OpenAI's base64 encoding: the vector as little-endian float32 bytes."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


class EmbeddingServing:
    """Checks the inputs, calls the embed deployment, renders OpenAI's list of embeddings."""

    def __init__(
        self,
        embed: StageClient | None,
        lifecycle: RequestLifecycle,
        catalogue: ModelCatalogue,
        *,
        max_inputs: int = MAX_INPUTS,
        max_input_chars: int = MAX_INPUT_CHARS,
        max_total_chars: int = MAX_TOTAL_CHARS,
    ) -> None:
        self.embed = embed
        self.lifecycle = lifecycle
        self.catalogue = catalogue
        self.max_inputs = max_inputs
        self.max_input_chars = max_input_chars
        self.max_total_chars = max_total_chars
        self._info: dict[str, Any] | None = None

    async def create(
        self, body: EmbeddingRequest, request: Request, ctx: RequestContext | None
    ) -> JSONResponse:
        await self.lifecycle.admit(ctx, body)  # limits, input guard on the texts, audit
        record = self.lifecycle.open(request, ctx, body.model)
        record.route = "embeddings"
        try:
            if self.embed is None:
                raise Overloaded(
                    "the embed deployment is not enabled in this configuration",
                    code="embed_unavailable",
                    retry_after=60,
                )
            self.catalogue.embedding(body.model)
            texts = self.texts(body)
            info = await self.info()
            dimension = int(info["dimension"])
            if body.dimensions is not None and body.dimensions != dimension:
                raise BadRequest(
                    f"dimensions={body.dimensions} is not available: {info['model']} gives "
                    f"{dimension}-dimensional vectors (shortening is not supported)",
                    code="invalid_value",
                    param="dimensions",
                )
            with record.stage("embed", inputs=len(texts)) as step:
                try:
                    result = await self.embed.call(texts)
                except StageUnavailable as exc:
                    step.summary["reason"] = exc.reason
                    raise exc.error from None
                step.summary["tokens"] = sum(result["tokens"])
            response = self.render(body, result, info, record.request_id, record.timings_ms())
        except ServeError as exc:
            await self.lifecycle.finish(record, ctx, exc.status, exc.message)
            raise
        record.confidence = 1.0
        await self.lifecycle.finish(record, ctx, 200)
        headers = dict(ctx.response_headers) if ctx is not None else {}
        return JSONResponse(response.model_dump(mode="json"), headers=headers)

    def texts(self, body: EmbeddingRequest) -> list[str]:
        """The inputs as texts, within the limits (400 token arrays and empty input, 413 size)."""
        if body.token_arrays:
            raise BadRequest(
                "input as token arrays is not supported: this server's embedder has its own "
                "tokenizer, so send the text (LangChain: OpenAIEmbeddings("
                "check_embedding_ctx_length=False))",
                code="unsupported_input_type",
                param="input",
            )
        texts = body.texts()
        if not texts:
            raise BadRequest("input must not be empty", code="invalid_value", param="input")
        if len(texts) > self.max_inputs:
            raise PayloadTooLarge(
                f"{len(texts)} inputs are too many (at most {self.max_inputs} per request)",
                code="too_many_inputs",
                param="input",
            )
        total = 0
        for index, text in enumerate(texts):
            param = "input" if isinstance(body.input, str) else f"input[{index}]"
            if not text:
                raise BadRequest(f"{param} is an empty string", code="invalid_value", param=param)
            if len(text) > self.max_input_chars:
                raise PayloadTooLarge(
                    f"{param} has {len(text)} characters, over the limit of "
                    f"{self.max_input_chars} per input",
                    code="input_too_long",
                    param=param,
                )
            total += len(text)
        if total > self.max_total_chars:
            raise PayloadTooLarge(
                f"the inputs have {total} characters, over the limit of {self.max_total_chars} "
                "per request",
                code="input_too_long",
                param="input",
            )
        return texts

    async def info(self) -> dict[str, Any]:
        """The embed deployment's model, dimension and max_length (asked once)."""
        if self._info is None:
            assert self.embed is not None
            try:
                async with asyncio.timeout(self.embed.timeout_s):
                    self._info = await self.embed.handle.info.remote()
            except Exception as exc:
                cause = unwrap_remote_error(exc)
                if isinstance(cause, ServeError):
                    raise cause from None
                raise Overloaded(
                    f"the embed deployment did not describe itself: {type(cause).__name__}",
                    code="embed_unavailable",
                    retry_after=5,
                ) from None
        return self._info

    @staticmethod
    def render(
        body: EmbeddingRequest,
        result: dict[str, Any],
        info: dict[str, Any],
        trace_id: str,
        timings_ms: dict[str, float],
    ) -> EmbeddingResponse:
        encode = encode_base64 if body.encoding_format == "base64" else list
        data = [
            Embedding(index=i, embedding=encode(vector))
            for i, vector in enumerate(result["vectors"])
        ]
        tokens = sum(result["tokens"])
        return EmbeddingResponse(
            data=data,
            model=body.model,
            usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
            interfaze=EmbeddingMeta(
                trace_id=trace_id,
                embed_model=str(info["model"]),
                dimension=int(info["dimension"]),
                max_tokens_per_input=max(1, int(info["max_length"]) - 2),
                truncated_inputs=[i for i, cut in enumerate(result["truncated"]) if cut],
                timings_ms=timings_ms,
            ),
        )
