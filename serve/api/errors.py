"""Rendering of :class:`ServeError` in the OpenAI error shape, and the app's handlers."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deployments.common.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ServeError,
    UnprocessableContent,
)
from serve.api.protocol import CONTENT_PART_TYPES

logger = logging.getLogger(__name__)


def error_body(exc: ServeError) -> dict:
    return {"error": exc.to_dict()}


def error_response(exc: ServeError) -> JSONResponse:
    """The JSON error; ``x-request-id`` is added once, by the middleware or the Serve proxy."""
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


def validation_error(exc: RequestValidationError) -> ServeError:
    """Map pydantic/FastAPI validation problems to 400 or 422 with the field named."""
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            detail = err.get("ctx", {}).get("error", "")
            return BadRequest(f"malformed JSON body: {detail}".strip(), code="invalid_json")
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if err.get("type") == "union_tag_invalid" and "content" in loc:
            tag = err.get("ctx", {}).get("tag")
            return UnprocessableContent(
                f"unsupported content part type {tag!r}; supported: {list(CONTENT_PART_TYPES)}",
                code="unsupported_content_part",
                param=".".join(loc[1:]),
            )
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    where = f"{param}: " if param else ""
    return BadRequest(f"{where}{first.get('msg')}", param=param, code="invalid_value")


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app returns uses the OpenAI error shape."""

    @app.exception_handler(ServeError)
    async def _serve_error(request: Request, exc: ServeError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(exc))

    @app.exception_handler(json.JSONDecodeError)
    async def _bad_json(request: Request, exc: json.JSONDecodeError) -> JSONResponse:
        return error_response(BadRequest(f"malformed JSON body: {exc}", code="invalid_json"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: NotFound, 405: BadRequest, 413: PayloadTooLarge}
        cls = kinds.get(exc.status_code, BadRequest if exc.status_code < 500 else ServeError)
        return error_response(cls(str(exc.detail), status=exc.status_code))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        logger.exception("unhandled error in request %s", request_id)
        return error_response(ServeError(f"internal error: {type(exc).__name__}"))
