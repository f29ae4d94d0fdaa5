"""Run CPU-heavy guard work inline when the input is small and in worker processes when it
is large, so one big text never stalls the router's event loop.

Processes, not threads: regex scanning holds the GIL for a whole ``finditer`` step (a scan of
the rest of the text when nothing matches), so a thread would still freeze the event loop for
that long. Each worker is ``python -m serve.gateway.offload``, reading pickled jobs on stdin
and writing pickled results on stdout: unlike ``multiprocessing``'s spawn it never re-imports
the host's ``__main__`` (a Ray worker, a script), and it exits when the host dies (EOF).
Workers start lazily or at warm-up, run at a lowered CPU priority, and are shared by the hooks
of one process; small inputs never pay the round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, TypeVar

logger = logging.getLogger(__name__)

R = TypeVar("R")

# Below this many characters in one call the work runs inline: rules and detectors take about
# 1 ms per KB of text (so a few ms at most), a round trip to a worker well under 1 ms.
OFFLOAD_MIN_CHARS = 4 * 1024
# Jobs this long (about 0.1 s of scanning and up) run in their own lane of workers.
LARGE_CHARS = 64 * 1024
WORKER_NICE = 5  # workers yield the CPU to the router process under contention
_HEADER = 8  # bytes of the big-endian length before each pickled message


class WorkerDied(RuntimeError):
    """A worker process exited (killed, out of memory) before answering."""


def _run_batch(
    fn: Callable[..., R], items: Sequence[Any], args: tuple, kwargs: dict[str, Any]
) -> list[R]:
    return [fn(item, *args, **kwargs) for item in items]


def _write(stream: IO[bytes], payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class WorkerProcess:
    """One worker: a child Python running :func:`serve_jobs`; one job at a time."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "serve.gateway.offload"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )

    def call(self, fn: Callable[..., R], items: Sequence[Any], args: tuple, kwargs: dict) -> Any:
        try:
            _write(self.proc.stdin, (fn, list(items), args, kwargs))
            ok, payload = _read(self.proc.stdout)
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"guard worker {self.proc.pid} exited ({exc!r})") from exc
        if not ok:
            raise payload
        return payload

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # the worker exits on EOF
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class _Lane:
    """Worker slots for jobs of one size class, and the threads that wait on their pipes
    (blocked on I/O they hold no GIL). A slot's process starts when first needed."""

    def __init__(self, name: str, workers: int) -> None:
        self.workers = workers
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix=f"guard-{name}")
        self.idle: queue.Queue[WorkerProcess | None] = queue.Queue()
        for _ in range(workers):
            self.idle.put(None)


class Offloader:
    """Maps a picklable function over items: inline below ``min_chars`` in all, else in
    worker processes (threads with ``kind="thread"``).

    Two lanes, so that a medium input never queues behind a huge one: jobs of
    ``large_chars`` or more run on ``workers`` workers, shorter ones on a worker of their own.
    """

    def __init__(
        self,
        min_chars: int = OFFLOAD_MIN_CHARS,
        workers: int | None = None,
        kind: str = "process",
        large_chars: int = LARGE_CHARS,
    ) -> None:
        self.min_chars = min_chars
        self.large_chars = large_chars
        self.workers = workers or max(1, min(2, (os.cpu_count() or 2) - 1))
        self.kind = kind
        self._lanes = {"large": _Lane("large", self.workers), "small": _Lane("small", 1)}
        self._started: list[WorkerProcess] = []
        self.offloaded = 0  # calls that went to a worker (for tests and metrics)

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.proc.pid for w in self._started if w.alive]

    def inline(self, size: int) -> bool:
        return size < self.min_chars

    def _call(
        self, lane: _Lane, fn: Callable[..., R], items: Sequence[Any], args: tuple, kwargs: dict
    ) -> Any:
        if self.kind == "thread":
            return _run_batch(fn, items, args, kwargs)
        worker = lane.idle.get()
        try:
            if worker is None or not worker.alive:
                if worker is not None:
                    worker.stop()
                    worker = None
                try:
                    worker = WorkerProcess()
                except OSError as exc:  # no subprocesses here (sandbox): screen in threads
                    logger.warning("guard workers cannot start (%s); screening in threads", exc)
                    self.kind = "thread"
                    return _run_batch(fn, items, args, kwargs)
                self._started = [w for w in self._started if w.alive] + [worker]
            return worker.call(fn, items, args, kwargs)
        except WorkerDied:
            worker.stop()
            worker = None
            raise
        finally:
            lane.idle.put(worker)

    def warm_up(self) -> None:
        """Start the workers now (blocking until each answered once)."""
        futures = [
            lane.threads.submit(self._call, lane, os.getpid, [], (), {})
            for lane in self._lanes.values()
            for _ in range(lane.workers)
        ]
        for future in futures:
            future.result()

    async def map(
        self, fn: Callable[..., R], items: Sequence[Sized], *args: Any, **kwargs: Any
    ) -> list[R]:
        """``[fn(item, *args, **kwargs) for item in items]``, off the event loop when the items
        are long (``len``). ``fn`` and its arguments must pickle.

        Items are grouped into about ``workers`` jobs of similar size, each at least
        ``min_chars`` (a huge item is a job of its own). A job whose worker died is retried
        once on a fresh worker.
        """
        sizes = [len(item) for item in items]
        if self.inline(sum(sizes)):
            return [fn(item, *args, **kwargs) for item in items]
        jobs = _group(sizes, max(self.min_chars, sum(sizes) // self.workers))
        loop = asyncio.get_running_loop()

        async def run(job: list[int]) -> list[R]:
            batch = [items[i] for i in job]
            large = sum(sizes[i] for i in job) >= self.large_chars
            lane = self._lanes["large" if large else "small"]
            for attempt in (1, 2):
                try:
                    return await loop.run_in_executor(
                        lane.threads, self._call, lane, fn, batch, args, kwargs
                    )
                except WorkerDied:
                    if attempt == 2:
                        raise
                    logger.warning("a guard worker died; retrying its job on a fresh one")
            raise AssertionError("unreachable")

        parts = await asyncio.gather(*(run(job) for job in jobs))
        self.offloaded += 1
        out: list[R] = [None] * len(items)  # type: ignore[list-item]
        for job, results in zip(jobs, parts, strict=True):
            for i, result in zip(job, results, strict=True):
                out[i] = result
        return out

    def close(self) -> None:
        """Stop the workers (a busy one is killed after 2 s)."""
        started, self._started = self._started, []
        for worker in started:
            worker.stop()
        for lane in self._lanes.values():
            lane.threads.shutdown(wait=False)


def _group(sizes: list[int], target: int) -> list[list[int]]:
    """Consecutive item indexes in groups of about ``target`` characters."""
    jobs: list[list[int]] = [[]]
    filled = 0
    for i, n in enumerate(sizes):
        if jobs[-1] and filled + n > target:
            jobs.append([])
            filled = 0
        jobs[-1].append(i)
        filled += n
    return jobs


_shared: Offloader | None = None
_shared_lock = threading.Lock()


def shared_offloader() -> Offloader:
    """The process-wide offloader the guard hooks use by default."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Offloader()
        return _shared


def serve_jobs(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker loop: one pickled ``(fn, items, args, kwargs)`` in, ``(ok, result)`` out,
    until the host closes the pipe."""
    while True:
        try:
            fn, items, args, kwargs = _read(stdin)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, _run_batch(fn, items, args, kwargs))
        except Exception as exc:
            reply = (False, exc)
        try:
            _write(stdout, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            _write(stdout, (False, RuntimeError(f"unpicklable worker result: {exc!r}")))


def _main() -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    import serve.gateway.screening  # noqa: F401 - compile the patterns before the first job

    serve_jobs(stdin, stdout)


if __name__ == "__main__":
    _main()
