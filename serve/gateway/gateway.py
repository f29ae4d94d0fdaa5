"""The gateway: runs the hooks in order and times each one.

Order on the way in: auth → audit (raw request) → limits → validation → input guard.
``on_complete`` runs every hook in reverse, so limits charge tokens and cost before the audit
line is written. A rejection on the way in completes the request here (audit line, usage), so
the router only re-raises.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployments.common.errors import ServeError
from deployments.common.threads import lower_this_thread_priority
from serve.context.observations import Observation
from serve.gateway.audit import AuditHook
from serve.gateway.auth import AuthHook
from serve.gateway.config import GatewaySettings, check_profile, startup_warnings
from serve.gateway.context import RequestContext, Verdict
from serve.gateway.errors import PolicyRefusal
from serve.gateway.hook import GatewayHook
from serve.gateway.injection import InjectionDetector, TextEmbedder
from serve.gateway.input_guard import InputGuardHook
from serve.gateway.keys import KeyStore
from serve.gateway.limiter import LimitBackend, select_limit_backend
from serve.gateway.limits import LimitsHook
from serve.gateway.output_guard import OutputGuardHook, StreamRedactor
from serve.gateway.usage import UsageRecorder
from serve.gateway.validation import ValidationHook
from serve.inputs.parse import InputParser
from serve.observability.record import RequestRecord

logger = logging.getLogger(__name__)


@dataclass
class ObservationScreen:
    """What the input guard made of extracted text."""

    observations: list[Observation]
    verdicts: list[Verdict] = field(default_factory=list)
    denied_tools: dict[str, str] = field(default_factory=dict)


class Gateway:
    """Composes hooks; each method runs the matching hook method of every hook in order."""

    def __init__(self, hooks: list[GatewayHook], settings: GatewaySettings | None = None) -> None:
        self.hooks = hooks
        self.settings = settings or GatewaySettings()
        self._by_name = {h.name: h for h in hooks}

    def hook(self, name: str) -> GatewayHook | None:
        return self._by_name.get(name)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_settings(
        cls,
        settings: GatewaySettings,
        *,
        data_dir: str | Path,
        profile: str = "local",
        namespace: str = "interfaze",
        parser: InputParser | None = None,
        replica_id: str | None = None,
        embedder: TextEmbedder | None = None,
        limit_backend: LimitBackend | None = None,
    ) -> Gateway:
        """Build every hook from config (one gateway per router replica)."""
        check_profile(settings, profile)
        data_dir = Path(data_dir).expanduser().resolve()

        def under_data(path: str) -> Path:
            p = Path(path).expanduser()
            return p if p.is_absolute() else data_dir / p

        needs_store = settings.auth.enabled or settings.limits.enabled
        store = KeyStore(under_data(settings.auth.key_store_path)) if needs_store else None
        if limit_backend is None:
            limit_backend = _limit_backend(settings, namespace)
        guard = settings.input_guard
        detector = InjectionDetector(
            guard.injection,
            embedder=embedder if guard.injection.embedding else None,
            cache_dir=data_dir / "gateway" / "cache",
        )
        recorder = UsageRecorder(store, settings.limits.usage_flush_s) if store else None
        hooks: list[GatewayHook] = [
            AuthHook(settings.auth, store),
            AuditHook(settings.audit, data_dir, replica_id or f"pid{os.getpid()}"),
            LimitsHook(settings.limits, limit_backend, recorder=recorder),
            ValidationHook(parser or InputParser(settings.validation)),
            InputGuardHook(guard, detector),
            OutputGuardHook(settings.output_guard),
        ]
        return cls(hooks, settings)

    @classmethod
    def from_app_config(cls, config: Any, *, replica_id: str | None = None, **kwargs) -> Gateway:
        """From the app's ``AppConfig`` (``gateway``, ``data_dir``, ``profile``, app name)."""
        settings = getattr(config, "gateway", None) or GatewaySettings()
        if "parser" not in kwargs:
            kwargs["parser"] = input_parser(config)
        return cls.from_settings(
            settings,
            data_dir=config.data_path(),
            profile=config.profile,
            namespace=config.app_name,
            replica_id=replica_id,
            **kwargs,
        )

    def warm_up_in_background(self) -> threading.Thread:
        """Start :meth:`warm_up` in a daemon thread; a request arriving first waits for it."""
        thread = threading.Thread(target=self.warm_up, name="gateway-warm-up", daemon=True)
        thread.start()
        return thread

    def warm_up(self) -> None:
        """Load the embedding model and example set now (blocking; call at replica start)."""
        if threading.current_thread() is not threading.main_thread():
            lower_this_thread_priority()  # a warm-up thread: the LLM engine's start first
        guard = self.hook("input_guard")
        if isinstance(guard, InputGuardHook) and guard.settings.enabled:
            guard.detector.warm_up()
        limits = self.hook("limits")
        backend = getattr(limits, "backend", None)
        if backend is not None:
            try:
                backend.warm_up()
            except Exception as exc:  # the first request will connect instead
                logger.warning("limits backend warm-up failed: %s", exc)

    @staticmethod
    def startup_warnings(settings: GatewaySettings, profile: str) -> list[str]:
        return startup_warnings(settings, profile)

    # ---------------------------------------------------------------- request
    def new_context(
        self,
        request_id: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        *,
        route: str = "/v1/chat/completions",
        body_bytes: int | None = None,
        client: str | None = None,
    ) -> RequestContext:
        """``headers`` may be Starlette's ``request.headers`` (case-insensitive) or a dict."""
        if headers is not None and not hasattr(headers, "getlist"):
            headers = {k.lower(): v for k, v in headers.items()}
        return RequestContext(
            request_id=request_id,
            headers=headers or {},
            route=route,
            body=body,
            body_bytes=body_bytes,
            client=client,
        )

    async def authenticate(self, ctx: RequestContext) -> None:
        """Run only the auth hook (e.g. in a FastAPI dependency, so a request without a key
        gets 401 before its body is validated). ``on_request`` runs it again once the body is
        known: the key's model allow-list can only be checked then (the key lookup is cached).
        """
        await self._run_inbound(ctx, [h for h in self.hooks if h.name == "auth"])
        ctx.passed.discard("auth")

    async def on_request(self, ctx: RequestContext) -> None:
        """Run the inbound hooks; on rejection, finish the request (audit) and re-raise."""
        await self._run_inbound(ctx, self.hooks)

    async def _run_inbound(self, ctx: RequestContext, hooks: list[GatewayHook]) -> None:
        for hook in hooks:
            if hook.name in ctx.passed:
                continue
            start = time.perf_counter()
            try:
                await hook.on_request(ctx)
            except ServeError as exc:
                ctx.rejected_by = hook.name
                ctx.timings_ms[f"gateway.{hook.name}"] = _ms(start)
                status = exc.status
                if isinstance(exc, PolicyRefusal) and exc.as_message:
                    status = 200  # answered with a refusal message
                record = RequestRecord(ctx.request_id, ctx.model or "", endpoint=ctx.route)
                record.key_id = ctx.key_id
                record.close(status, exc.message)
                await self.on_complete(ctx, record)
                raise
            ctx.timings_ms[f"gateway.{hook.name}"] = _ms(start)
            ctx.passed.add(hook.name)

    async def on_observations(
        self, ctx: RequestContext, observations: list[Observation]
    ) -> ObservationScreen:
        """Screen extracted text; afterwards ``ctx.tool_allowed`` reflects any restriction."""
        before = len(ctx.verdicts)
        start = time.perf_counter()
        for hook in self.hooks:
            observations = await hook.on_observations(ctx, observations)
        ctx.timings_ms["gateway.observations"] = ctx.timings_ms.get(
            "gateway.observations", 0.0
        ) + _ms(start)
        return ObservationScreen(observations, ctx.verdicts[before:], dict(ctx.denied_tools))

    def needs_retry(self, ctx: RequestContext, text: str) -> bool:
        """True (once per allowed retry) when the answer breaks ``response_format``."""
        guard = self.hook("output_guard")
        return isinstance(guard, OutputGuardHook) and guard.needs_retry(ctx, text)

    async def on_response(self, ctx: RequestContext, text: str) -> str:
        """The answer as the client may see it (redacted); raises 502 on a format violation."""
        start = time.perf_counter()
        try:
            for hook in self.hooks:
                text = await hook.on_response(ctx, text)
        finally:
            ctx.timings_ms["gateway.response"] = _ms(start)
        return text

    def stream_redactor(self, ctx: RequestContext) -> StreamRedactor:
        """Per-stream redactor: ``feed(chunk)`` for each chunk, then ``flush()``."""
        guard = self.hook("output_guard")
        if isinstance(guard, OutputGuardHook):
            return guard.stream_redactor(ctx)
        return StreamRedactor(set(), 0)

    def keep_raw(self, ctx: RequestContext, stage: str, data: bytes | str) -> None:
        """Keep a stage's raw input for the audit (a no-op unless audit.keep_raw_inputs)."""
        audit = self.hook("audit")
        if isinstance(audit, AuditHook):
            audit.keep_raw(ctx, stage, data)

    async def on_complete(self, ctx: RequestContext, record: RequestRecord) -> None:
        """Charge usage and write the audit line; once per request, never raises."""
        if ctx.completed:
            return
        ctx.completed = True
        for hook in reversed(self.hooks):
            try:
                await hook.on_complete(ctx, record)
            except Exception:
                logger.exception("gateway hook %s failed in on_complete", hook.name)

    def flush_audit(self, timeout_s: float = 10.0) -> bool:
        """Wait until the audit lines written so far are on disk (tests, shutdown)."""
        audit = self.hook("audit")
        return audit.flush(timeout_s) if isinstance(audit, AuditHook) else True

    async def close(self) -> None:
        for hook in self.hooks:
            try:
                await hook.close()
            except Exception:
                logger.exception("gateway hook %s failed to close", hook.name)


def _limit_backend(settings: GatewaySettings, namespace: str) -> LimitBackend:
    """The ledger when the caller gave none: the same rule as the router's (one replica)."""
    return select_limit_backend(settings.limits, namespace, router_replicas=1)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def input_parser(config: Any) -> InputParser:
    """The app's one input parser: validation limits, and browse's SSRF guard for URLs."""
    from deployments.common.netguard import NetGuard

    browse = config.actions.browse
    return InputParser(config.gateway.validation, NetGuard(browse.guard_policy()))
