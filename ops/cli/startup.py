"""Where start-up time goes: Ray, Serve, each deployment until healthy, warm-ups, ready.

:func:`ops.cli.serve_cmd.run_app` fills a :class:`StartupTimeline` while it waits; `ifz serve`
prints its summary and the benchmarks keep it as JSON.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StartupTimeline:
    """Seconds since ``started`` at which each step finished."""

    started: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)
    deployments: dict[str, float] = field(default_factory=dict)
    warm_ups: dict[str, Any] = field(default_factory=dict)

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 2)

    def mark(self, name: str) -> float:
        """Record ``name`` now (the first time only); returns its time."""
        return self.marks.setdefault(name, self.elapsed())

    def deployment_healthy(self, name: str) -> None:
        self.deployments.setdefault(name, self.elapsed())

    def observe_serve_status(self, app_name: str) -> tuple[str, str]:
        """Record every deployment of ``app_name`` that Serve reports HEALTHY by now; returns
        the application's status and message (``DEPLOY_FAILED`` says why)."""
        from ray import serve

        app = serve.status().applications.get(app_name)
        if app is None:
            return "", ""
        for name, status in app.deployments.items():
            if _value(status.status) == "HEALTHY":
                self.deployment_healthy(name)
        return _value(app.status), app.message or ""

    def observe_health(self, report: dict[str, Any]) -> None:
        """Record the router's warm-ups as ``/healthz`` reports them."""
        if report.get("warm_ups"):
            self.warm_ups = report["warm_ups"]
        if report.get("status") in ("ok", "starting"):
            self.mark("deployments_healthy")

    def as_dict(self) -> dict[str, Any]:
        return {
            "marks_s": dict(self.marks),
            "deployments_healthy_s": dict(sorted(self.deployments.items(), key=lambda kv: kv[1])),
            "router_warm_ups": self.warm_ups,
        }

    def summary(self) -> str:
        """One line: ``ray 7.4 s · serve 9.0 s · router 15.2 s · llm 61.0 s · ready 62.1 s``."""
        parts = [f"{name} {at:.1f} s" for name, at in self.marks.items() if name != "ready"]
        parts += [
            f"{name} {at:.1f} s"
            for name, at in sorted(self.deployments.items(), key=lambda kv: kv[1])
        ]
        warm = [f"{name} {w.get('s', 0):.1f} s" for name, w in self.warm_ups.items()]
        if warm:
            parts.append("router warm-ups: " + ", ".join(warm))
        if "ready" in self.marks:
            parts.append(f"ready {self.marks['ready']:.1f} s")
        return " · ".join(parts)


def _value(status: object) -> str:
    return str(getattr(status, "value", status))
