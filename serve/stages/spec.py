"""What the registry knows about a stage, and the enums the routing config is written in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serve.config.schema import AppConfig
    from serve.stages.adapter import StageAdapter


class InputKind(StrEnum):
    """What the planner recognises in a request: the keys of the routing table."""

    TEXT = "text"
    PDF = "pdf"
    IMAGE = "image"
    AUDIO = "audio"
    URL = "url"


class StageKind(StrEnum):
    """Stage families; each has its own default timeout."""

    PERCEPTION = "perception"
    ACTION = "action"
    LLM = "llm"
    SERVICE = "service"  # used by other deployments or endpoints, not by the pipeline


# Builds a stage's bound deployment: (app config, deployments bound so far by name) → node.
Builder = Callable[["AppConfig", dict[str, Any]], Any]


@dataclass(frozen=True)
class StageSpec:
    """One row of the stage registry; every other view of the catalogue derives from these."""

    name: str  # routing-table name, trace name, deployment name
    kind: StageKind
    method: str  # the deployment method the router calls
    settings_path: str  # where its settings live in AppConfig, e.g. "perception.ocr"
    adapter: type[StageAdapter] | None  # None: a service deployment, not a pipeline stage
    build: Builder
    tool: bool = False  # an action the gateway may deny per key or after an injection
    describe: bool = False  # /healthz includes the deployment's describe()
    reads: tuple[InputKind, ...] = ()  # media kinds this stage can read
    needs: tuple[str, ...] = field(default=())  # deployments it is bound to (built first)
    # a lookup beyond the request (the key's library): run only when the small stack cannot
    # answer from the request's own inputs, or the answer goes to the LLM
    deferred: bool = False

    def settings(self, config: AppConfig) -> Any:
        value: Any = config
        for part in self.settings_path.split("."):
            value = getattr(value, part)
        return value

    def enabled(self, config: AppConfig) -> bool:
        return bool(self.settings(config).enabled)
