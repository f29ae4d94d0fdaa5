"""Locust users for interfaze-serve: the realistic request mix, and a no-op path.

    # closed loop (no shape), 20 users, the local mix, 30 s:
    .venv/bin/locust -f loadtest/locustfile.py MixUser --headless -u 20 -r 20 -t 30s \\
        --host http://127.0.0.1:8000 --ifz-mix local
    # a shaped run (spike/steady from mix.yaml) — or use `ifz loadtest run`:
    .venv/bin/locust -f loadtest/locustfile.py,loadtest/locust_shape.py MixUser --headless \\
        --host http://127.0.0.1:8000 --ifz-shape spike-local --ifz-mix router

Users: ``MixUser`` posts chat requests drawn from a mix in ``mix.yaml`` (categories weighted,
payloads pre-generated once and reused; each request is named by its category);
``NoopUser`` sends ``GET /v1/models`` (ingress + router, no pipeline). Every non-2xx is a
failure; ``--ifz-request-log`` keeps each request's status and outcome class
(``503+retry-after``, ``timeout``, ...). Sends only to ``--host``.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `loadtest.*`

from locust import FastHttpUser, events, task
from locust.runners import WorkerRunner

from loadtest.locust_options import RunOptions, add_options, resolve
from loadtest.request_log import RequestLog, RequestRecord, classify

JSON_HEADERS = {"content-type": "application/json"}
CHAT_PATH = "/v1/chat/completions"

_state: dict[str, Any] = {"options": None, "log": None, "users": 0}


@events.init_command_line_parser.add_listener
def _add_options(parser: Any) -> None:
    add_options(parser)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    options: RunOptions = resolve(environment.parsed_options)
    _state["options"] = options
    timeouts = options.config.timeouts
    for user in (MixUser, NoopUser):
        user.connection_timeout = timeouts.connect_s
        user.network_timeout = timeouts.request_s
    if options.request_log:
        path = Path(options.request_log)
        if isinstance(environment.runner, WorkerRunner):
            path = path.with_name(f"{path.stem}-{environment.runner.client_id}{path.suffix}")
        _state["log"] = RequestLog(path)


@events.request.add_listener
def _on_request(
    name: str,
    response_time: float,
    response: Any = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    log: RequestLog | None = _state["log"]
    if log is None:
        return
    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("retry-after") if status else None
    error = f"{type(exception).__name__}: {exception}" if exception and not status else None
    t = start_time if start_time is not None else time.time() - response_time / 1000
    log.add(RequestRecord(t, name, status, classify(status, retry_after, error), response_time))


@events.quitting.add_listener
def _on_quit(**_: Any) -> None:
    if _state["log"] is not None:
        _state["log"].close()


class _PacedUser(FastHttpUser):
    """Sends ``pace_rps`` requests/s (a random phase per user); no pacing when it is 0."""

    abstract = True

    def on_start(self) -> None:
        options: RunOptions = _state["options"]
        self._interval = 1.0 / options.pace_rps if options.pace_rps > 0 else 0.0
        self._last = time.monotonic() - random.random() * self._interval

    def wait_time(self) -> float:
        if not self._interval:
            return 0.0
        now = time.monotonic()
        self._last = max(self._last + self._interval, now)  # late: go now, no catch-up burst
        return max(0.0, self._last - now)


class MixUser(_PacedUser):
    """Chat requests from the configured mix, named by category."""

    def on_start(self) -> None:
        super().on_start()
        _state["users"] += 1
        options: RunOptions = _state["options"]
        self.mix = options.request_mix(seed_offset=_state["users"])
        self.bodies: dict[int, bytes] = {}

    def _encoded(self, body: str) -> bytes:
        key = id(body)
        if key not in self.bodies:
            self.bodies[key] = body.encode()
        return self.bodies[key]

    @task
    def chat(self) -> None:
        category, body = self.mix.next()
        with self.client.post(
            CHAT_PATH,
            data=self._encoded(body),
            headers=JSON_HEADERS,
            name=category,
            catch_response=True,
        ) as response:
            if 200 <= response.status_code < 300:
                response.success()
            else:
                status = response.status_code
                retry = response.headers.get("retry-after") if status else None
                response.failure(f"HTTP {status} ({classify(status, retry, str(response.error))})")


class NoopUser(_PacedUser):
    """``GET /v1/models``: the ingress and the router's HTTP layer, nothing downstream."""

    @task
    def models(self) -> None:
        self.client.get("/v1/models", name="noop")
