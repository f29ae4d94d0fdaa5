"""Health reporting and the /metrics relay of the router."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from serve.api.health.readiness import Readiness
from serve.llm.client import LLMClient
from serve.stages.registry import DESCRIBED_STAGES


class HealthReporter:
    """``/healthz``: ``ok`` when every downstream deployment answers its health check and this
    replica's warm-ups are done; ``starting`` during warm-up, ``degraded`` when a deployment
    fails or does not answer within ``probe_timeout_s``.

    Probes run in parallel, each with its own short deadline, so a dead deployment is reported
    in about ``probe_timeout_s`` (not the sum of timeouts). The report is cached for
    ``max_age_s`` and concurrent callers share one refresh, so frequent polling (load
    balancers, `ifz serve`) costs at most one probe round per ``max_age_s``. The static part
    of a deployment's report (``describe``) is fetched once.
    """

    def __init__(
        self,
        llm: LLMClient | None,
        profile: str,
        stage_handles: dict[str, Any] | None = None,
        *,
        probe_timeout_s: float = 0.8,
        max_age_s: float = 1.0,
        readiness: Readiness | None = None,
    ) -> None:
        self.llm = llm
        self.profile = profile
        self.stage_handles = {k: v for k, v in (stage_handles or {}).items() if v is not None}
        self.probe_timeout_s = probe_timeout_s
        self.max_age_s = max_age_s
        self.readiness = readiness or Readiness()
        self.started = time.time()
        self._described: dict[str, dict[str, Any]] = {}
        self._cached: tuple[float, dict[str, Any], bool] | None = None  # (at, reports, healthy)
        self._refreshing: asyncio.Task | None = None

    async def _stage_report(self, name: str, handle: Any) -> dict[str, Any]:
        try:
            await asyncio.wait_for(handle.check_health.remote(), timeout=self.probe_timeout_s)
            report: dict[str, Any] = {"status": "ok"}
            if name in DESCRIBED_STAGES:
                if name not in self._described:
                    self._described[name] = await asyncio.wait_for(
                        handle.describe.remote(), timeout=self.probe_timeout_s
                    )
                report.update(self._described[name])
            return report
        except TimeoutError:
            return {"status": "timeout", "timeout_s": self.probe_timeout_s}
        except Exception as exc:
            return {"status": "error", "error": type(exc).__name__}

    async def _llm_report(self) -> dict[str, Any]:
        if self.llm is None:
            return {"status": "disabled"}
        try:
            return {"status": "ok", **await self.llm.stats(timeout_s=self.probe_timeout_s)}
        except TimeoutError:
            return {"status": "timeout", "timeout_s": self.probe_timeout_s}
        except Exception as exc:
            return {"status": "error", "error": type(exc).__name__}

    async def _probe(self) -> tuple[float, dict[str, Any], bool]:
        names = list(self.stage_handles)
        *stage_reports, llm_report = await asyncio.gather(
            *(self._stage_report(n, self.stage_handles[n]) for n in names), self._llm_report()
        )
        deployments: dict[str, Any] = {"router": {"status": "ok"}}
        deployments.update(zip(names, stage_reports, strict=True))
        deployments["llm"] = llm_report
        healthy = all(r["status"] in ("ok", "disabled") for r in deployments.values())
        return time.monotonic(), deployments, healthy

    async def _deployments(self) -> tuple[dict[str, Any], bool]:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] <= self.max_age_s:
            return cached[1], cached[2]
        refreshing = self._refreshing
        if (
            refreshing is None
            or refreshing.done()
            or refreshing.get_loop() is not asyncio.get_running_loop()
        ):
            self._refreshing = asyncio.ensure_future(self._probe())
        # shield: a caller that disconnects does not cancel the refresh others wait on
        self._cached = await asyncio.shield(self._refreshing)
        return self._cached[1], self._cached[2]

    async def report(self) -> dict[str, Any]:
        deployments, healthy = await self._deployments()
        ready = self.readiness.ready
        status = "ok" if healthy and ready else ("degraded" if not healthy else "starting")
        report: dict[str, Any] = {
            "status": status,
            "profile": self.profile,
            "uptime_s": round(time.time() - self.started, 1),
            "deployments": deployments,
        }
        warm_ups = self.readiness.report()
        if warm_ups:
            report["warm_ups"] = warm_ups
        return report


def local_metrics_url() -> str | None:
    """Prometheus endpoint of the Ray metrics agent on this replica's node."""
    import ray

    if not ray.is_initialized():
        return None
    node_id = ray.get_runtime_context().get_node_id()
    for node in ray.nodes():
        if node.get("NodeID") == node_id and node.get("MetricsExportPort"):
            address = node.get("NodeManagerAddress") or "127.0.0.1"
            return f"http://{address}:{node['MetricsExportPort']}/metrics"
    return None


class MetricsRelay:
    """Relays the node's Prometheus text (``ray_serve_*`` and our ``ray_ifz_*`` series)."""

    def __init__(self, url: str | None = None) -> None:
        self._url = url

    async def scrape(self) -> str:
        url = self._url or await asyncio.to_thread(local_metrics_url)
        if url is None:
            return "# no Ray metrics agent reachable from this replica\n"
        self._url = url
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(url)
            response.raise_for_status()
            return response.text
