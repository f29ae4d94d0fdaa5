import pytest

from deployments.common.errors import Overloaded, UnprocessableContent
from serve.config.loader import load_config
from serve.inputs.record import MediaInput, RequestInputs
from serve.pipeline.planner import Planner
from serve.stages.spec import InputKind

ROUTING = load_config("local").routing


def media(kind: InputKind, n: int = 1) -> MediaInput:
    prefix = {InputKind.PDF: "doc", InputKind.IMAGE: "img", InputKind.AUDIO: "audio"}[kind]
    return MediaInput(f"{prefix}{n}", kind, b"x", "application/octet-stream", "messages.0.content")


def inputs(question: str = "", *items: MediaInput, urls=()) -> RequestInputs:
    return RequestInputs(question=question, media=list(items), urls=list(urls))


def test_text_routes_to_llm_when_only_llm_is_deployed():
    plan = Planner(ROUTING, {"llm"}).plan(inputs("What is 2+2?"))
    assert plan.route == "text"
    assert plan.stages == ["llm"]
    assert plan.skipped == {"execute": "not deployed", "retrieve": "not deployed"}
    assert plan.escalation_threshold == ROUTING.routes["text"].escalation_threshold


def test_url_degrades_without_browser():
    plan = Planner(ROUTING, {"llm"}).plan(inputs("summarise it", urls=["https://example.com/"]))
    assert plan.route == "url"
    assert plan.stages == ["llm"]
    assert "browse" in plan.skipped


def test_media_without_perception_is_422():
    with pytest.raises(UnprocessableContent, match="image"):
        Planner(ROUTING, {"llm"}).plan(inputs("", media(InputKind.IMAGE)))


def test_media_with_perception_plans_union_with_llm_last():
    planner = Planner(ROUTING, {"llm", "ocr", "chart", "retrieve"})
    plan = planner.plan(inputs("total?", media(InputKind.PDF), media(InputKind.IMAGE)))
    assert plan.route == "pdf"
    assert plan.stages == ["ocr", "retrieve", "chart", "llm"]
    assert plan.escalation_threshold == min(
        ROUTING.routes["pdf"].escalation_threshold, ROUTING.routes["image"].escalation_threshold
    )


def test_llm_only_model_extracts_the_same_inputs():
    planner = Planner(ROUTING, {"llm", "ocr"})
    plan = planner.plan(inputs("hi"), llm_only=True)
    assert plan.stages == ["llm"] and plan.llm_only
    assert planner.plan(inputs("", media(InputKind.PDF)), llm_only=True).stages == ["ocr", "llm"]
    with pytest.raises(Overloaded, match="not available"):
        Planner(ROUTING, {"ocr"}).plan(inputs("hi"), llm_only=True)


def test_denied_stages_leave_the_plan_with_a_reason():
    plan = Planner(ROUTING, {"llm", "execute", "retrieve"}).plan(inputs("What is 2+2?"))
    plan.drop({"execute": "tool denied by gateway: restricted"})
    assert "execute" not in plan.stages and plan.skipped["execute"].startswith("tool denied")
