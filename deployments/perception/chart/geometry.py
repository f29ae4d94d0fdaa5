"""Small geometric and colour helpers shared by the chart pipeline steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned pixel box; ``x1``/``y1`` are exclusive. OCR boxes may be fractional;
    call :meth:`rounded` before slicing arrays with one."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def area(self) -> float:
        return max(0, self.width) * max(0, self.height)

    def rounded(self) -> Box:
        """Integer box enclosing this one."""
        return Box(
            int(np.floor(self.x0)),
            int(np.floor(self.y0)),
            int(np.ceil(self.x1)),
            int(np.ceil(self.y1)),
        )

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def pad(self, pixels: int, limit: tuple[int, int] | None = None) -> Box:
        """Grown by ``pixels`` on every side, clipped to ``limit`` = (height, width)."""
        box = Box(self.x0 - pixels, self.y0 - pixels, self.x1 + pixels, self.y1 + pixels)
        return box.clip(*limit) if limit else box

    def clip(self, height: int, width: int) -> Box:
        """Integer box inside an image of ``height`` x ``width``."""
        box = self.rounded()
        return Box(max(0, box.x0), max(0, box.y0), min(width, box.x1), min(height, box.y1))

    def contains_point(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1

    def intersects(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def intersects_row(self, other: Box) -> bool:
        """Whether the two boxes overlap vertically (sit on one text line)."""
        return self.y0 < other.y1 and other.y0 < self.y1

    def as_list(self) -> list[float]:
        return [self.x0, self.y0, self.x1, self.y1]


def colour_distance(pixels: np.ndarray, colour: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Euclidean RGB distance of every pixel (…, 3) to ``colour``."""
    diff = pixels.astype(np.float32) - np.asarray(colour, dtype=np.float32)
    return np.sqrt((diff * diff).sum(axis=-1))


def chroma(pixels: np.ndarray) -> np.ndarray:
    """max(R, G, B) − min(R, G, B): 0 for greys, large for saturated colours."""
    as_int = pixels.astype(np.int16)
    return as_int.max(axis=-1) - as_int.min(axis=-1)


def modal_colour(pixels: np.ndarray) -> np.ndarray:
    """The most frequent colour of a (N, 3) array, quantised to 4-level bins then averaged."""
    flat = pixels.reshape(-1, 3)
    if flat.size == 0:
        return np.array([255, 255, 255], dtype=np.float32)
    keys = (flat // 4).astype(np.int32)
    packed = (keys[:, 0] << 12) | (keys[:, 1] << 6) | keys[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    top = values[counts.argmax()]
    return flat[packed == top].astype(np.float32).mean(axis=0)


def runs(mask_line: np.ndarray) -> list[tuple[int, int]]:
    """Start/stop (exclusive) index pairs of the True runs of a 1-D boolean array."""
    padded = np.concatenate([[False], mask_line.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def longest_run(mask_line: np.ndarray) -> int:
    """Length of the longest True run of a 1-D boolean array."""
    found = runs(mask_line)
    return max((stop - start for start, stop in found), default=0)


def longest_runs(mask: np.ndarray, axis: int) -> np.ndarray:
    """Longest True run per row (axis=1) or per column (axis=0) of a 2-D mask, vectorised."""
    data = mask if axis == 1 else mask.T
    data = data.astype(np.int32)
    result = np.zeros(data.shape[0], dtype=np.int32)
    current = np.zeros(data.shape[0], dtype=np.int32)
    for column in range(data.shape[1]):
        current = (current + 1) * data[:, column]
        np.maximum(result, current, out=result)
    return result
