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
        r, g, b = (int(round(c)) for c in self.colour)
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
    min_pixels = max(25, int(0.0004 * crop.shape[0] * crop.shape[1]))
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
    kept = [c for c in clusters if c.pixels >= min_pixels]
    for index, cluster in enumerate(kept):
        cluster.index = index
    return kept


def colour_masks(
    rgb: np.ndarray, clusters: list[ColourCluster], background: np.ndarray
) -> list[np.ndarray]:
    """One boolean mask per cluster: pixels nearer to it than to the background or others."""
    if not clusters:
        return []
    distances = np.stack([colour_distance(rgb, c.colour) for c in clusters])
    nearest = distances.argmin(axis=0)
    masks = []
    for index, cluster in enumerate(clusters):
        reach = 0.5 * float(np.linalg.norm(cluster.colour - background))
        others = [np.linalg.norm(cluster.colour - o.colour) for o in clusters if o is not cluster]
        if others:
            reach = min(reach, 0.5 * min(others))
        masks.append((nearest == index) & (distances[index] < min(reach, 45.0)))
    return masks


def _solid_grey_blocks(crop: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """Grey pixels belonging to filled rectangles at least 6 px thick (grey bars)."""
    if not grey.any():
        return np.zeros(grey.shape, dtype=bool)
    kernel = np.ones((6, 6), np.uint8)
    solid = cv2.morphologyEx(grey.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
    return solid
