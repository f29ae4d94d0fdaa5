"""Health reporting and the /metrics relay of the router."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from serve.llm.client import LLMClient
from serve.stages.registry import DESCRIBED_STAGES


class HealthReporter:
    """``/healthz``: the router is up; ``degraded`` when a downstream deployment fails."""

    def __init__(
        self, llm: LLMClient | None, profile: str, stage_handles: dict[str, Any] | None = None
    ) -> None:
        self.llm = llm
        self.profile = profile
        self.stage_handles = {k: v for k, v in (stage_handles or {}).items() if v is not None}
        self.started = time.time()

    async def _stage_report(self, name: str, handle: Any) -> dict[str, Any]:
        try:
            await asyncio.wait_for(handle.check_health.remote(), timeout=5.0)
            report: dict[str, Any] = {"status": "ok"}
            if name in DESCRIBED_STAGES:
                report.update(await asyncio.wait_for(handle.describe.remote(), timeout=5.0))
            return report
        except TimeoutError:
            return {"status": "timeout"}
        except Exception as exc:
            return {"status": "error", "error": type(exc).__name__}

    async def report(self) -> dict[str, Any]:
        deployments: dict[str, Any] = {"router": {"status": "ok"}}
        status = "ok"
        names = list(self.stage_handles)
        reports = await asyncio.gather(
            *(self._stage_report(n, self.stage_handles[n]) for n in names)
        )
        for name, stage_report in zip(names, reports, strict=True):
            deployments[name] = stage_report
            if stage_report["status"] != "ok":
                status = "degraded"
        if self.llm is not None:
            try:
                stats = await self.llm.stats(timeout_s=5.0)
                deployments["llm"] = {"status": "ok", **stats}
            except TimeoutError:
                deployments["llm"] = {"status": "timeout"}
                status = "degraded"
            except Exception as exc:
                deployments["llm"] = {"status": "error", "error": type(exc).__name__}
                status = "degraded"
        else:
            deployments["llm"] = {"status": "disabled"}
        return {
            "status": status,
            "profile": self.profile,
            "uptime_s": round(time.time() - self.started, 1),
            "deployments": deployments,
        }


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
