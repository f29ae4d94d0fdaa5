"""API errors in the OpenAI shape, and the handlers that render them."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.api.protocol import CONTENT_PART_TYPES, ErrorBody, ErrorResponse

logger = logging.getLogger(__name__)


class APIError(Exception):
    """An error with its HTTP status, OpenAI ``type`` and ``code``."""

    status = 500
    type = "internal_error"
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after = retry_after
        if code:
            self.code = code

    def body(self) -> ErrorResponse:
        return ErrorResponse(
            error=ErrorBody(message=self.message, type=self.type, code=self.code, param=self.param)
        )

    def response(self, request_id: str | None = None) -> JSONResponse:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(self.retry_after)))
        if request_id:
            headers["x-request-id"] = request_id
        return JSONResponse(self.body().model_dump(), status_code=self.status, headers=headers)


class BadRequest(APIError):
    status, type, code = 400, "invalid_request_error", "invalid_request"


class Unauthorized(APIError):
    status, type, code = 401, "authentication_error", "invalid_api_key"


class NotFound(APIError):
    status, type, code = 404, "invalid_request_error", "not_found"


class PayloadTooLarge(APIError):
    status, type, code = 413, "invalid_request_error", "request_too_large"


class UnsupportedMedia(APIError):
    status, type, code = 422, "invalid_request_error", "unsupported_content"


class RateLimited(APIError):
    status, type, code = 429, "rate_limit_error", "rate_limited"


class UpstreamError(APIError):
    status, type, code = 502, "upstream_error", "upstream_error"


class Overloaded(APIError):
    status, type, code = 503, "overloaded_error", "overloaded"


class StageTimeout(APIError):
    status, type, code = 504, "timeout_error", "stage_timeout"


def _validation_error(exc: RequestValidationError) -> APIError:
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
            return UnsupportedMedia(
                f"unsupported content part type {tag!r}; supported: {list(CONTENT_PART_TYPES)}",
                code="unsupported_content_part",
                param=".".join(loc[1:]),
            )
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    where = f"{param}: " if param else ""
    return BadRequest(f"{where}{first.get('msg')}", param=param, code="invalid_value")


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app returns uses the OpenAI error shape."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return exc.response(_request_id(request))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc).response(_request_id(request))

    @app.exception_handler(json.JSONDecodeError)
    async def _bad_json(request: Request, exc: json.JSONDecodeError) -> JSONResponse:
        return BadRequest(f"malformed JSON body: {exc}", code="invalid_json").response(
            _request_id(request)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: NotFound, 405: BadRequest, 413: PayloadTooLarge}
        cls = kinds.get(exc.status_code, BadRequest if exc.status_code < 500 else APIError)
        error = cls(str(exc.detail))
        error.status = exc.status_code
        return error.response(_request_id(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error in request %s", _request_id(request))
        return APIError(f"internal error: {type(exc).__name__}").response(_request_id(request))
