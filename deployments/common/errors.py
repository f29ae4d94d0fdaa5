"""The one error type of interfaze-serve, shared by the deployments and the router.

:class:`ServeError` carries everything a client needs: HTTP ``status``, OpenAI ``type`` and
``code``, ``message``, ``param`` and ``retry_after``. Deployments raise it (or a subclass) for
bad input; it crosses DeploymentHandles intact (Ray re-raises the original exception type, and
``__reduce__`` keeps every field), and the router renders it in the OpenAI error shape.

The status decides what the router does with a stage's error: a 4xx is the client's fault and
reaches the client; a 5xx is the stage's fault, so the request degrades around that stage.
"""

from __future__ import annotations

from typing import Any


class ServeError(Exception):
    """An error with its HTTP status and OpenAI error fields."""

    status: int = 500
    type: str = "internal_error"
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after = retry_after
        if code:
            self.code = code
        if status is not None:
            self.status = status
        if type:
            self.type = type

    @property
    def is_client_error(self) -> bool:
        """4xx: the request itself is at fault (not retried, not degraded around)."""
        return 400 <= self.status < 500

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI ``error`` object."""
        return {"message": self.message, "type": self.type, "code": self.code, "param": self.param}

    def __reduce__(self):  # keep every field across process boundaries
        return (
            _rebuild,
            (
                type(self),
                self.message,
                {
                    "code": self.code,
                    "param": self.param,
                    "retry_after": self.retry_after,
                    "status": self.status,
                    "type": self.type,
                },
            ),
        )


def _rebuild(cls: type[ServeError], message: str, fields: dict[str, Any]) -> ServeError:
    error = cls.__new__(cls)
    ServeError.__init__(error, message, **fields)
    return error


# ------------------------------------------------------------------ client errors (4xx)
class BadRequest(ServeError):
    status, type, code = 400, "invalid_request_error", "invalid_request"


class Unauthorized(ServeError):
    status, type, code = 401, "authentication_error", "invalid_api_key"


class Forbidden(ServeError):
    """The key is valid but may not use this model, tool or resource."""

    status, type, code = 403, "permission_error", "permission_denied"


class NotFound(ServeError):
    status, type, code = 404, "invalid_request_error", "not_found"


class PayloadTooLarge(ServeError):
    status, type, code = 413, "invalid_request_error", "request_too_large"


class UnsupportedMediaType(ServeError):
    """The bytes are not what the request declares (MIME sniffing)."""

    status, type, code = 415, "invalid_request_error", "unsupported_media_type"


class UnprocessableContent(ServeError):
    """Well-formed input this server does not read (a content type, a remote file)."""

    status, type, code = 422, "invalid_request_error", "unsupported_content"


class RateLimited(ServeError):
    status, type, code = 429, "rate_limit_error", "rate_limited"


# ------------------------------------------------------------------ server errors (5xx)
class UpstreamError(ServeError):
    """A downstream stage or the LLM failed."""

    status, type, code = 502, "upstream_error", "upstream_error"


class Overloaded(ServeError):
    """Shed load or an unavailable dependency; clients should retry after ``retry_after``."""

    status, type, code = 503, "overloaded_error", "overloaded"


class StageTimeout(ServeError):
    status, type, code = 504, "timeout_error", "stage_timeout"


# ------------------------------------------------- what deployments raise for bad input
class InputRejected(UnprocessableContent):
    """Input a deployment cannot or will not process; never a replica crash."""

    code = "unprocessable_input"


class MalformedInput(InputRejected):
    """Bytes that do not decode as what they claim to be (corrupt PDF, bad base64, ...)."""

    status, code = 400, "malformed_input"


class InputTooLarge(InputRejected):
    """Over a configured limit (bytes, pages, pixels, seconds); the message names the limit."""

    status, code = 413, "input_too_large"


class UnsupportedInput(InputRejected):
    """A media type this deployment does not read (or one that lies about its type)."""

    status, code = 415, "unsupported_media_type"
