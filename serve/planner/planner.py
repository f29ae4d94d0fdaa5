"""Pick the pipeline for a request from the decision table (routing.yaml)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from serve.api.errors import UnsupportedMedia
from serve.api.protocol import ChatMessage
from serve.config.schema import STAGE_KINDS, InputKind, RoutingTable, StageKind
from serve.planner.inputs import InputInventory, inspect_messages

# Media kinds need a perception stage: without one, the request cannot be read at all.
MEDIA_KINDS = (InputKind.PDF, InputKind.IMAGE, InputKind.AUDIO)
KIND_PRIORITY = (InputKind.PDF, InputKind.IMAGE, InputKind.AUDIO, InputKind.URL, InputKind.TEXT)


@dataclass
class Plan:
    """The stages to run for one request, and the confidence that skips the LLM."""

    route: str
    stages: list[str]
    escalation_threshold: float
    inventory: InputInventory
    skipped: dict[str, str] = field(default_factory=dict)
    llm_only: bool = False  # the bare-LLM baseline: same extraction, no small-stack answer

    @property
    def uses_llm(self) -> bool:
        return "llm" in self.stages


class Planner:
    """Maps an inventory of input kinds onto a pipeline of available stages."""

    def __init__(self, routing: RoutingTable, available_stages: Collection[str]) -> None:
        self.routing = routing
        self.available = set(available_stages)

    def plan(self, messages: list[ChatMessage], *, llm_only: bool = False) -> Plan:
        inventory, unreadable = inspect_messages(messages)
        if unreadable:
            raise UnsupportedMedia(
                "cannot read content part(s): " + ", ".join(unreadable),
                code="unsupported_content_part",
            )
        kinds = [k for k in KIND_PRIORITY if k in inventory.kinds] or [InputKind.TEXT]
        stages: list[str] = []
        skipped: dict[str, str] = {}
        for kind in kinds:
            route = self.routing.routes.get(kind) or self.routing.routes[InputKind.TEXT]
            for stage in route.pipeline:
                if stage in stages or stage in skipped:
                    continue
                if stage in self.available:
                    stages.append(stage)
                    continue
                skipped[stage] = "not deployed"
        readable = self._readable_media(kinds, stages)
        if readable:
            raise UnsupportedMedia(
                f"no deployed stage can read {readable} input (enable the perception "
                "deployments in the config)",
                code="unsupported_content_part",
            )
        if "llm" in stages:  # the final answer stage always runs last
            stages = [s for s in stages if s != "llm"] + ["llm"]
        threshold = min(
            (
                self.routing.routes[k].escalation_threshold
                for k in kinds
                if k in self.routing.routes
            ),
            default=self.routing.routes[InputKind.TEXT].escalation_threshold,
        )
        if llm_only and "llm" not in stages:
            raise UnsupportedMedia("the LLM deployment is not available", code="llm_unavailable")
        return Plan(kinds[0].value, stages, threshold, inventory, skipped, llm_only=llm_only)

    def _readable_media(self, kinds: list[InputKind], stages: list[str]) -> list[str]:
        """Media kinds in the request whose route has no perception stage running."""
        missing = []
        for kind in kinds:
            if kind not in MEDIA_KINDS:
                continue
            route = self.routing.routes.get(kind)
            perception = [
                s
                for s in (route.pipeline if route else [])
                if STAGE_KINDS[s] is StageKind.PERCEPTION
            ]
            if not any(s in stages for s in perception):
                missing.append(kind.value)
        return missing
