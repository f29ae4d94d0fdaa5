"""Axis fit, plot area, bars and lines on synthetic pixels (no OCR)."""

import itertools

import cv2
import numpy as np
import pytest

from deployments.perception.chart.axes import (
    AxisFit,
    find_plot_area,
    fit_axis,
    gridlines,
    tick_marks,
)
from deployments.perception.chart.bars import (
    Bar,
    group_by_category,
    is_bar_series,
    measure_edges,
    orientation_of,
    solid_rectangles,
)
from deployments.perception.chart.colours import colour_masks, series_colours
from deployments.perception.chart.geometry import Box
from deployments.perception.chart.lines import is_line_series, sample_line, trace_line

WHITE = np.array([255, 255, 255], np.float32)
BLUE = (31, 119, 180)
ORANGE = (255, 127, 14)


def test_fit_ignores_an_ocr_outlier():
    # 0..50 every 100 px, but '30' was read as '80'
    points = [(500.0, 0), (400.0, 10), (300.0, 20), (200.0, 80), (100.0, 40), (0.0, 50)]
    fit = fit_axis(points)
    assert fit is not None
    assert fit.inliers == 5 and fit.candidates == 6
    assert fit.value_at(250.0) == pytest.approx(25.0)
    assert fit.pixel_of(35.0) == pytest.approx(150.0)


def test_fit_confidence_rewards_more_ticks_and_small_residuals():
    exact = fit_axis([(100.0 * i, 10.0 * i) for i in range(5)])
    two = fit_axis([(0.0, 0.0), (100.0, 10.0)])
    noisy = fit_axis([(0.0, 0), (101.8, 10), (198.5, 20), (301.9, 30), (398.0, 40)])
    assert exact.confidence > noisy.confidence > 0
    assert exact.confidence > two.confidence > 0
    assert fit_axis([(10.0, 5.0)]) is None
    assert AxisFit(1.0, 0.0, 0, 0, 0.0).confidence == 0.0


def framed_chart() -> np.ndarray:
    """A 300x400 white image: black frame (50..350, 30..250), ticks, two bars, a gridline."""
    image = np.full((300, 400, 3), 255, np.uint8)
    cv2.rectangle(image, (50, 30), (350, 250), (0, 0, 0), 1)
    for y in (250, 195, 140, 85):
        cv2.line(image, (45, y), (49, y), (0, 0, 0), 1)
    cv2.line(image, (51, 140), (349, 140), (200, 200, 200), 1)  # gridline under the bars
    image[100:250, 100:140] = BLUE
    image[160:250, 200:240] = BLUE
    image[138:142, 100:140] = (200, 200, 200)  # the gridline drawn over a bar splits it
    return image


def test_plot_area_ticks_and_gridlines():
    image = framed_chart()
    plot = find_plot_area(image)
    assert plot is not None
    assert (plot.box.x0, plot.box.y0, plot.box.x1, plot.box.y1) == (50, 30, 351, 251)
    assert tick_marks(image, plot, "left") == [85.5, 140.5, 195.5, 250.5]
    assert 140.5 in gridlines(image, plot, "y")


def test_filled_panel_cut_by_white_gridlines_is_one_plot_area():
    image = np.full((300, 400, 3), 255, np.uint8)
    image[40:260, 60:380] = (229, 229, 229)
    for x in range(100, 380, 60):
        image[40:260, x : x + 2] = 255
    plot = find_plot_area(image)
    assert plot is not None
    assert (plot.box.x0, plot.box.y0, plot.box.x1, plot.box.y1) == (60, 40, 380, 260)


def test_bars_split_by_a_gridline_are_rejoined_and_measured():
    image = framed_chart()
    plot = find_plot_area(image)
    clusters = series_colours(image, plot.inner, plot.plot_bg)
    assert len(clusters) == 1
    mask = colour_masks(image, clusters, plot.plot_bg)[0]
    boxes, rect_pixels, total = solid_rectangles(mask, plot.inner)
    assert len(boxes) == 2 and is_bar_series(boxes, rect_pixels, total)
    assert orientation_of(boxes) == "vertical"
    bar = Bar(sorted(boxes, key=lambda b: b.x0)[0], 0, "vertical")
    lo, hi = measure_edges(image, bar, clusters[0].colour, plot.plot_bg)
    assert lo == pytest.approx(100.0, abs=0.05)
    assert hi == pytest.approx(250.0, abs=1.0)  # the frame line covers the last row


def test_sub_pixel_edge_from_anti_aliasing():
    image = np.full((100, 60, 3), 255, np.uint8)
    image[40:90, 10:50] = BLUE
    image[39, 10:50] = (143, 187, 217)  # a 50 % blend of blue and white above the top
    bar = Bar(Box(10, 40, 50, 90), 0, "vertical")
    lo, _ = measure_edges(image, bar, np.array(BLUE, np.float32), WHITE)
    assert lo == pytest.approx(39.5, abs=0.05)


def test_grouping_and_orientation_of_horizontal_bars():
    boxes = [
        Box(60, 20, 200, 40),
        Box(60, 40, 150, 60),
        Box(60, 90, 260, 110),
        Box(60, 110, 90, 130),
    ]
    assert orientation_of(boxes) == "horizontal"
    bars = [Bar(box, i % 2, "horizontal") for i, box in enumerate(boxes)]
    groups = group_by_category(bars)
    assert [len(g) for g in groups] == [2, 2]


def test_line_is_traced_and_read_at_its_vertices():
    image = np.full((300, 500, 3), 255, np.uint8)
    points = [(60, 200), (160, 80), (260, 150), (360, 60), (460, 120)]
    for a, b in itertools.pairwise(points):
        cv2.line(image, a, b, ORANGE, 2, lineType=cv2.LINE_AA)
    region = Box(20, 20, 480, 280)
    clusters = series_colours(image, region, WHITE)
    assert len(clusters) == 1
    mask = colour_masks(image, clusters, WHITE)[0]
    trace = trace_line(mask, region, 0)
    assert is_line_series(trace, region)
    for x, y in points[1:-1]:
        got, quality = sample_line(trace, x, spacing=100)
        assert got == pytest.approx(y + 0.5, abs=1.0)  # pixel centre
        assert quality > 0.5
