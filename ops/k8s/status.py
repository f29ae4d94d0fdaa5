"""RayService status as KubeRay reports it: conditions, applications, deployments."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

APP_RUNNING = "RUNNING"


class Condition(BaseModel):
    type: str
    status: str
    reason: str = ""
    message: str = ""


class DeploymentState(BaseModel):
    name: str
    status: str = "UNKNOWN"
    message: str = ""


class ApplicationState(BaseModel):
    name: str
    status: str = "UNKNOWN"
    message: str = ""
    deployments: list[DeploymentState] = Field(default_factory=list)


class ServiceState(BaseModel):
    """``activeServiceStatus`` or ``pendingServiceStatus`` of a RayService."""

    cluster: str = ""
    applications: list[ApplicationState] = Field(default_factory=list)
    target_capacity: int | None = None
    traffic_routed_percent: int | None = None

    @classmethod
    def from_status(cls, raw: dict[str, Any] | None) -> ServiceState:
        raw = raw or {}
        apps = []
        for app_name, app in sorted((raw.get("applicationStatuses") or {}).items()):
            deployments = [
                DeploymentState(
                    name=d_name, status=d.get("status", "UNKNOWN"), message=d.get("message", "")
                )
                for d_name, d in sorted((app.get("serveDeploymentStatuses") or {}).items())
            ]
            apps.append(
                ApplicationState(
                    name=app_name,
                    status=app.get("status", "UNKNOWN"),
                    message=app.get("message", ""),
                    deployments=deployments,
                )
            )
        return cls(
            cluster=raw.get("rayClusterName", ""),
            applications=apps,
            target_capacity=raw.get("targetCapacity"),
            traffic_routed_percent=raw.get("trafficRoutedPercent"),
        )


class RayServiceStatus(BaseModel):
    """What ``ifz k8s status`` shows and ``ifz k8s deploy`` waits on."""

    name: str
    namespace: str = ""
    generation: int | None = None
    observed_generation: int | None = None
    conditions: list[Condition] = Field(default_factory=list)
    service_status: str = ""
    num_serve_endpoints: int | None = None
    active: ServiceState = Field(default_factory=ServiceState)
    pending: ServiceState = Field(default_factory=ServiceState)

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> RayServiceStatus:
        meta, status = obj.get("metadata") or {}, obj.get("status") or {}
        return cls(
            name=meta.get("name", ""),
            namespace=meta.get("namespace", ""),
            generation=meta.get("generation"),
            observed_generation=status.get("observedGeneration"),
            conditions=[Condition.model_validate(c) for c in status.get("conditions") or []],
            service_status=status.get("serviceStatus") or "",
            num_serve_endpoints=status.get("numServeEndpoints"),
            active=ServiceState.from_status(status.get("activeServiceStatus")),
            pending=ServiceState.from_status(status.get("pendingServiceStatus")),
        )

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    @property
    def up_to_date(self) -> bool:
        """KubeRay has seen the latest spec (when both generations are known)."""
        if self.generation is None or self.observed_generation is None:
            return True
        return self.observed_generation >= self.generation

    @property
    def ready(self) -> bool:
        """Ready condition true (or serviceStatus Running on old KubeRay), the spec observed,
        no upgrade in flight, every application RUNNING."""
        ready = self.condition("Ready")
        serving = ready.status == "True" if ready else self.service_status == "Running"
        upgrading = self.condition("UpgradeInProgress")
        apps = self.active.applications
        return (
            serving
            and self.up_to_date
            and not (upgrading and upgrading.status == "True")
            and bool(apps)
            and all(a.status == APP_RUNNING for a in apps)
        )

    def summary(self) -> str:
        """One line, for progress output while waiting."""
        ready = self.condition("Ready")
        state = f"Ready={ready.status}" if ready else f"serviceStatus={self.service_status or '-'}"
        apps = ", ".join(f"{a.name}={a.status}" for a in self.active.applications) or "no apps yet"
        pending = ", ".join(f"{a.name}={a.status}" for a in self.pending.applications)
        return f"{self.name}: {state}; {apps}" + (f"; pending {pending}" if pending else "")

    def render(self) -> str:
        """Multi-line report: conditions, then applications and deployments per cluster."""
        lines = [f"RayService {self.namespace + '/' if self.namespace else ''}{self.name}"]
        lines.append(f"  ready: {'yes' if self.ready else 'no'}")
        if self.service_status:
            lines.append(f"  serviceStatus: {self.service_status}")
        if self.num_serve_endpoints is not None:
            lines.append(f"  serve endpoints: {self.num_serve_endpoints}")
        if not self.up_to_date:
            lines.append(
                f"  spec generation {self.generation} not yet observed "
                f"(observed {self.observed_generation})"
            )
        for c in self.conditions:
            detail = f" ({c.reason})" if c.reason else ""
            message = f": {c.message}" if c.message else ""
            lines.append(f"  condition {c.type}={c.status}{detail}{message}")
        for label, state in (("active", self.active), ("pending", self.pending)):
            if not state.cluster and not state.applications:
                continue
            extra = []
            if state.target_capacity is not None:
                extra.append(f"target capacity {state.target_capacity}%")
            if state.traffic_routed_percent is not None:
                extra.append(f"traffic {state.traffic_routed_percent}%")
            suffix = f" ({', '.join(extra)})" if extra else ""
            lines.append(f"  {label} cluster {state.cluster or '?'}{suffix}")
            for app in state.applications:
                message = f": {app.message}" if app.message else ""
                lines.append(f"    application {app.name}: {app.status}{message}")
                for dep in app.deployments:
                    message = f": {dep.message}" if dep.message else ""
                    lines.append(f"      deployment {dep.name}: {dep.status}{message}")
        return "\n".join(lines)
