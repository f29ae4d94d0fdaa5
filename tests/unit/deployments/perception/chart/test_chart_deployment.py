"""ChartDeployment called directly (no Ray), its settings, and the builder."""

import asyncio

import pytest
from chart_samples import chart_png, text_page_png
from pydantic import ValidationError

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.chart.config import ChartSettings
from deployments.perception.chart.deployment import ChartDeployment
from deployments.perception.chart.protocol import ChartResult


@pytest.fixture(scope="module")
def deployment() -> ChartDeployment:
    return ChartDeployment(ChartSettings(max_pixels=4_000_000).model_dump(mode="json"))


async def test_process_returns_a_chart_result_dict(deployment):
    result = await deployment.process({"data": chart_png("hbar"), "mime": "image/png"})
    parsed = ChartResult.model_validate(result)
    assert parsed.kind == "hbar"
    assert parsed.series[0].values == [120.0, 75.0, 160.0]
    assert set(result) >= {"kind", "title", "x_labels", "y_axis", "series", "table"}
    assert set(result) >= {"confidence", "is_chart", "timings_ms", "notes"}


async def test_classify_tells_charts_from_pages(deployment):
    chart = await deployment.classify({"data": chart_png("bar_plain"), "mime": None})
    page = await deployment.classify({"data": text_page_png(), "mime": "image/png"})
    assert chart["is_chart"] is True and chart["confidence"] >= 0.8
    assert page["is_chart"] is False and page["confidence"] >= 0.7


async def test_read_classifies_and_parses_a_chart_in_one_call(deployment):
    reading = await deployment.read({"data": chart_png("hbar"), "mime": "image/png"})
    assert reading["verdict"]["is_chart"] is True and reading["verdict"]["confidence"] >= 0.8
    parsed = ChartResult.model_validate(reading["result"])
    direct = ChartResult.model_validate(
        await deployment.process({"data": chart_png("hbar"), "mime": "image/png"})
    )
    assert parsed.series == direct.series and parsed.table == direct.table
    assert parsed.confidence == direct.confidence
    assert {"decode", "classify", "ocr"} <= set(parsed.timings_ms)


async def test_read_leaves_pages_and_unsure_verdicts_unparsed(deployment):
    page = await deployment.read({"data": text_page_png(), "mime": "image/png"})
    assert page["verdict"]["is_chart"] is False and page["result"] is None
    unsure = await deployment.read({"data": chart_png("line"), "min_confidence": 1.01})
    assert unsure["verdict"]["is_chart"] is True and unsure["result"] is None
    with pytest.raises(MalformedInput):
        await deployment.read({"data": chart_png("line"), "min_confidence": "high"})


async def test_concurrent_requests_share_the_semaphore(deployment):
    requests = [deployment.classify({"data": chart_png("line")}) for _ in range(4)]
    results = await asyncio.gather(*requests)
    assert all(r["is_chart"] for r in results)


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({"data": b""}, MalformedInput),
        ({"data": "not bytes"}, MalformedInput),
        ({}, MalformedInput),
        ({"data": b"plain text, not a picture", "mime": "text/plain"}, UnsupportedInput),
        ({"data": b"%PDF-1.7 ..."}, UnsupportedInput),
        ({"data": b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "mime": "image/png"}, MalformedInput),
    ],
)
async def test_bad_input_raises_input_rejected(deployment, request_, error):
    with pytest.raises(error):
        await deployment.process(request_)
    with pytest.raises(error):
        await deployment.classify(request_)


async def test_too_many_pixels(deployment):
    from test_chart_image import huge_png_header

    with pytest.raises(InputTooLarge):
        await deployment.process({"data": huge_png_header(), "mime": "image/png"})


async def test_health_check_passes_with_tesseract(deployment):
    await deployment.check_health()


async def test_health_check_fails_without_tesseract(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    broken = ChartDeployment(ChartSettings().model_dump(mode="json"))
    with pytest.raises(RuntimeError, match="tesseract"):
        await broken.check_health()


def test_settings_defaults_and_validation():
    settings = ChartSettings()
    assert settings.enabled and settings.backend == "classical"
    assert settings.max_ongoing_requests == 8
    assert settings.autoscaling_config.target_ongoing_requests == 2.0
    options = settings.serve_options()
    assert options["ray_actor_options"] == {"num_cpus": 1.0, "num_gpus": 0.0}
    with pytest.raises(ValidationError):
        ChartSettings(backend="chart-to-table-model")
    with pytest.raises(ValidationError):
        ChartSettings(unknown_knob=1)
    with pytest.raises(ValidationError):
        ChartSettings(max_ongoing_requests=1)  # below the autoscaling target
    for name, field in ChartSettings.model_fields.items():
        assert field.description, name


def test_backend_options_reach_the_parser():
    deployment = ChartDeployment(
        ChartSettings(backend_options={"ocr": False}).model_dump(mode="json")
    )
    assert deployment.parser.options.ocr is False
    with pytest.raises(ValueError, match="unknown key"):
        ChartDeployment(ChartSettings(backend_options={"upscale": 3}).model_dump(mode="json"))


def test_builder_binds_the_named_deployment():
    from deployments.perception.chart.builder import CHART_DEPLOYMENT_NAME, build_chart_deployment

    settings = ChartSettings(num_cpus=0.5, max_ongoing_requests=4)
    app = build_chart_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == CHART_DEPLOYMENT_NAME == "chart"
    assert deployment.max_ongoing_requests == 4
    assert deployment.ray_actor_options["num_cpus"] == 0.5
    assert app._bound_deployment.func_or_class.__name__ == "ChartDeployment"
