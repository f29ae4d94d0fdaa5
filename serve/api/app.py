"""The FastAPI application: thin routers over services held in ``app.state``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from serve.api.audio.router import router as audio_router
from serve.api.chat_completions.router import router as chat_router
from serve.api.documents.router import router as documents_router
from serve.api.errors import install_error_handlers
from serve.api.health.router import router as health_router
from serve.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from serve.api.models.router import router as models_router
from serve.api.traces.router import router as traces_router


def create_app(
    *,
    chat_service: Any,
    audio_service: Any = None,
    documents_service: Any = None,
    gateway: Any = None,
    health: Any,
    metrics_relay: Any,
    max_request_bytes: int,
    echo_request_id: bool = True,
) -> FastAPI:
    """Build the HTTP app; services are plain objects so tests can pass fakes."""
    app = FastAPI(
        title="interfaze-serve",
        version="0.1.0",
        description="OpenAI-compatible, small-models-first multimodal serving.",
    )
    app.state.chat_service = chat_service
    app.state.audio_service = audio_service
    app.state.documents_service = documents_service
    app.state.gateway = gateway
    app.state.health = health
    app.state.metrics_relay = metrics_relay
    install_error_handlers(app)
    routers = (
        chat_router,
        audio_router,
        documents_router,
        models_router,
        traces_router,
        health_router,
    )
    for router in routers:
        app.include_router(router)
    # Outermost first: the request id exists before the body limit can reject.
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_request_bytes)
    app.add_middleware(RequestIdMiddleware, echo=echo_request_id)
    return app
