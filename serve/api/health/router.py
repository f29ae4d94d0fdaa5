"""Liveness/readiness and the Prometheus relay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    report = await request.app.state.health.report()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    text = await request.app.state.metrics_relay.scrape()
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")
