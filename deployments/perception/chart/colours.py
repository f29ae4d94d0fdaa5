"""Series colours: the distinct fill/stroke colours drawn inside the plot area."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deployments.perception.chart.geometry import Box, chroma, colour_distance

MERGE_DISTANCE = 25.0  # RGB distance under which two peaks are one colour
MIN_SATURATION = 45  # chroma above which a pixel is "coloured" rather than grey/black


@dataclass
class ColourCluster:
    """One series colour and how many plot pixels carry it."""

    index: int
    colour: np.ndarray
    pixels: int

    @property
    def hex(self) -> str:
        r, g, b = (min(255, max(0, round(float(c)))) for c in self.colour)
        return f"#{r:02x}{g:02x}{b:02x}"


def series_colours(
    rgb: np.ndarray, region: Box, background: np.ndarray, *, max_colours: int = 12
) -> list[ColourCluster]:
    """Distinct colours of the data drawn in ``region`` (bars, lines, markers).

    Saturated pixels always count; grey/black pixels only when they form solid blocks
    (grey bars), so axes, gridlines and black text are not mistaken for series.
    """
    crop = rgb[region.y0 : region.y1, region.x0 : region.x1]
    if crop.size == 0:
        return []
    away = colour_distance(crop, background) > 60
    candidates = away & (chroma(crop) > MIN_SATURATION)
    candidates |= away & _solid_grey_blocks(crop, away & ~candidates)
    pixels = crop[candidates]
    min_pixels = max(50, int(0.0008 * crop.shape[0] * crop.shape[1]))
    if len(pixels) < min_pixels:
        return []
    bins = (pixels // 8).astype(np.int32)
    packed = (bins[:, 0] << 10) | (bins[:, 1] << 5) | bins[:, 2]
    keys, counts = np.unique(packed, return_counts=True)
    order = np.argsort(-counts)
    centres: list[np.ndarray] = []
    for key_index in order:
        if counts[key_index] < min_pixels / 4 or len(centres) >= max_colours:
            break
        key = int(keys[key_index])
        centre = np.array([(key >> 10) & 31, (key >> 5) & 31, key & 31], np.float32) * 8 + 4
        if all(np.linalg.norm(centre - c) > MERGE_DISTANCE for c in centres):
            centres.append(centre)
    clusters = []
    for centre in centres:
        near = colour_distance(pixels, centre) < 20
        if near.sum() < min_pixels:
            continue
        clusters.append(ColourCluster(len(clusters), pixels[near].astype(np.float32).mean(0), 0))
    if not clusters:
        return []
    masks = colour_masks(crop, clusters, background)
    for cluster, mask in zip(clusters, masks, strict=True):
        cluster.pixels = int(mask.sum())
    blends = _blend_clusters(clusters, masks, background)
    kept = [c for i, c in enumerate(clusters) if c.pixels >= min_pixels and i not in blends]
    for index, cluster in enumerate(kept):
        cluster.index = index
    return kept


def colour_masks(
    rgb: np.ndarray, clusters: list[ColourCluster], background: np.ndarray
) -> list[np.ndarray]:
    """One boolean mask per cluster: pixels nearer to it than to the background or others
    (for a grey cluster, only those in solid blocks)."""
    if not clusters:
        return []
    distances = np.stack([colour_distance(rgb, c.colour) for c in clusters])
    nearest = distances.argmin(axis=0)
    saturation = chroma(rgb)
    masks = []
    for index, cluster in enumerate(clusters):
        reach = 0.5 * float(np.linalg.norm(cluster.colour - background))
        others = [np.linalg.norm(cluster.colour - o.colour) for o in clusters if o is not cluster]
        if others:
            reach = min(reach, 0.5 * min(others))
        mask = (nearest == index) & (distances[index] < min(reach, 45.0))
        own_chroma = float(np.ptp(cluster.colour))
        if own_chroma <= MIN_SATURATION:
            # A grey series is only ever solid blocks (grey bars): never text or axes.
            mask = _solid_grey_blocks(rgb, mask)
        else:  # grey text and gridlines never belong to a coloured series
            mask &= saturation >= 0.35 * own_chroma
        masks.append(mask)
    return masks


def _blend_clusters(
    clusters: list[ColourCluster], masks: list[np.ndarray], background: np.ndarray
) -> set[int]:
    """Clusters that are anti-aliasing fringes: a mix of another colour with the background
    (or of two colours) hugging that colour's pixels, not a series of their own."""
    blends: set[int] = set()
    near = [cv2.dilate(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) for m in masks]
    for index, cluster in enumerate(clusters):
        if not masks[index].any():
            continue
        for parent_index, parent in enumerate(clusters):
            if parent_index == index or parent.pixels <= cluster.pixels:
                continue
            ends = [background] + [
                c.colour for c in clusters if c is not cluster and c is not parent
            ]
            if not any(_on_segment(cluster.colour, parent.colour, end) for end in ends):
                continue
            hugging = (masks[index] & near[parent_index]).sum() / masks[index].sum()
            if hugging >= 0.8:
                blends.add(index)
                break
    return blends


def _on_segment(colour: np.ndarray, a: np.ndarray, b: np.ndarray, tolerance: float = 18.0):
    """Whether ``colour`` is a mix of ``a`` and ``b`` (lies near the segment between them)."""
    direction = b - a
    length = float(np.dot(direction, direction))
    if length < 1:
        return False
    t = float(np.dot(colour - a, direction) / length)
    if not 0.08 < t < 0.92:
        return False
    return float(np.linalg.norm(colour - (a + t * direction))) <= tolerance


def _solid_grey_blocks(crop: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """Grey pixels belonging to filled rectangles at least 6 px thick (grey bars)."""
    if not grey.any():
        return np.zeros(grey.shape, dtype=bool)
    kernel = np.ones((6, 6), np.uint8)
    solid = cv2.morphologyEx(grey.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
    return solid
