"""A short scaled spike: the router scales up, sheds overload with 503 + Retry-After, scales down.

Runs its own small app in a child process (``loadtest.spike_app``: router only, LLM and stages
off; router min 1 / max 3 replicas, 2 s upscale / 8 s downscale delay, max_ongoing 8,
max_queued 16; Serve's backpressure 503s carry Retry-After through the shim in
``loadtest/backpressure.py``), drives it with a bounded burst of arithmetic questions from
asyncio/httpx on 127.0.0.1, and asserts on replica counts and error classes — not on rps.
"""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "loadtest" / "profiles" / "spike-local.yaml"
CONCURRENCY = 48
MAX_LOAD_S = 30.0
MIN_LOAD_S = 8.0
DOWNSCALE_WAIT_S = 75.0
QUESTIONS = [f"What is {a} * {b}?" for a, b in [(17, 23), (128, 9), (404, 77), (31, 31)]]


class SpikeApp:
    """The child process and the replica counts it reports."""

    def __init__(self) -> None:
        cmd = [
            sys.executable, "-m", "loadtest.spike_app", "--profile", str(PROFILE),
            "--retry-after", "1", "--only-stages=", "--interval", "0.5",
            "--max-lifetime", "280",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue = queue.Queue()
        self.history: list[tuple[float, int]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue

    def base_url(self, timeout_s: float = 180) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"spike app exited with {self.process.returncode}")
            try:
                message = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if "base_url" in message:
                return message["base_url"]
        raise TimeoutError("spike app did not become healthy")

    def router_replicas(self) -> int | None:
        """Drain the reported counts; the latest router count (None before any report)."""
        while True:
            try:
                message = self.lines.get_nowait()
            except queue.Empty:
                break
            if "running" in message and "router" in message["running"]:
                self.history.append((message["t"], message["running"]["router"]))
        return self.history[-1][1] if self.history else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def spike_app():
    app = SpikeApp()
    try:
        yield app, app.base_url()
    finally:
        app.stop()


async def _burst(base_url: str, app: SpikeApp) -> list[tuple[object, str | None]]:
    """CONCURRENCY closed-loop clients until the router scaled up (and MIN_LOAD_S passed).

    Clients honour Retry-After (at most 1 s), as the openai client does.
    """
    results: list[tuple[object, str | None]] = []
    started = time.monotonic()

    def done() -> bool:
        elapsed = time.monotonic() - started
        replicas = app.router_replicas() or 1
        return elapsed >= MAX_LOAD_S or (elapsed >= MIN_LOAD_S and replicas > 1)

    async def client(index: int, http: httpx.AsyncClient) -> None:
        n = index
        while not done():
            body = {
                "model": "interfaze",
                "messages": [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}],
            }
            n += 1
            try:
                response = await http.post(f"{base_url}/v1/chat/completions", json=body)
            except httpx.HTTPError as exc:
                results.append((type(exc).__name__, None))
                continue
            retry_after = response.headers.get("retry-after")
            results.append((response.status_code, retry_after))
            if retry_after:  # a well-behaved client backs off (bounded, to keep the test short)
                await asyncio.sleep(min(float(retry_after), 1.0))

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=15.0, limits=limits) as http:
        await asyncio.gather(*(client(i, http) for i in range(CONCURRENCY)))
    return results


def test_spike_scales_router_up_sheds_with_retry_after_and_scales_down(spike_app):
    app, base_url = spike_app
    assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200
    # serve.status() may still list the first router replica as starting for a moment after it
    # answers (the controller's view lags on a busy box): wait for it, up to 30 s.
    deadline = time.monotonic() + 30
    while app.router_replicas() != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert app.router_replicas() == 1, app.history[-5:]

    results = asyncio.run(_burst(base_url, app))
    load_end = time.time()
    outcomes = Counter(
        f"{status}+retry-after" if retry else str(status) for status, retry in results
    )
    peak = max(n for _, n in app.history)

    deadline = time.monotonic() + DOWNSCALE_WAIT_S
    while time.monotonic() < deadline and (app.router_replicas() or 0) > 1:
        time.sleep(1)
    final = app.router_replicas()
    back_at = next((t for t, n in app.history if t > load_end and n == 1), None)
    report = {
        "outcomes": dict(outcomes),
        "peak_router_replicas": peak,
        "final_router_replicas": final,
        "downscale_after_load_s": None if back_at is None else round(back_at - load_end, 1),
    }
    print(json.dumps(report))

    assert outcomes["200"] > 0, report
    failures = {k: v for k, v in outcomes.items() if k != "200"}
    assert set(failures) <= {"503+retry-after"}, f"only shed 503s with Retry-After: {report}"
    assert peak > 1, f"the router did not scale up: {report}"
    assert final == 1, f"the router did not scale back down: {report}"
