"""Coalesces concurrent embed calls into shared forward passes (one worker per replica)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Pending:
    texts: list[str]
    future: asyncio.Future = field(repr=False)


class MicroBatcher:
    """Queue texts from many callers; run ``encode`` on up to ``max_batch`` texts at a time.

    ``encode`` is blocking (a model forward pass) and runs in a worker thread, so the event
    loop keeps accepting requests while the model works. A single request larger than
    ``max_batch`` runs alone (``encode`` batches internally).
    """

    def __init__(self, encode: Callable[[list[str]], list[list[float]]], max_batch: int) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task | None = None

    async def submit(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._run())
        pending = _Pending(list(texts), loop.create_future())
        await self._queue.put(pending)
        return await pending.future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            group = [await self._queue.get()]
            size = len(group[0].texts)
            while not self._queue.empty() and size < self._max_batch:
                nxt = self._queue.get_nowait()
                group.append(nxt)
                size += len(nxt.texts)
            live = [p for p in group if not p.future.done()]
            if not live:
                continue
            texts = [t for p in live for t in p.texts]
            try:
                vectors = await asyncio.to_thread(self._encode, texts)
            except Exception as exc:  # every waiting caller gets the error, the worker lives on
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            offset = 0
            for p in live:
                if not p.future.done():
                    p.future.set_result(vectors[offset : offset + len(p.texts)])
                offset += len(p.texts)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
