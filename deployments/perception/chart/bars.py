"""Bars: solid rectangles of one series colour, their orientation, edges and grouping."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deployments.perception.chart.geometry import Box

MIN_FILL = 0.85  # pixel share of its bounding box a bar component must fill


@dataclass
class Bar:
    """One bar; ``lo``/``hi`` are its sub-pixel edges along the value axis (lo < hi)."""

    box: Box
    cluster: int
    orientation: str  # "vertical" (values along y) or "horizontal" (values along x)
    lo: float = 0.0
    hi: float = 0.0

    @property
    def cat_lo(self) -> int:
        return self.box.x0 if self.orientation == "vertical" else self.box.y0

    @property
    def cat_hi(self) -> int:
        return self.box.x1 if self.orientation == "vertical" else self.box.y1

    @property
    def cat_center(self) -> float:
        return (self.cat_lo + self.cat_hi) / 2

    @property
    def thickness(self) -> int:
        return self.cat_hi - self.cat_lo


def solid_rectangles(mask: np.ndarray, region: Box) -> tuple[list[Box], int, int]:
    """Bar-like components of ``mask`` inside ``region``: (boxes, their pixels, all pixels)."""
    crop = mask[region.y0 : region.y1, region.x0 : region.x1].astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=4)
    boxes, rect_pixels, total = [], 0, int(crop.sum())
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if area / (w * h) >= MIN_FILL and max(w, h) >= 3 and min(w, h) >= 1 and area >= 6:
            boxes.append(Box(region.x0 + x, region.y0 + y, region.x0 + x + w, region.y0 + y + h))
            rect_pixels += area
    return _merge_split_bars(boxes), rect_pixels, total


def _merge_split_bars(boxes: list[Box], max_gap: int = 4) -> list[Box]:
    """Rejoin pieces of one bar cut by gridlines drawn over it: same extent across, a gap of
    a few pixels along."""
    merged = sorted(boxes, key=lambda b: (b.x0, b.y0))
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(merged):
            for j in range(i + 1, len(merged)):
                b = merged[j]
                same_columns = abs(a.x0 - b.x0) <= 1 and abs(a.x1 - b.x1) <= 1
                same_rows = abs(a.y0 - b.y0) <= 1 and abs(a.y1 - b.y1) <= 1
                vertical_gap = max(a.y0, b.y0) - min(a.y1, b.y1)
                horizontal_gap = max(a.x0, b.x0) - min(a.x1, b.x1)
                if (same_columns and 0 <= vertical_gap <= max_gap) or (
                    same_rows and 0 <= horizontal_gap <= max_gap
                ):
                    merged[i] = a.union(b)
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def is_bar_series(boxes: list[Box], rect_pixels: int, total_pixels: int) -> bool:
    """A colour is drawn as bars when solid blocks (≥ 4 px both ways) carry most of it."""
    if total_pixels == 0 or not any(min(b.width, b.height) >= 4 for b in boxes):
        return False
    return rect_pixels >= 0.7 * total_pixels


def orientation_of(boxes: list[Box]) -> str:
    """'vertical' when bars share a y edge (their baseline), 'horizontal' when an x edge."""
    if len(boxes) == 1:
        return "vertical" if boxes[0].height >= boxes[0].width else "horizontal"
    vertical = _shared_edge_count([v for b in boxes for v in (b.y0, b.y1)])
    horizontal = _shared_edge_count([v for b in boxes for v in (b.x0, b.x1)])
    if vertical == horizontal:
        widths = np.median([b.width for b in boxes])
        heights = np.median([b.height for b in boxes])
        return "vertical" if heights >= widths else "horizontal"
    return "vertical" if vertical > horizontal else "horizontal"


def _shared_edge_count(edges: list[int]) -> int:
    values = np.array(edges)
    return int(max(np.sum(np.abs(values - v) <= 2) for v in values))


def measure_edges(
    rgb: np.ndarray, bar: Bar, colour: np.ndarray, background: np.ndarray
) -> tuple[float, float]:
    """Sub-pixel value-axis edges of ``bar`` from the anti-aliased coverage of its end pixels."""
    box = bar.box
    if bar.orientation == "vertical":
        quarter = box.width // 4
        band = rgb[:, box.x0 + quarter : max(box.x1 - quarter, box.x0 + quarter + 1)]
        profile, start, stop = band, box.y0, box.y1
    else:
        quarter = box.height // 4
        band = rgb[box.y0 + quarter : max(box.y1 - quarter, box.y0 + quarter + 1), :]
        profile, start, stop = band.transpose(1, 0, 2), box.x0, box.x1
    # The search region may clip a bar (e.g. 2 px inside the plot edge): walk out to its end.
    while start > 0 and _coverage(profile, start - 1, colour, background) >= 0.9:
        start -= 1
    while stop < profile.shape[0] and _coverage(profile, stop, colour, background) >= 0.9:
        stop += 1
    lo = start + (1.0 - _coverage(profile, start, colour, background))
    lo -= _coverage(profile, start - 1, colour, background)
    hi = stop - (1.0 - _coverage(profile, stop - 1, colour, background))
    hi += _coverage(profile, stop, colour, background)
    return float(lo), float(hi)


def _coverage(profile: np.ndarray, index: int, colour: np.ndarray, background: np.ndarray):
    """Mean share of ``colour`` in line ``index`` of ``profile`` (0 where it is no blend)."""
    if index < 0 or index >= profile.shape[0]:
        return 0.0
    pixels = profile[index].astype(np.float32)
    direction = colour.astype(np.float32) - background.astype(np.float32)
    length = float(np.dot(direction, direction))
    if length < 1:
        return 0.0
    t = ((pixels - background) @ direction) / length
    off_line = np.linalg.norm(pixels - background - np.outer(t, direction), axis=1)
    t = np.where(off_line < 25.0, np.clip(t, 0.0, 1.0), 0.0)
    return float(t.mean())


def group_by_category(bars: list[Bar]) -> list[list[Bar]]:
    """Bars side by side with (almost) no gap form one category group."""
    if not bars:
        return []
    ordered = sorted(bars, key=lambda b: b.cat_center)
    tolerance = max(2.0, 0.2 * float(np.median([b.thickness for b in ordered])))
    groups = [[ordered[0]]]
    for bar in ordered[1:]:
        if bar.cat_lo - max(b.cat_hi for b in groups[-1]) > tolerance:
            groups.append([bar])
        else:
            groups[-1].append(bar)
    return groups


def far_edge(bar: Bar, baseline_px: float) -> float:
    """The bar end away from the baseline (value 0): the one its value is read at."""
    return bar.lo if abs(bar.hi - baseline_px) <= abs(bar.lo - baseline_px) else bar.hi


def near_edge(bar: Bar, baseline_px: float) -> float:
    return bar.hi if far_edge(bar, baseline_px) == bar.lo else bar.lo
