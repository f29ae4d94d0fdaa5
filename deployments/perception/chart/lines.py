"""Lines: a series colour traced column by column, then read at the category positions."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deployments.perception.chart.geometry import Box


@dataclass
class LineTrace:
    """Centre row of one line in every column of the plot (NaN where it is not drawn)."""

    cluster: int
    x0: int
    centres: np.ndarray

    @property
    def x_extent(self) -> tuple[int, int]:
        drawn = np.flatnonzero(~np.isnan(self.centres))
        if drawn.size == 0:
            return (self.x0, self.x0)
        return (self.x0 + int(drawn[0]), self.x0 + int(drawn[-1]) + 1)

    @property
    def coverage(self) -> float:
        return float(np.mean(~np.isnan(self.centres))) if self.centres.size else 0.0


def trace_line(mask: np.ndarray, region: Box, cluster: int) -> LineTrace | None:
    """The centre line of ``mask`` in ``region``.

    A line is a function of x: its pieces (split where other lines cross it) follow one
    another along x. Pieces sharing columns with a bigger piece (a legend key, a stray
    mark) are dropped, and so are specks.
    """
    crop = mask[region.y0 : region.y1, region.x0 : region.x1].astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    if count <= 1:
        return None
    keep = np.zeros(count, dtype=bool)
    taken: list[tuple[int, int]] = []
    for index in sorted(range(1, count), key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
        start = int(stats[index, cv2.CC_STAT_LEFT])
        stop = start + int(stats[index, cv2.CC_STAT_WIDTH])
        if stats[index, cv2.CC_STAT_AREA] < 6:
            continue
        if any(min(stop, b) - max(start, a) > 3 for a, b in taken):
            continue
        keep[index] = True
        taken.append((start, stop))
    clean = keep[labels]
    rows = np.arange(clean.shape[0], dtype=np.float64)[:, None]
    weight = clean.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centres = (clean * rows).sum(axis=0) / weight
    centres[weight == 0] = np.nan
    centres += region.y0 + 0.5  # row index → continuous pixel coordinate
    trace = LineTrace(cluster=cluster, x0=region.x0, centres=centres)
    return trace if np.sum(weight > 0) >= 5 else None


def is_line_series(trace: LineTrace | None, region: Box) -> bool:
    """A colour is a line when it runs across a good part of the plot width."""
    if trace is None:
        return False
    start, stop = trace.x_extent
    return stop - start >= 0.25 * region.width and trace.coverage >= 0.15


def sample_line(trace: LineTrace, x: float, spacing: float) -> tuple[float | None, float]:
    """(y, quality) of the line at column ``x``.

    Lines are straight between points, so y is extrapolated from a straight fit on each side
    (skipping the marker / corner right at ``x``), and both sides are averaged. Quality is 1
    when both sides agree to a pixel, lower for one-sided or disagreeing estimates.
    """
    inner = float(np.clip(0.15 * spacing, 3.0, 9.0))
    outer = max(inner + 3.0, 0.45 * spacing)
    estimates = []
    for sign in (-1, 1):
        columns = np.arange(round(x + sign * inner), round(x + sign * outer), sign)
        index = columns - trace.x0
        valid = (index >= 0) & (index < trace.centres.size)
        columns, index = columns[valid], index[valid]
        ys = trace.centres[index]
        good = ~np.isnan(ys)
        if good.sum() >= 3:
            slope, intercept = np.polyfit(columns[good], ys[good], 1)
            estimates.append(slope * x + intercept)
    if not estimates:
        direct = trace.centres[round(x) - trace.x0] if _inside(trace, x) else np.nan
        return (None, 0.0) if np.isnan(direct) else (float(direct), 0.4)
    if len(estimates) == 1:
        return float(estimates[0]), 0.8
    spread = abs(estimates[0] - estimates[1])
    return float(np.mean(estimates)), float(np.exp(-max(spread - 1.0, 0.0) / 3.0))


def _inside(trace: LineTrace, x: float) -> bool:
    return 0 <= round(x) - trace.x0 < trace.centres.size


def drop_shadow_traces(traces: list[LineTrace]) -> list[LineTrace]:
    """Drop traces that only shadow a bigger one (anti-aliasing fringes of a line running
    along a gridline get a colour of their own): mostly within 3 px of it."""
    ordered = sorted(traces, key=lambda t: -np.sum(~np.isnan(t.centres)))
    kept: list[LineTrace] = []
    for trace in ordered:
        shadow = False
        for big in kept:
            a, b = trace.centres, big.centres
            if a.shape != b.shape or trace.x0 != big.x0:
                continue
            both = ~np.isnan(a) & ~np.isnan(b)
            if both.sum() >= 0.5 * np.sum(~np.isnan(a)) and np.median(np.abs(a - b)[both]) <= 3:
                shadow = True
                break
        if not shadow:
            kept.append(trace)
    return kept
