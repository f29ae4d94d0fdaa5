"""Pick the stages for a request from the decision table (routing.yaml)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from deployments.common.errors import Overloaded, UnprocessableContent
from serve.config.schema import RoutingTable
from serve.inputs.record import RequestInputs
from serve.stages.registry import LLM_STAGE, ROUTABLE, perception_stages_for
from serve.stages.spec import InputKind, StageKind

# Media kinds need a perception stage: without one, the request cannot be read at all.
MEDIA_KINDS = (InputKind.PDF, InputKind.IMAGE, InputKind.AUDIO)
KIND_PRIORITY = (InputKind.PDF, InputKind.IMAGE, InputKind.AUDIO, InputKind.URL, InputKind.TEXT)


@dataclass
class Plan:
    """The stages to run for one request, and the confidence that skips the LLM."""

    route: str
    stages: list[str]
    escalation_threshold: float
    skipped: dict[str, str] = field(default_factory=dict)
    llm_only: bool = False  # the bare-LLM baseline: same extraction, no small-stack answer

    @property
    def uses_llm(self) -> bool:
        return LLM_STAGE in self.stages

    def of_kind(self, kind: StageKind) -> list[str]:
        return [s for s in self.stages if ROUTABLE.get(s) is kind]

    def drop(self, denied: dict[str, str]) -> None:
        """Remove stages the gateway denies (per-key tools, injected instructions)."""
        self.stages = [s for s in self.stages if s not in denied]
        for stage, reason in denied.items():
            self.skipped.setdefault(stage, reason)


class Planner:
    """Maps the request's input kinds onto a pipeline of available stages."""

    def __init__(self, routing: RoutingTable, available_stages: Collection[str]) -> None:
        self.routing = routing
        self.available = set(available_stages)

    def plan(self, inputs: RequestInputs, *, llm_only: bool = False) -> Plan:
        present = inputs.kinds
        kinds = [k for k in KIND_PRIORITY if k in present] or [InputKind.TEXT]
        stages: list[str] = []
        skipped: dict[str, str] = {}
        for kind in kinds:
            route = self.routing.routes.get(kind) or self.routing.routes[InputKind.TEXT]
            for stage in route.pipeline:
                if stage in stages or stage in skipped:
                    continue
                if stage in self.available:
                    stages.append(stage)
                else:
                    skipped[stage] = "not deployed"
        unreadable = [k.value for k in kinds if k in MEDIA_KINDS and not self._readable(k, stages)]
        if unreadable:
            raise UnprocessableContent(
                f"no deployed stage can read {unreadable} input (enable the perception "
                "deployments in the config)",
                code="unsupported_content_part",
            )
        if LLM_STAGE in stages:  # the final answer stage always runs last
            stages = [s for s in stages if s != LLM_STAGE] + [LLM_STAGE]
        threshold = min(
            (
                self.routing.routes[k].escalation_threshold
                for k in kinds
                if k in self.routing.routes
            ),
            default=self.routing.routes[InputKind.TEXT].escalation_threshold,
        )
        if llm_only and LLM_STAGE not in stages:
            raise Overloaded(
                "the LLM deployment is not available", code="llm_unavailable", retry_after=30
            )
        return Plan(kinds[0].value, stages, threshold, skipped, llm_only=llm_only)

    def _readable(self, kind: InputKind, stages: list[str]) -> bool:
        """Does the route of a media kind have a perception stage that runs and reads it?"""
        route = self.routing.routes.get(kind)
        readers = set(perception_stages_for(kind))
        return any(s in stages and s in readers for s in (route.pipeline if route else []))
