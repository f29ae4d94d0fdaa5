"""Audit hook: one JSON line per request (size-rotated), raw inputs with retention."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serve.gateway.config import AuditSettings
from serve.gateway.context import Completion, RequestContext
from serve.gateway.hook import GatewayHook

logger = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class RotatingJsonl:
    """Appends JSON lines; before a line would push the file past ``max_bytes`` it rotates
    ``log → log.1 → … → log.<backups>`` (the oldest is deleted)."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def _rotate(self) -> None:
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(line) > self.max_bytes:
                self._rotate()
            with open(self.path, "ab") as f:
                f.write(line)

    def files(self) -> list[Path]:
        """The live file then its backups, newest first."""
        names = [self.path] + [
            self.path.with_name(f"{self.path.name}.{n}") for n in range(1, self.backups + 1)
        ]
        return [p for p in names if p.exists()]


class RawInputStore:
    """Raw stage inputs under ``<dir>/<YYYY-MM-DD>/<request id>/<stage>``; old days deleted."""

    def __init__(self, root: Path, retention_days: float) -> None:
        self.root = root
        self.retention_s = retention_days * 86400

    def put(self, request_id: str, stage: str, data: bytes | str, now: float | None = None) -> Path:
        day = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y-%m-%d")
        folder = self.root / day / _SAFE_NAME.sub("_", request_id)[:128]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _SAFE_NAME.sub("_", stage)[:64]
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def purge(self, now: float | None = None) -> int:
        """Delete request folders older than the retention; returns how many went."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.exists():
            return 0
        for day in sorted(self.root.iterdir()):
            if not day.is_dir():
                continue
            for request in list(day.iterdir()):
                try:
                    age = now - request.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age > self.retention_s:
                    shutil.rmtree(request, ignore_errors=True)
                    removed += 1
            if not any(day.iterdir()):
                day.rmdir()
        return removed


class AuditHook(GatewayHook):
    """Writes the audit line in ``on_complete``; stores and purges raw inputs when enabled."""

    name = "audit"

    def __init__(self, settings: AuditSettings, data_dir: Path, replica_id: str) -> None:
        self.settings = settings
        path = Path(settings.path.format(replica=_SAFE_NAME.sub("_", replica_id)))
        self.log = RotatingJsonl(
            path if path.is_absolute() else data_dir / path, settings.max_bytes, settings.backups
        )
        raw = Path(settings.raw_dir)
        self.raw = RawInputStore(
            raw if raw.is_absolute() else data_dir / raw, settings.raw_retention_days
        )
        self._last_purge = 0.0

    def keep_raw(self, ctx: RequestContext, stage: str, data: bytes | str) -> None:
        """Remember one stage's raw input (only when ``keep_raw_inputs`` is on)."""
        if self.settings.enabled and self.settings.keep_raw_inputs:
            ctx.raw_inputs[stage] = data

    async def on_request(self, ctx: RequestContext) -> None:
        if self.settings.enabled and self.settings.keep_raw_inputs and ctx.body is not None:
            ctx.raw_inputs.setdefault("request", ctx.body.model_dump_json(exclude_none=True))

    def record(self, ctx: RequestContext, completion: Completion) -> dict[str, Any]:
        return {
            "time": datetime.fromtimestamp(ctx.started_at, UTC).isoformat(timespec="milliseconds"),
            "request_id": ctx.request_id,
            "key_id": ctx.key_id,
            "client": ctx.client,
            "route": ctx.route,
            "pipeline": completion.route,
            "model": ctx.model,
            "status": completion.status,
            "error": completion.error,
            "rejected_by": ctx.rejected_by,
            "risk": round(ctx.risk, 3),
            "verdicts": [v.to_dict() for v in ctx.verdicts],
            "denied_tools": ctx.denied_tools,
            "stages": completion.stages,
            "timings_ms": {
                **{k: round(v, 3) for k, v in ctx.timings_ms.items()},
                **completion.stage_timings_ms,
                "gateway_total": round(sum(ctx.timings_ms.values()), 3),
                "request_total": round(ctx.elapsed_ms(), 3),
            },
            "escalated": completion.escalated,
            "escalation_reason": completion.escalation_reason or None,
            "tokens": {
                "prompt": completion.prompt_tokens,
                "completion": completion.completion_tokens,
            },
            "cost": round(ctx.cost, 6),
            "format_retries": ctx.format_attempts,
            "raw_inputs": sorted(ctx.raw_inputs) or None,
        }

    async def on_complete(self, ctx: RequestContext, completion: Completion) -> None:
        if not self.settings.enabled:
            return
        self.log.write(self.record(ctx, completion))
        if self.settings.keep_raw_inputs:
            for stage, data in ctx.raw_inputs.items():
                self.raw.put(ctx.request_id, stage, data, ctx.started_at)
        now = time.monotonic()
        if now - self._last_purge > self.settings.purge_interval_s:
            self._last_purge = now
            removed = self.raw.purge()
            if removed:
                logger.info("deleted %d expired raw-input folders", removed)
