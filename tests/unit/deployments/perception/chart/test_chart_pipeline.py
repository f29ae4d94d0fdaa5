"""The whole classical pipeline on rendered charts with known values (Tesseract included)."""

import numpy as np
import pytest
from chart_samples import (
    SAMPLES,
    black_marker_line_png,
    chart_png,
    grey_negative_bars_png,
    png_bytes,
    text_page_png,
)

from deployments.perception.chart.pipeline import ChartParser, ParserOptions, parse_chart_bytes
from deployments.perception.chart.protocol import ChartResult


def parsed(name: str) -> ChartResult:
    return parse_chart_bytes(chart_png(name), "image/png")


def assert_values(result: ChartResult, name: str, tolerance: float) -> None:
    truth = dict(SAMPLES[name].series)
    assert len(result.series) == len(truth)
    for series, (_, expected) in zip(result.series, SAMPLES[name].series, strict=True):
        assert series.values == pytest.approx(expected, rel=tolerance)


def test_labelled_bar_chart_reads_printed_values_exactly():
    result = parsed("bar_labelled")
    assert result.kind == "bar"
    assert result.title == "Sales by region"
    assert result.x_labels == ["North", "South", "East", "West"]
    assert result.y_axis.unit == "%"
    assert_values(result, "bar_labelled", 1e-9)
    assert result.confidence >= 0.9
    assert result.is_chart
    assert result.table[0][0] == "category"
    assert result.table[1] == ["North", "42"]
    assert {"ocr", "geometry"} <= set(result.timings_ms)


def test_unlabelled_bar_chart_on_a_grey_panel_from_geometry():
    result = parsed("bar_plain")
    assert result.kind == "bar"
    assert result.x_labels == ["Jan", "Feb", "Mar", "Apr", "May"]
    assert_values(result, "bar_plain", 0.03)
    assert result.confidence >= 0.7


def test_grouped_bars_take_series_names_from_the_legend():
    result = parsed("grouped")
    assert result.kind == "grouped_bar"
    assert [s.name for s in result.series] == ["Plan", "Actual"]
    assert result.x_labels == ["Q1", "Q2", "Q3"]
    assert result.y_axis.unit == "$k"
    assert "Revenue" in result.y_axis.label
    assert_values(result, "grouped", 0.03)


def test_line_chart_with_markers_and_legend():
    result = parsed("line")
    assert result.kind == "line"
    assert [s.name for s in result.series] == ["Site A", "Site B"]
    assert result.x_labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert_values(result, "line", 0.05)


def test_horizontal_bars():
    result = parsed("hbar")
    assert result.kind == "hbar"
    assert result.x_labels == ["Apples", "Pears", "Plums"]
    assert result.y_axis.unit == "kg"
    assert_values(result, "hbar", 1e-9)


def test_a_text_page_is_a_low_confidence_non_chart():
    result = parse_chart_bytes(text_page_png(), "image/png")
    assert not result.is_chart
    assert result.confidence < 0.3
    assert result.notes


def test_odd_pictures_give_low_confidence_not_errors():
    blank = parse_chart_bytes(png_bytes(np.full((200, 300, 3), 255, np.uint8)))
    assert blank.kind == "unknown" and blank.confidence < 0.2
    tiny = parse_chart_bytes(png_bytes(np.zeros((3, 3, 3), np.uint8)))
    assert tiny.confidence < 0.2
    frame_only = np.full((200, 300, 3), 255, np.uint8)
    frame_only[20:180, 30] = 0
    frame_only[179, 30:280] = 0
    empty_axes = parse_chart_bytes(png_bytes(frame_only))
    assert empty_axes.kind == "unknown" and empty_axes.confidence < 0.2


def test_without_ocr_there_is_no_calibration_and_confidence_collapses():
    parser = ChartParser(ParserOptions(ocr=False))
    result = parser.parse_bytes(
        chart_png("bar_plain"), "image/png", max_bytes=10**7, max_pixels=10**7
    )
    assert result.kind == "bar"
    assert result.confidence < 0.2
    assert "no value axis calibration" in result.notes


def test_grey_bars_below_zero():
    result = parse_chart_bytes(grey_negative_bars_png())
    assert result.kind == "bar"
    assert result.series[0].values == pytest.approx([12.0, -7.0, 5.0, -15.0], rel=0.03)
    assert result.y_axis.min < -15 < 12 < result.y_axis.max


def test_a_black_line_is_not_mistaken_for_bars_and_says_so():
    result = parse_chart_bytes(black_marker_line_png())
    assert result.kind == "unknown"
    assert result.confidence < 0.2
    assert result.title == "Black line"


def test_a_parser_bug_degrades_to_an_unknown_result(monkeypatch):
    import deployments.perception.chart.pipeline as pipeline

    def broken(_rgb):
        raise ValueError("boom")

    monkeypatch.setattr(pipeline, "find_plot_area", broken)
    result = parse_chart_bytes(chart_png("bar_labelled"))
    assert result.kind == "unknown" and result.confidence <= 0.1
    assert "ValueError: boom" in result.notes[0]


def test_printed_bar_values_replace_a_tick_fit_they_contradict():
    from deployments.perception.chart.axes import AxisFit
    from deployments.perception.chart.labels import ParsedNumber
    from deployments.perception.chart.pipeline import ChartParser

    # True axis: value = -20 * px + 4000 (baseline at px 200). Misread ticks ('0' as '6')
    # gave an axis offset by -100: the short bar (482 printed) reads 382 on it.
    ticks = AxisFit(slope=-20.0, intercept=3900.0, inliers=3, candidates=8, rms_px=1.0)
    far = [100.0, 175.9, 75.0, 85.0]
    printed = [ParsedNumber(v, "", "", 0) for v in (2000.0, 482.0, 2500.0, 2300.0)]
    notes: list[str] = []
    fit = ChartParser()._label_fit_if_better(ticks, [None] * 4, far, 200.0, printed, notes)
    assert fit is not None and fit.source == "value labels"
    assert abs(fit.value_at(175.9) - 482) < 5 and notes
    # Labels that agree with the ticks keep the tick fit.
    agreeing = [ParsedNumber(ticks.value_at(px), "", "", 0) for px in far]
    assert ChartParser()._label_fit_if_better(ticks, [None] * 4, far, 195.0, agreeing, []) is None
