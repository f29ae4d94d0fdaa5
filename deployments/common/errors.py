"""Errors a deployment raises for bad input; the router maps them to HTTP statuses.

They cross DeploymentHandles intact (Ray re-raises the original exception type), so the router
catches :class:`InputRejected` and answers with ``status``/``code``/``message``.
"""

from __future__ import annotations


class InputRejected(Exception):
    """Input the deployment cannot or will not process; never a replica crash."""

    status = 422
    code = "unprocessable_input"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __reduce__(self):  # keep the message and code across process boundaries
        return (_rebuild, (type(self), self.message, self.code))


def _rebuild(cls: type[InputRejected], message: str, code: str) -> InputRejected:
    return cls(message, code=code)


class MalformedInput(InputRejected):
    """Bytes that do not decode as what they claim to be (corrupt PDF, bad base64, ...)."""

    status = 400
    code = "malformed_input"


class InputTooLarge(InputRejected):
    """Over a configured limit (bytes, pages, pixels, seconds); the message names the limit."""

    status = 413
    code = "input_too_large"


class UnsupportedInput(InputRejected):
    """A media type this deployment does not read (or one that lies about its type)."""

    status = 415
    code = "unsupported_media_type"
