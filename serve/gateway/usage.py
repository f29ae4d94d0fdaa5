"""Per-key usage written to the key store in batches (what ``ifz keys usage`` reads)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from serve.gateway.keys import KeyStore, UsageRow

logger = logging.getLogger(__name__)


class UsageRecorder:
    """Sums usage in memory and adds it to SQLite at most every ``flush_s`` (off the loop)."""

    def __init__(self, store: KeyStore, flush_s: float) -> None:
        self.store = store
        self.flush_s = flush_s
        self._pending: dict[tuple[str, str], list[float]] = {}
        self._last_flush = time.monotonic()
        self._flushing: asyncio.Task | None = None

    def add(
        self,
        key_id: str,
        *,
        rejected: bool,
        prompt_tokens: int,
        completion_tokens: int,
        cost: float,
    ) -> None:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        row = self._pending.setdefault((key_id, day), [0, 0, 0, 0, 0.0])
        row[0] += 1
        row[1] += int(rejected)
        row[2] += prompt_tokens
        row[3] += completion_tokens
        row[4] += cost

    def _take(self) -> list[UsageRow]:
        pending, self._pending = self._pending, {}
        self._last_flush = time.monotonic()
        return [
            UsageRow(k, d, int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4])
            for (k, d), r in pending.items()
        ]

    async def maybe_flush(self) -> None:
        """Flush in a worker thread when the interval has passed and no flush is running."""
        if not self._pending or time.monotonic() - self._last_flush < self.flush_s:
            return
        if self._flushing is not None and not self._flushing.done():
            return
        rows = self._take()
        self._flushing = asyncio.create_task(self._write(rows))
        if self.flush_s == 0:
            await self._flushing

    async def _write(self, rows: list[UsageRow]) -> None:
        try:
            await asyncio.to_thread(self.store.add_usage, rows)
        except Exception:
            logger.exception("could not write key usage (%d rows)", len(rows))

    async def flush(self) -> None:
        if self._flushing is not None:
            await self._flushing
        if self._pending:
            await self._write(self._take())
