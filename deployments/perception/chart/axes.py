"""Plot-area detection, tick/gridline positions and the linear pixel → value fit."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from deployments.perception.chart.geometry import Box, chroma, modal_colour

INK_THRESHOLD = 30.0  # sum |ΔRGB| from the background that counts as drawn


@dataclass
class PlotArea:
    """The axes rectangle (spine to spine) and the colours around it."""

    box: Box
    figure_bg: np.ndarray
    plot_bg: np.ndarray
    spine_px: int = 1
    found_frame: bool = True

    @property
    def inner(self) -> Box:
        """The box without its spines."""
        s = self.spine_px + 1
        return Box(self.box.x0 + s, self.box.y0 + s, self.box.x1 - s, self.box.y1 - s)


def ink_mask(rgb: np.ndarray, background: np.ndarray, threshold: float = INK_THRESHOLD):
    """Pixels differing from ``background`` by more than ``threshold`` (sum of |ΔRGB|)."""
    diff = np.abs(rgb.astype(np.int16) - background.astype(np.int16)).sum(axis=2)
    return diff > threshold


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """The figure background: the modal colour of the outer two-pixel frame."""
    sides = (rgb[:2], rgb[-2:], rgb[:, :2], rgb[:, -2:])
    frame = np.concatenate([side.reshape(-1, 3) for side in sides])
    return modal_colour(frame)


def find_plot_area(rgb: np.ndarray) -> PlotArea | None:
    """The axes rectangle: the largest drawn structure (frame, L of spines or filled panel)."""
    height, width = rgb.shape[:2]
    figure_bg = border_colour(rgb)
    panel = _filled_panel(rgb, figure_bg)
    if panel is not None:
        inner = panel.pad(-2)
        plot_bg = _plot_background(rgb, inner)
        return PlotArea(box=panel, figure_bg=figure_bg, plot_bg=plot_bg, spine_px=1)
    mask = ink_mask(rgb, figure_bg).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    best, best_area = None, 0
    for index in range(1, count):
        x, y, w, h, _area = stats[index]
        if w >= 0.25 * width and h >= 0.25 * height and w * h > best_area:
            best, best_area = index, w * h
    if best is None:
        return None
    x, y, w, h, _ = stats[best]
    component = labels[y : y + h, x : x + w] == best
    box, spine = _refine_edges(component)
    box = Box(box.x0 + x, box.y0 + y, box.x1 + x, box.y1 + y)
    if box.width < 0.2 * width or box.height < 0.2 * height:
        return None
    inner = box.pad(-(spine + 1))
    plot_bg = _plot_background(rgb, inner)
    return PlotArea(box=box, figure_bg=figure_bg, plot_bg=plot_bg, spine_px=spine)


def _plot_background(rgb: np.ndarray, inner: Box, band: int = 4) -> np.ndarray:
    """Colour of the empty plot: the modal colour of thin bands along the inner edges (the
    margins the axes keep around data), preferring greyish pixels, since a bar chart's
    commonest colour inside the frame may be its bars."""
    strips = [
        rgb[inner.y0 : inner.y0 + band, inner.x0 : inner.x1],
        rgb[inner.y1 - band : inner.y1, inner.x0 : inner.x1],
        rgb[inner.y0 : inner.y1, inner.x0 : inner.x0 + band],
        rgb[inner.y0 : inner.y1, inner.x1 - band : inner.x1],
    ]
    pixels = np.concatenate([s.reshape(-1, 3) for s in strips if s.size])
    if pixels.size == 0:
        return np.array([255.0, 255.0, 255.0], np.float32)
    greyish = pixels[chroma(pixels) <= 30]
    return modal_colour(greyish if len(greyish) >= 0.1 * len(pixels) else pixels)


def _filled_panel(rgb: np.ndarray, figure_bg: np.ndarray) -> Box | None:
    """The plot panel when it is filled with its own colour (ggplot, bmh, seaborn styles).

    Its gridlines often have the page colour and cut it into pieces, so the panel is found
    by colour share per row and column rather than as one connected component.
    """
    height, width = rgb.shape[:2]
    centre = rgb[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4].reshape(-1, 3)
    spread = centre.max(axis=1).astype(np.int16) - centre.min(axis=1)
    differs = np.abs(centre.astype(np.int16) - figure_bg.astype(np.int16)).sum(axis=1) >= 30
    candidates = centre[(spread <= 25) & differs]  # panels are grey-ish; bars are not
    if len(candidates) < 0.15 * len(centre):
        return None
    colour = modal_colour(candidates)
    same = np.abs(rgb.astype(np.int16) - colour.astype(np.int16)).sum(axis=2) <= 12
    covered = same | (chroma(rgb) > 45)  # bars on the panel count as panel
    rows = np.flatnonzero(covered.mean(axis=1) >= 0.3)
    cols = np.flatnonzero(covered.mean(axis=0) >= 0.3)
    if rows.size == 0 or cols.size == 0:
        return None
    box = Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    if box.width < 0.25 * width or box.height < 0.25 * height:
        return None
    if same[box.y0 : box.y1, box.x0 : box.x1].mean() < 0.3:
        return None
    inside = rgb[box.y0 : box.y1, box.x0 : box.x1].astype(np.int16)
    page = np.abs(inside - figure_bg.astype(np.int16)).sum(axis=2) < 30
    if page.mean() > 0.2:  # page colour between the "panel" parts: grey bars, not a panel
        return None
    return box


def _refine_edges(component: np.ndarray) -> tuple[Box, int]:
    """Spine positions inside a component's bbox.

    A side is a run of full-length rows/columns that is thin (a spine) or spans most of the
    box (a filled panel); a tall bar touching the axis is neither. Ticks stick out of the
    frame and would widen the bbox; a side with no such line (open spines) keeps the bbox edge.
    """
    h, w = component.shape
    col_runs = _true_runs(component.sum(axis=0) >= 0.9 * h)
    row_runs = _true_runs(component.sum(axis=1) >= 0.9 * w)

    def edge_runs(runs: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in runs if b - a <= 4 or b - a >= 0.5 * size]

    cols, rows = edge_runs(col_runs, w), edge_runs(row_runs, h)
    x0 = cols[0][0] if cols and cols[0][0] < w / 2 else 0
    x1 = cols[-1][1] if cols and cols[-1][1] > w / 2 else w
    y0 = rows[0][0] if rows and rows[0][0] < h / 2 else 0
    y1 = rows[-1][1] if rows and rows[-1][1] > h / 2 else h
    if cols:  # the frame reaches as high as its left spine (a legend may hide gridlines)
        spine_rows = np.flatnonzero(component[:, cols[0][0]])
        if spine_rows.size:
            y0 = min(y0, int(spine_rows[0]))
    spine = 1
    if cols and cols[0][1] - cols[0][0] <= 4:
        spine = cols[0][1] - cols[0][0]
    return Box(x0, y0, x1, y1), spine


# ---------------------------------------------------------------------------- ticks


def tick_marks(rgb: np.ndarray, plot: PlotArea, side: str, length: int = 3) -> list[float]:
    """Positions (continuous pixel coordinates) of tick marks outside the spine on ``side``.

    A tick is ink touching the spine and reaching ``length`` pixels outwards; labels sit
    further out and never touch it. ``side`` is 'left' or 'right' (positions along y) or
    'bottom' or 'top' (positions along x).
    """
    box = plot.box
    height, width = rgb.shape[:2]
    mask = ink_mask(rgb, plot.figure_bg)
    if side == "left":
        if box.x0 - length < 0:
            return []
        strip = mask[box.y0 - 2 : box.y1 + 2, box.x0 - length : box.x0]
        offset = box.y0 - 2
    elif side == "right":
        if box.x1 + length > width:
            return []
        strip = mask[box.y0 - 2 : box.y1 + 2, box.x1 : box.x1 + length]
        offset = box.y0 - 2
    elif side == "bottom":
        if box.y1 + length > height:
            return []
        strip = mask[box.y1 : box.y1 + length, box.x0 - 2 : box.x1 + 2].T
        offset = box.x0 - 2
    else:
        if box.y0 - length < 0:
            return []
        strip = mask[box.y0 - length : box.y0, box.x0 - 2 : box.x1 + 2].T
        offset = box.x0 - 2
    full = strip.all(axis=1)
    return [offset + (start + stop) / 2 for start, stop in _true_runs(full) if stop - start <= 6]


def gridlines(
    rgb: np.ndarray, plot: PlotArea, axis: str, exclude: np.ndarray | None = None
) -> list[float]:
    """Positions of gridlines inside the plot: rows (axis='y') or columns (axis='x')
    where most pixels not covered by data differ from the plot background."""
    inner = plot.inner
    if inner.width < 10 or inner.height < 10:
        return []
    region = rgb[inner.y0 : inner.y1, inner.x0 : inner.x1]
    drawn = ink_mask(region, plot.plot_bg, threshold=15.0)
    free = np.ones(drawn.shape, dtype=bool)
    if exclude is not None:
        free = ~exclude[inner.y0 : inner.y1, inner.x0 : inner.x1]
    if axis == "y":
        hits, room, offset = (drawn & free).sum(axis=1), free.sum(axis=1), inner.y0
        span = inner.width
    else:
        hits, room, offset = (drawn & free).sum(axis=0), free.sum(axis=0), inner.x0
        span = inner.height
    fraction = hits / np.maximum(room, 1)
    is_line = (fraction >= 0.45) & (room >= 0.25 * span)
    return [offset + (start + stop) / 2 for start, stop in _true_runs(is_line) if stop - start <= 4]


def _true_runs(line: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], line.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def snap(position: float, candidates: list[float], tolerance: float) -> tuple[float, bool]:
    """``position`` moved to the nearest candidate within ``tolerance``; (position, snapped)."""
    if not candidates:
        return position, False
    nearest = min(candidates, key=lambda c: abs(c - position))
    if abs(nearest - position) <= tolerance:
        return nearest, True
    return position, False


# ---------------------------------------------------------------------------- fit


@dataclass
class AxisFit:
    """value = slope × pixel + intercept, fitted robustly on tick labels."""

    slope: float
    intercept: float
    inliers: int
    candidates: int
    rms_px: float
    snapped: int = 0
    source: str = "ticks"
    points: list[tuple[float, float]] = field(default_factory=list)

    def value_at(self, pixel: float) -> float:
        return self.slope * pixel + self.intercept

    def pixel_of(self, value: float) -> float:
        return (value - self.intercept) / self.slope

    @property
    def confidence(self) -> float:
        """1.0 for ≥ 4 evenly spaced ticks that agree to a pixel; lower for fewer, worse fits."""
        by_count = {0: 0.0, 1: 0.0, 2: 0.55, 3: 0.85}.get(self.inliers, 1.0)
        agreement = self.inliers / max(self.candidates, 1)
        residual = math.exp(-max(self.rms_px - 0.5, 0.0) / 1.5)
        return float(by_count * (0.6 + 0.4 * agreement) * residual)


def fit_axis(
    points: list[tuple[float, float]], tolerance_px: float = 2.5, source: str = "ticks"
) -> AxisFit | None:
    """Robust line through (pixel, value) pairs: the pair model with most inliers, refined.

    OCR misreads (a lost minus sign, '5' for '8') become outliers instead of bending the fit.
    """
    unique = sorted(set(points))
    if len(unique) < 2:
        return None
    best: tuple[int, float, np.ndarray] | None = None
    pixels = np.array([p for p, _ in unique], dtype=np.float64)
    values = np.array([v for _, v in unique], dtype=np.float64)
    for i, j in itertools.combinations(range(len(unique)), 2):
        if abs(pixels[i] - pixels[j]) < 3 or values[i] == values[j]:
            continue
        slope = (values[j] - values[i]) / (pixels[j] - pixels[i])
        intercept = values[i] - slope * pixels[i]
        predicted_px = (values - intercept) / slope
        error = np.abs(predicted_px - pixels)
        inliers = error <= tolerance_px
        score = (int(inliers.sum()), -float(error[inliers].sum()))
        if best is None or score > best[:2]:
            best = (score[0], score[1], inliers)
    if best is None or best[0] < 2:
        return None
    inliers = best[2]
    slope, intercept = np.polyfit(pixels[inliers], values[inliers], 1)
    if slope == 0:
        return None
    residual_px = (values[inliers] - intercept) / slope - pixels[inliers]
    rms = float(np.sqrt(np.mean(residual_px**2)))
    return AxisFit(
        slope=float(slope),
        intercept=float(intercept),
        inliers=int(inliers.sum()),
        candidates=len(unique),
        rms_px=rms,
        source=source,
        points=[
            (float(p), float(v)) for p, v in zip(pixels[inliers], values[inliers], strict=True)
        ],
    )
