"""Rendering of :class:`ServeError` in the OpenAI error shape, and the app's handlers."""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deployments.common.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ServeError,
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


_TYPE_PART = re.compile(r"^(str|int|float|bool|none|list|dict)$|[\[(]")


def openai_param(loc: tuple | list) -> str | None:
    """A pydantic error location as OpenAI writes a ``param``: ``messages[0].content[1].type``.

    Type descriptors pydantic inserts for unions (``str``, ``list[...]``, a union's tag)
    are left out.
    """
    parts: list[str] = []
    items = [p for p in loc if p != "body"]
    for index, part in enumerate(items):
        if isinstance(part, int):
            parts.append(f"[{part}]")
            continue
        text = str(part)
        nxt = items[index + 1] if index + 1 < len(items) else None
        if _TYPE_PART.search(text) or text == nxt:  # a type, or a tagged union's tag
            continue
        parts.append(("." if parts else "") + text)
    return "".join(parts) or None


def validation_error(exc: RequestValidationError) -> ServeError:
    """Map pydantic/FastAPI validation problems to a 400 naming the field, as OpenAI does."""
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            detail = err.get("ctx", {}).get("error", "")
            return BadRequest(f"malformed JSON body: {detail}".strip(), code="invalid_json")
    for err in errors:
        loc = list(err.get("loc", ()))
        if err.get("type") == "union_tag_invalid" and "content" in loc:
            tag = err.get("ctx", {}).get("tag")
            param = openai_param(loc)
            return BadRequest(
                f"Invalid value: {tag!r}. Supported content part types are: "
                f"{', '.join(CONTENT_PART_TYPES)}.",
                code="invalid_value",
                param=f"{param}.type" if param else None,
            )
    # The deepest location names the field (a union's other branches fail higher up).
    first = (
        max(errors, key=lambda e: len(e.get("loc", ())))
        if errors
        else {"loc": (), "msg": "invalid request"}
    )
    param = openai_param(first.get("loc", ()))
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
