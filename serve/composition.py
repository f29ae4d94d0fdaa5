"""The router's composition root: config + deployment handles → the services the API serves.

:class:`~serve.ingress.RouterIngress` calls :func:`compose` with real DeploymentHandles; unit
tests call it with fakes. Nothing else wires services together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serve.api.audio.serving import TranscriptionServing
from serve.api.chat_completions.serving import ChatCompletionServing
from serve.api.completions.serving import CompletionServing
from serve.api.documents.serving import DocumentServing
from serve.api.embeddings.protocol import MAX_INPUT_CHARS, MAX_INPUTS
from serve.api.embeddings.serving import EMBED_METHOD, EmbeddingServing
from serve.api.health.reporter import HealthReporter, MetricsRelay
from serve.api.lifecycle import RequestLifecycle
from serve.api.models.catalogue import ModelCatalogue
from serve.api.responses.serving import ResponsesServing
from serve.api.responses.store import response_store
from serve.config.schema import AppConfig
from serve.context.tokens import counter_for
from serve.gateway.gateway import Gateway, input_parser
from serve.gateway.pricing import CostEstimator
from serve.llm.client import LLMClient
from serve.observability.metrics import RouterMetrics
from serve.observability.traces import SharedTraceStore, TraceStore
from serve.pipeline.answering import SmallStackStep
from serve.pipeline.escalation import Escalation
from serve.pipeline.pipeline import Pipeline
from serve.pipeline.programs import ProgramStep
from serve.stages.client import StageClient
from serve.stages.registry import LLM_STAGE, SPECS
from serve.stages.runner import StageRunner

logger = logging.getLogger(__name__)


@dataclass
class RouterServices:
    """What ``create_app`` serves."""

    chat: ChatCompletionServing
    transcription: TranscriptionServing | None
    documents: DocumentServing | None
    models: ModelCatalogue
    lifecycle: RequestLifecycle
    gateway: Gateway | None
    health: HealthReporter
    metrics_relay: Any
    max_request_bytes: int
    embeddings: EmbeddingServing | None = None
    completions: CompletionServing | None = None
    responses: ResponsesServing | None = None


def stage_clients(config: AppConfig, handles: dict[str, Any]) -> dict[str, StageClient]:
    """A deadline-bound client per pipeline-stage handle."""
    timeouts = config.routing.timeouts
    return {
        name: StageClient(name, handle, SPECS[name].method, timeout_s=timeouts.for_stage(name))
        for name, handle in handles.items()
        if handle is not None and name in SPECS and SPECS[name].adapter is not None
    }


def local_model_dir(config: AppConfig) -> str | None:
    """The LLM's local folder (for its tokenizer), when the model is a packaged one."""
    from deployments.llm.local_model import is_local_source, is_prepared, local_model_dir

    source = config.llm.model_source
    if is_local_source(source):
        folder = local_model_dir(source, config.data_path())
        return str(folder) if is_prepared(folder) else None
    return source if Path(source).is_dir() else None


def trace_store(config: AppConfig) -> TraceStore | SharedTraceStore:
    router = config.router
    if router.shared_traces and router.trace_retention > 0:
        try:
            return SharedTraceStore(
                router.trace_retention, router.trace_ttl_s, namespace=config.app_name
            )
        except Exception:  # no Ray worker (e.g. local testing mode): keep them in-process
            pass
    return TraceStore(router.trace_retention, router.trace_ttl_s)


def compose(
    config: AppConfig,
    *,
    llm_handle: Any | None = None,
    handles: dict[str, Any] | None = None,
    gateway: Gateway | None = None,
    traces: TraceStore | SharedTraceStore | None = None,
    metrics: RouterMetrics | None = None,
    metrics_relay: Any = None,
) -> RouterServices:
    """Wire the services of one router replica."""
    handles = {k: v for k, v in (handles or {}).items() if v is not None}
    llm = LLMClient(llm_handle, config.llm.model_id) if llm_handle is not None else None
    clients = stage_clients(config, handles)
    parser = input_parser(config)
    lifecycle = RequestLifecycle(
        gateway=gateway,
        traces=traces or TraceStore(config.router.trace_retention, config.router.trace_ttl_s),
        metrics=metrics or RouterMetrics(),
        pricing=CostEstimator(config.gateway.limits),
    )
    count_tokens = counter_for(local_model_dir(config))
    escalation = None
    if llm is not None:
        escalation = Escalation(
            llm,
            config.llm,
            timeout_s=config.routing.timeouts.for_stage(LLM_STAGE),
            count_tokens=count_tokens,
        )
    health = HealthReporter(
        llm,
        config.profile,
        handles,
        probe_timeout_s=config.router.health_probe_timeout_s,
        max_age_s=config.router.health_cache_s,
    )
    small_stack = SmallStackStep()
    if config.router.intent_embeddings:  # /healthz says "starting" until it is built
        thread = small_stack.start_intent_classifier(lambda: shared_encoder(gateway))
        health.readiness.track("intent_classifier", thread)
    programs = None
    if "execute" in clients:
        generate = program_writer(escalation) if config.router.llm_program_writer else None
        programs = ProgramStep(clients["execute"], generate)
    pipeline = Pipeline(
        config,
        StageRunner(clients, config),
        escalation,
        small_stack,
        count_tokens=count_tokens,
        programs=programs,
    )
    catalogue = ModelCatalogue(
        config, llm=llm is not None, asr="asr" in clients, embed="embed" in handles
    )
    limits = config.gateway.validation
    chat = ChatCompletionServing(pipeline, lifecycle, catalogue, parser)
    return RouterServices(
        chat=chat,
        transcription=TranscriptionServing(
            clients.get("asr"), lifecycle, catalogue, max_bytes=limits.max_part_bytes
        ),
        documents=DocumentServing(
            handles.get("index"),
            lifecycle,
            max_bytes=limits.max_part_bytes,
            timeout_s=config.routing.timeouts.action_ms / 1000,
        ),
        models=catalogue,
        lifecycle=lifecycle,
        gateway=gateway,
        health=health,
        metrics_relay=metrics_relay or MetricsRelay(),
        max_request_bytes=limits.max_body_bytes,
        **openai_endpoints(config, handles, llm, chat, lifecycle, catalogue),
    )


def openai_endpoints(
    config: AppConfig,
    handles: dict[str, Any],
    llm: LLMClient | None,
    chat: ChatCompletionServing,
    lifecycle: RequestLifecycle,
    catalogue: ModelCatalogue,
) -> dict[str, Any]:
    """The services of /v1/embeddings, /v1/completions and /v1/responses."""
    timeouts = config.routing.timeouts
    embed = handles.get("embed")
    embed_client = (
        StageClient("embed", embed, EMBED_METHOD, timeout_s=timeouts.action_ms / 1000)
        if embed is not None
        else None
    )
    router = config.router
    return {
        "embeddings": EmbeddingServing(
            embed_client,
            lifecycle,
            catalogue,
            max_inputs=min(MAX_INPUTS, config.embed.max_texts_per_request),
            max_input_chars=min(MAX_INPUT_CHARS, config.embed.max_text_chars),
        ),
        "completions": CompletionServing(
            llm,
            lifecycle,
            catalogue,
            timeout_s=timeouts.for_stage(LLM_STAGE),
            max_prompt_chars=config.gateway.validation.max_text_chars,
        ),
        "responses": ResponsesServing(
            chat,
            lifecycle,
            response_store(router.shared_traces, config.app_name, router.trace_ttl_s),
        ),
    }


def shared_encoder(gateway: Gateway | None) -> Any:
    """The gateway's MiniLM embedder when it has one, else a new one."""
    guard = gateway.hook("input_guard") if gateway else None
    encoder = getattr(getattr(guard, "detector", None), "embedder", None)
    if encoder is None:
        from serve.gateway.injection import MiniLMEmbedder

        encoder = MiniLMEmbedder()
    return encoder


def program_writer(escalation: Escalation | None) -> Any:
    """The LLM as a program writer: ``generate(messages, temperature, max_tokens) -> text``."""
    if escalation is None:
        return None

    async def generate(messages: list[dict[str, str]], temperature: float, max_tokens: int) -> str:
        from deployments.llm.protocol import GenerationRequest

        request = GenerationRequest(
            request_id="program-writer",
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        chunks = []
        async for chunk in escalation.llm.stream(request, timeout_s=escalation.timeout_s):
            chunks.append(chunk.text)
        return "".join(chunks)

    return generate
