"""is_chart: charts vs a scanned text page, a photo and a blank image."""

import io

import numpy as np
import pytest
from chart_samples import SAMPLES, chart_rgb, photo_jpeg, text_page_png
from PIL import Image

from deployments.perception.chart.classify import classify_chart


def _rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_charts_are_charts(name):
    verdict = classify_chart(chart_rgb(name))
    assert verdict.is_chart
    assert verdict.confidence >= 0.8


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: _rgb(text_page_png()), id="scanned-text-page"),
        pytest.param(lambda: _rgb(photo_jpeg()), id="photo"),
        pytest.param(lambda: np.full((300, 400, 3), 255, np.uint8), id="blank"),
        pytest.param(
            lambda: np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8),
            id="noise",
        ),
        pytest.param(lambda: np.zeros((10, 10, 3), np.uint8), id="tiny"),
    ],
)
def test_non_charts_are_not_charts(image):
    verdict = classify_chart(image())
    assert not verdict.is_chart
    assert verdict.confidence >= 0.7
