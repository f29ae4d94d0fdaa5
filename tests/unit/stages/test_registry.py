"""The stage registry is the one catalogue: every other view derives from it."""

import pytest
from pydantic import ValidationError

from serve.app_builder import required_deployments
from serve.config.loader import load_config
from serve.config.schema import Route
from serve.gateway.context import RequestContext
from serve.stages.adapter import StageAdapter
from serve.stages.registry import (
    DESCRIBED_STAGES,
    PIPELINE_STAGES,
    REGISTRY,
    ROUTABLE,
    SPECS,
    TOOL_STAGES,
)
from serve.stages.spec import StageKind


def test_every_pipeline_stage_has_an_adapter_a_method_and_settings():
    config = load_config("local")
    for spec in REGISTRY:
        assert spec.settings(config) is not None
        assert callable(spec.build)
        if spec.name in PIPELINE_STAGES:
            assert issubclass(spec.adapter, StageAdapter) and spec.adapter.name == spec.name
            assert spec.method


def test_derived_views():
    assert set(PIPELINE_STAGES) == {"ocr", "chart", "asr", "browse", "execute", "retrieve"}
    assert set(TOOL_STAGES) == {"browse", "execute", "retrieve"}
    assert set(TOOL_STAGES) <= set(PIPELINE_STAGES)
    assert set(DESCRIBED_STAGES) <= set(SPECS)
    assert ROUTABLE["llm"] is StageKind.LLM and "embed" not in ROUTABLE and "index" not in ROUTABLE


def test_routes_may_name_only_registered_stages():
    Route(pipeline=["ocr", "llm"])
    with pytest.raises(ValidationError, match="unknown stage"):
        Route(pipeline=["ocr", "telepathy"])
    with pytest.raises(ValidationError, match="unknown stage"):
        Route(pipeline=["embed"])  # a service, not a pipeline stage


def test_timeouts_follow_the_stage_family():
    timeouts = load_config("local").routing.timeouts
    assert timeouts.for_stage("ocr") == timeouts.perception_ms / 1000
    assert timeouts.for_stage("browse") == timeouts.action_ms / 1000
    assert timeouts.for_stage("llm") == timeouts.llm_ms / 1000


def test_gateway_tool_list_comes_from_the_registry():
    ctx = RequestContext("r")
    ctx.deny_tools(["execute"], "injection")
    assert ctx.allowed_stages(["ocr", "execute", "browse"]) == ["ocr", "browse"]


def test_dependencies_are_deployed_with_what_needs_them():
    config = load_config("local")
    order = required_deployments(config)
    assert set(order) == {s.name for s in REGISTRY}
    for spec in REGISTRY:  # every deployment is built after what it needs
        assert all(order.index(need) < order.index(spec.name) for need in spec.needs)
    off = {"enabled": False}
    lean = load_config("local", {"embed": off, "actions": {"retrieve": off, "index": off}})
    assert not {"embed", "retrieve", "index"} & set(required_deployments(lean))
    # The index needs the embedder and the store, even when neither is enabled on its own.
    index_only = load_config("local", {"embed": off, "actions": {"retrieve": off}})
    assert {"embed", "retrieve", "index"} <= set(required_deployments(index_only))
