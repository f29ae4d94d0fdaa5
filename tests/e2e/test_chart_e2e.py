"""A chart image through the real app: the chart deployment is called once per image."""

from __future__ import annotations

import base64

import httpx

from loadtest.perception.gen_charts import ChartSpec, render_chart

SPEC = ChartSpec(
    kind="bar",
    title="Boxes shipped",
    categories=["North", "South", "East"],
    series=[("Boxes", [120.0, 75.0, 160.0])],
    labelled=True,
)


def test_a_chart_image_is_read_in_one_call_and_its_table_reaches_the_answer(client, running_app):
    url = "data:image/png;base64," + base64.b64encode(render_chart(SPEC)).decode()
    response = client.chat.completions.create(
        model="interfaze",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "text", "text": "How many boxes were shipped in East?"},
                ],
            }
        ],
        max_tokens=32,
    )
    meta = response.model_extra["interfaze"]
    assert "chart" in meta["route"] and "ocr" not in meta["route"], meta
    trace = httpx.get(f"{running_app.base_url}/v1/traces/{meta['trace_id']}", timeout=30).json()
    charts = [s for s in trace["stages"] if s["name"] == "chart"]
    assert len(charts) == 1, charts  # classify and parse in one Ray call
    assert "160" in response.choices[0].message.content
