import pytest

from serve.api.errors import UnsupportedMedia
from serve.api.protocol import ChatMessage
from serve.config.loader import load_config
from serve.planner.inputs import inspect_messages
from serve.planner.planner import Planner

ROUTING = load_config("local").routing


def user(content) -> ChatMessage:
    return ChatMessage.model_validate({"role": "user", "content": content})


def test_inventory_counts_kinds_and_urls():
    message = user(
        [
            {"type": "text", "text": "compare https://example.com/a and http://x.org/b?q=1"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
            {"type": "file", "file": {"file_data": "data:application/pdf;base64,AAAA"}},
        ]
    )
    inventory, unreadable = inspect_messages([message])
    assert not unreadable
    assert inventory.part_counts == {"text": 1, "image": 1, "audio": 1, "pdf": 1, "url": 2}
    assert inventory.urls == ["https://example.com/a", "http://x.org/b?q=1"]


def test_file_parts_are_planned_as_pdf():
    message = user([{"type": "file", "file": {"file_data": "data:application/zip;base64,AA"}}])
    inventory, unreadable = inspect_messages([message])
    assert not unreadable and inventory.part_counts == {"pdf": 1}  # bytes checked later


def test_text_routes_to_llm_when_only_llm_is_deployed():
    plan = Planner(ROUTING, {"llm"}).plan([user("What is 2+2?")])
    assert plan.route == "text"
    assert plan.stages == ["llm"]
    assert plan.skipped == {"execute": "not deployed", "retrieve": "not deployed"}
    assert plan.escalation_threshold == ROUTING.routes["text"].escalation_threshold


def test_url_degrades_without_browser():
    plan = Planner(ROUTING, {"llm"}).plan([user("summarise https://example.com")])
    assert plan.route == "url"
    assert plan.stages == ["llm"]
    assert "browse" in plan.skipped


def test_media_without_perception_is_422():
    with pytest.raises(UnsupportedMedia, match="image"):
        Planner(ROUTING, {"llm"}).plan(
            [user([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}])]
        )


def test_media_with_perception_plans_union_with_llm_last():
    planner = Planner(ROUTING, {"llm", "ocr", "chart", "retrieve"})
    plan = planner.plan(
        [
            user(
                [
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,AA"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
                    {"type": "text", "text": "total?"},
                ]
            )
        ]
    )
    assert plan.route == "pdf"
    assert plan.stages == ["ocr", "retrieve", "chart", "llm"]
    assert plan.escalation_threshold == min(
        ROUTING.routes["pdf"].escalation_threshold, ROUTING.routes["image"].escalation_threshold
    )


def test_llm_only_model_extracts_the_same_inputs():
    planner = Planner(ROUTING, {"llm", "ocr"})
    plan = planner.plan([user("hi")], llm_only=True)
    assert plan.stages == ["llm"] and plan.llm_only
    pdf = [{"type": "file", "file": {"file_data": "data:application/pdf;base64,AA"}}]
    assert planner.plan([user(pdf)], llm_only=True).stages == ["ocr", "llm"]
    with pytest.raises(UnsupportedMedia, match="not available"):
        Planner(ROUTING, {"ocr"}).plan([user("hi")], llm_only=True)
