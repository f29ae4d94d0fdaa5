"""Legend entries from colour swatches and the words right of them (synthetic, no OCR)."""

import numpy as np

from deployments.perception.chart.geometry import Box
from deployments.perception.chart.labels import Word
from deployments.perception.chart.legend import find_legend


def word(text, x0, y0, x1, y1):
    return Word(text=text, conf=90.0, box=Box(x0, y0, x1, y1))


def masks_with(*boxes_per_colour):
    masks = []
    for boxes in boxes_per_colour:
        mask = np.zeros((300, 400), bool)
        for x0, y0, x1, y1 in boxes:
            mask[y0:y1, x0:x1] = True
        masks.append(mask)
    return masks


def test_swatches_name_series_in_legend_order():
    masks = masks_with([(300, 40, 320, 48)], [(300, 20, 320, 28)])
    words = [
        word("Actual", 326, 38, 370, 50),
        word("Team", 326, 18, 356, 30),
        word("A", 360, 18, 368, 30),
    ]
    legend = find_legend(masks, words, text_height=10)
    assert [(e.cluster, e.name) for e in legend.entries] == [(1, "Team A"), (0, "Actual")]
    assert legend.box is not None and legend.box.contains_point(310, 44)
    assert legend.name_of(0) == "Actual" and legend.order_of(1) == 0


def test_years_are_names_but_value_labels_are_not():
    masks = masks_with([(300, 20, 320, 28)], [(300, 60, 320, 68)])
    words = [word("2023", 326, 18, 356, 30), word("88", 326, 58, 340, 70)]
    legend = find_legend(masks, words, text_height=10)
    assert [(e.cluster, e.name) for e in legend.entries] == [(0, "2023")]


def test_bar_ends_and_short_bars_on_the_axis_are_not_keys():
    frame = Box(50, 10, 390, 290)
    # the tail of a bar cut by a gridline, and a short bar standing on the left axis
    masks = masks_with([(52, 100, 200, 118), (202, 100, 224, 118)], [(50, 150, 66, 168)])
    words = [word("Online", 230, 102, 270, 114), word("Retail", 72, 152, 110, 164)]
    assert find_legend(masks, words, text_height=10, frame=frame).entries == []
