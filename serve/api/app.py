"""The FastAPI application: thin routers over the services in ``app.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from serve.api.audio.router import router as audio_router
from serve.api.chat_completions.router import router as chat_router
from serve.api.completions.router import router as completions_router
from serve.api.documents.router import router as documents_router
from serve.api.embeddings.router import router as embeddings_router
from serve.api.errors import install_error_handlers
from serve.api.health.router import router as health_router
from serve.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from serve.api.models.router import router as models_router
from serve.api.responses.router import router as responses_router
from serve.api.traces.router import router as traces_router

if TYPE_CHECKING:
    from serve.composition import RouterServices

ROUTERS = (chat_router, audio_router, documents_router, models_router, traces_router, health_router)
ROUTERS += (embeddings_router, completions_router, responses_router)


def create_app(services: RouterServices, *, echo_request_id: bool = True) -> FastAPI:
    """Build the HTTP app over ``services`` (tests compose them with fake handles)."""
    app = FastAPI(
        title="interfaze-serve",
        version="0.1.0",
        description="OpenAI-compatible, small-models-first multimodal serving.",
    )
    state = app.state
    state.chat, state.transcription = services.chat, services.transcription
    state.documents, state.models = services.documents, services.models
    state.lifecycle, state.gateway = services.lifecycle, services.gateway
    state.health, state.metrics_relay = services.health, services.metrics_relay
    state.embeddings, state.completions = services.embeddings, services.completions
    state.responses = services.responses
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # Outermost first: the request id exists before the body limit can reject.
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.max_request_bytes)
    app.add_middleware(RequestIdMiddleware, echo=echo_request_id)
    return app
