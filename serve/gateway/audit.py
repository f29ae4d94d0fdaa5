"""Audit hook: one JSON line per request (size-rotated), raw inputs with retention.

Log files, their backups and raw inputs are 0600, the folders created for them 0700.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serve.gateway.config import AuditSettings
from serve.gateway.context import RequestContext
from serve.gateway.hook import GatewayHook
from serve.gateway.private_files import open_private, private_dirs, tighten, write_private
from serve.observability.record import RequestRecord

logger = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class RotatingJsonl:
    """Appends JSON lines; before a line would push the file past ``max_bytes`` it rotates
    ``log → log.1 → … → log.<backups>`` (the oldest is deleted). The file stays open between
    lines (one write and flush each); it is reopened when rotated or removed underneath."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._file: Any = None
        self._size = 0
        private_dirs(path.parent)
        for existing in self.files():  # written by an older version with the umask's mode
            tighten(existing)

    def _rotate(self) -> None:
        self._close()
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def _open(self) -> None:
        if self._file is not None:
            try:
                if os.fstat(self._file.fileno()).st_nlink > 0:
                    return  # still the live file
            except OSError:
                pass
            self._close()
        private_dirs(self.path.parent)
        self._file = os.fdopen(open_private(self.path), "ab")  # kept open across writes
        self._size = self._file.tell()

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            self._open()
            if self._size and self._size + len(line) > self.max_bytes:
                self._rotate()
                self._open()
            self._file.write(line)
            self._file.flush()
            self._size += len(line)

    def close(self) -> None:
        with self._lock:
            self._close()

    def files(self) -> list[Path]:
        """The live file then its backups, newest first."""
        names = [self.path] + [
            self.path.with_name(f"{self.path.name}.{n}") for n in range(1, self.backups + 1)
        ]
        return [p for p in names if p.exists()]


class BackgroundWriter:
    """One daemon thread that runs file writes in order, off the event loop.

    Jobs queue up to ``max_pending``; beyond that a job is dropped and counted (the audit
    must never stall or crash request handling). ``flush`` waits until the queue is done.
    """

    def __init__(self, name: str, max_pending: int = 10_000) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(max_pending)
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> bool:
        try:
            self._jobs.put_nowait(job)
            return True
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error("audit writer is behind: %d jobs dropped", self.dropped)
            return False

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Block until every job queued so far ran; False on timeout."""
        done = threading.Event()
        if not self.submit(done.set):
            return False
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        if self._thread.is_alive():
            self.flush(timeout_s)
            self._jobs.put(None)
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                logger.exception("audit write failed")


class RawInputStore:
    """Raw stage inputs under ``<dir>/<YYYY-MM-DD>/<request id>/<stage>``; old days deleted."""

    def __init__(self, root: Path, retention_days: float) -> None:
        self.root = root
        self.retention_s = retention_days * 86400

    def put(self, request_id: str, stage: str, data: bytes | str, now: float | None = None) -> Path:
        day = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y-%m-%d")
        folder = private_dirs(self.root / day / _SAFE_NAME.sub("_", request_id)[:128])
        path = folder / _SAFE_NAME.sub("_", stage)[:64]
        write_private(path, data.encode() if isinstance(data, str) else data)
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
        self.writer = BackgroundWriter(f"audit-{_SAFE_NAME.sub('_', replica_id)}")

    def keep_raw(self, ctx: RequestContext, stage: str, data: bytes | str) -> None:
        """Remember one stage's raw input (only when ``keep_raw_inputs`` is on)."""
        if self.settings.enabled and self.settings.keep_raw_inputs:
            ctx.raw_inputs[stage] = data

    async def on_request(self, ctx: RequestContext) -> None:
        if self.settings.enabled and self.settings.keep_raw_inputs and ctx.body is not None:
            ctx.raw_inputs.setdefault("request", ctx.body.model_dump_json(exclude_none=True))

    def record(self, ctx: RequestContext, completion: RequestRecord) -> dict[str, Any]:
        return {
            "time": datetime.fromtimestamp(ctx.started_at, UTC).isoformat(timespec="milliseconds"),
            "request_id": ctx.request_id,
            "key_id": ctx.key_id,
            "client": ctx.client,
            "route": ctx.route,
            "pipeline": completion.route,
            "model": ctx.model or completion.model,
            "status": completion.status,
            "error": completion.error,
            "rejected_by": ctx.rejected_by,
            "risk": round(ctx.risk, 3),
            "verdicts": [v.to_dict() for v in ctx.verdicts],
            "denied_tools": ctx.denied_tools,
            "stages": completion.stage_names,
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

    async def on_complete(self, ctx: RequestContext, completion: RequestRecord) -> None:
        if not self.settings.enabled:
            return
        record = self.record(ctx, completion)
        raw = dict(ctx.raw_inputs) if self.settings.keep_raw_inputs else {}
        purge = time.monotonic() - self._last_purge > self.settings.purge_interval_s
        if purge:
            self._last_purge = time.monotonic()
        # Encoding and file I/O run on the writer thread: the event loop only builds the dict.
        self.writer.submit(lambda: self._write(record, ctx.request_id, ctx.started_at, raw, purge))

    def _write(
        self,
        record: dict[str, Any],
        request_id: str,
        started_at: float,
        raw: dict[str, bytes | str],
        purge: bool,
    ) -> None:
        self.log.write(record)
        for stage, data in raw.items():
            self.raw.put(request_id, stage, data, started_at)
        if purge:
            removed = self.raw.purge()
            if removed:
                logger.info("deleted %d expired raw-input folders", removed)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every audit line so far is on disk."""
        return self.writer.flush(timeout_s)

    async def close(self) -> None:
        self.writer.close()
        self.log.close()
