"""ASGI middleware: request ids and body size limits (pure ASGI, streaming-safe)."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.observability.record import new_request_id

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Mint the request's own id; keep a well-formed client ``x-request-id`` beside it.

    The server id names the trace (clients never choose it, so one request cannot overwrite
    another's trace); the client's id is recorded with it and echoed back. Behind Ray Serve
    the proxy echoes ``x-request-id`` itself, so ``echo`` is off there.
    """

    def __init__(self, app: ASGIApp, echo: bool = True) -> None:
        self.app = app
        self.echo = echo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (
            dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        )
        request_id = new_request_id()
        client_id = incoming if _VALID_ID.match(incoming) else None
        state = scope.setdefault("state", {})
        state["request_id"], state["client_request_id"] = request_id, client_id
        echoed = (client_id or request_id).encode()

        async def send_with_id(message: Message) -> None:
            if self.echo and message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), echoed))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Reject bodies over ``max_bytes`` with a 413 in the OpenAI error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "message": f"request body exceeds the limit of {self.max_bytes} bytes",
                    "type": "invalid_request_error",
                    "code": "request_too_large",
                    "param": None,
                }
            }
        ).encode()
        headers = [(b"content-type", b"application/json")]  # x-request-id: added once, outside
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(send)


class _BodyTooLarge(BaseException):
    """Escapes the app's ``Exception`` handlers so the middleware can answer 413."""
