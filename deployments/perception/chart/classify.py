"""A cheap chart / not-chart classifier (charts vs scanned text pages and photos)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from deployments.perception.chart.axes import border_colour, find_plot_area, ink_mask
from deployments.perception.chart.geometry import chroma, longest_runs

WORK_SIDE = 400


@dataclass
class ChartFeatures:
    """What tells a chart apart: plain background, few colours, axes, data marks, little text."""

    flat: float  # share of pixels in the three most common colours (page and plot panel)
    palette_coverage: float  # share of drawn pixels in colours covering >= 0.3 % each
    long_horizontal: float  # longest straight horizontal run of drawn pixels / width
    long_vertical: float  # longest straight vertical run / height
    solid_blocks: float  # share of pixels inside solid drawn blocks (bars, panels)
    coloured: float  # share of saturated pixels (coloured bars, lines, markers)
    dark: float  # share of dark grey/black pixels (photos, dark scans)
    plot_area: float  # share of the image inside a detected axes frame or panel (0: none)
    plot_marks: float  # share of that frame covered by coloured or solid marks
    plot_text: float  # share of a 6 x 6 grid over that frame holding glyph-sized dark blobs


@dataclass
class ChartClassification:
    is_chart: bool
    confidence: float
    features: ChartFeatures


def chart_features(rgb: np.ndarray) -> ChartFeatures:
    """Features of ``rgb`` measured on a copy at most WORK_SIDE pixels wide or high."""
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    height, width = rgb.shape[:2]
    total = float(height * width)
    drawn = ink_mask(rgb, border_colour(rgb))
    sat = chroma(rgb)
    bins = (rgb // 16).astype(np.int32)
    packed = (bins[..., 0] << 8) | (bins[..., 1] << 4) | bins[..., 2]
    _, counts = np.unique(packed, return_counts=True)
    counts = np.sort(counts)[::-1]
    _, drawn_counts = np.unique(packed[drawn], return_counts=True)
    major = drawn_counts[drawn_counts >= 0.003 * total]
    dark = (rgb.astype(np.float32).mean(axis=2) < 110) & (sat < 40)
    solid = cv2.morphologyEx(drawn.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    plot_area, plot_marks, plot_text = 0.0, 0.0, 0.0
    plot = find_plot_area(rgb)
    if plot is not None and plot.inner.width > 8 and plot.inner.height > 8:
        inner = plot.inner
        window = (slice(inner.y0, inner.y1), slice(inner.x0, inner.x1))
        away = ink_mask(rgb[window], plot.plot_bg)
        marks = away & ((sat[window] > 45) | solid[window].astype(bool))
        plot_area = inner.area / total
        plot_marks = float(marks.mean())
        plot_text = _text_cells(dark[window] & ~marks, grid=6)
    return ChartFeatures(
        flat=float(counts[:3].sum() / total),
        palette_coverage=float(major.sum() / max(drawn.sum(), 1)),
        long_horizontal=float(longest_runs(drawn, axis=1).max() / width),
        long_vertical=float(longest_runs(drawn, axis=0).max() / height),
        solid_blocks=float(solid.mean()),
        coloured=float(np.mean(drawn & (sat > 45))),
        dark=float(dark.mean()),
        plot_area=float(plot_area),
        plot_marks=plot_marks,
        plot_text=plot_text,
    )


def _text_cells(dark: np.ndarray, grid: int = 10) -> float:
    """Share of a grid x grid partition whose cells contain glyph-sized dark blobs."""
    height, width = dark.shape
    count, _, stats, centroids = cv2.connectedComponentsWithStats(dark.astype(np.uint8), 8)
    if count <= 1:
        return 0.0
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    glyph = (h >= 2) & (h <= 0.06 * height) & (w <= 0.06 * width)
    cells = set()
    for cx, cy in centroids[1:][glyph]:
        cells.add((int(cy * grid / height), int(cx * grid / width)))
    return len(cells) / (grid * grid)


def chart_score(f: ChartFeatures) -> float:
    """Log-odds that the image is a chart; hand-set weights on the cues, not a trained model."""
    axes = min(f.long_horizontal / 0.5, 1.0) * min(f.long_vertical / 0.4, 1.0)
    score = -5.0
    score += 3.0 * float(np.clip((f.flat - 0.55) / 0.25, -2.0, 1.0))
    score += 1.5 * axes
    score += 2.0 * min(f.plot_area / 0.15, 1.0)
    score += 3.0 * min(f.plot_marks / 0.004, 1.0)
    score -= 3.0 * float(np.clip((f.dark - 0.12) / 0.1, 0.0, 2.0))
    score -= 2.0 * float(np.clip((0.85 - f.palette_coverage) / 0.2, 0.0, 1.0))
    score -= 3.0 * float(np.clip((f.plot_text - 0.45) / 0.25, 0.0, 1.5))
    return score


def classify_chart(rgb: np.ndarray, threshold: float = 0.5) -> ChartClassification:
    """Is ``rgb`` a chart? Returns the decision and a calibrated-looking confidence."""
    if rgb.shape[0] < 32 or rgb.shape[1] < 32:
        features = ChartFeatures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return ChartClassification(False, 0.9, features)
    features = chart_features(rgb)
    probability = 1.0 / (1.0 + math.exp(-chart_score(features)))
    is_chart = probability >= threshold
    confidence = probability if is_chart else 1.0 - probability
    return ChartClassification(bool(is_chart), float(round(confidence, 3)), features)
