"""Auth hook: ``Authorization: Bearer <key>`` → the caller's identity and permissions."""

from __future__ import annotations

import hashlib
import time

from deployments.common.errors import Forbidden, Unauthorized
from serve.gateway.config import AuthSettings
from serve.gateway.context import ANONYMOUS, KeyIdentity, RequestContext
from serve.gateway.hook import GatewayHook
from serve.gateway.keys import KeyRecord, KeyStore


def identity_of(record: KeyRecord) -> KeyIdentity:
    return KeyIdentity(
        key_id=record.key_id,
        name=record.name,
        allowed_models=frozenset(record.allowed_models) if record.allowed_models else None,
        allowed_tools=(
            frozenset(record.allowed_tools) if record.allowed_tools is not None else None
        ),
        requests_per_minute=record.requests_per_minute,
        llm_tokens_per_minute=record.llm_tokens_per_minute,
        daily_budget=record.daily_budget,
    )


def bearer_token(headers: dict[str, str] | object) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None when absent."""
    value = headers.get("authorization") if hasattr(headers, "get") else None
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


class AuthHook(GatewayHook):
    """Resolves the API key; 401 without a valid key, 403 for a model the key may not use.

    Verified keys are cached per replica for ``cache_ttl_s`` under a SHA-256 of the presented
    key (the cache never holds a key in clear), so a revocation takes effect within the TTL.
    """

    name = "auth"

    def __init__(self, settings: AuthSettings, store: KeyStore | None) -> None:
        if settings.enabled and store is None:
            raise ValueError("auth is enabled but no key store was given")
        self.settings = settings
        self.store = store
        self._cache: dict[bytes, tuple[float, KeyIdentity | None]] = {}

    def _lookup(self, token: str) -> KeyIdentity | None:
        now = time.monotonic()
        fingerprint = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(fingerprint)
        if cached and now - cached[0] < self.settings.cache_ttl_s:
            return cached[1]
        assert self.store is not None
        record = self.store.verify(token)
        identity = identity_of(record) if record else None
        if self.settings.cache_ttl_s > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[fingerprint] = (now, identity)
        return identity

    async def on_request(self, ctx: RequestContext) -> None:
        if not self.settings.enabled:
            ctx.identity = ANONYMOUS
        else:
            token = bearer_token(ctx.headers)
            if token is None:
                raise Unauthorized(
                    "missing API key: send the header 'Authorization: Bearer <key>'",
                    code="missing_api_key",
                )
            identity = self._lookup(token) if token else None
            if identity is None:
                raise Unauthorized("invalid or revoked API key", code="invalid_api_key")
            ctx.identity = identity
        allowed = ctx.identity.allowed_models
        if allowed is not None and ctx.model is not None and ctx.model not in allowed:
            raise Forbidden(
                f"this API key may not use model {ctx.model!r}; allowed: {sorted(allowed)}",
                code="model_not_allowed",
                param="model",
            )
