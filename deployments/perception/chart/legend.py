"""Legends: a colour swatch with a name to its right → series colour ↔ series name."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deployments.perception.chart.geometry import Box
from deployments.perception.chart.labels import Word, group_rows, join_words, split_row


@dataclass
class LegendEntry:
    cluster: int
    name: str
    swatch: Box
    label: Box


@dataclass
class Legend:
    entries: list[LegendEntry]
    box: Box | None

    def name_of(self, cluster: int) -> str | None:
        for entry in self.entries:
            if entry.cluster == cluster:
                return entry.name
        return None

    def order_of(self, cluster: int) -> int | None:
        for index, entry in enumerate(self.entries):
            if entry.cluster == cluster:
                return index
        return None


def find_legend(
    masks: list[np.ndarray], words: list[Word], text_height: float, frame: Box | None = None
) -> Legend:
    """Entries whose swatch (a small patch or short line of a series colour) has a name
    right after it on the same line; the legend box encloses them all. Patches touching the
    axes ``frame`` are short bars, never legend keys."""
    named = [w for w in words if any(ch.isalnum() for ch in w.text)]
    if not named:
        return Legend([], None)
    phrases = [p for row in group_rows(named) for p in split_row(row, gap_factor=1.5)]
    entries: list[LegendEntry] = []
    used_phrases: set[int] = set()
    for cluster, mask in enumerate(masks):
        for swatch in _swatches(mask, text_height):
            if frame is not None and _touches_axes(swatch, frame):
                continue
            best, best_gap = None, None
            for index, phrase in enumerate(phrases):
                first = phrase[0].box
                gap = first.x0 - swatch.x1
                height = max(first.height, 1)
                if not -1 <= gap <= 2.0 * max(height, text_height):
                    continue
                if abs(first.cy - swatch.cy) > 0.7 * max(height, text_height):
                    continue
                if best_gap is None or gap < best_gap:
                    best, best_gap = index, gap
            if best is None or best in used_phrases or not _looks_like_a_name(phrases[best]):
                continue
            if any(entry.cluster == cluster for entry in entries):
                continue
            used_phrases.add(best)
            phrase = phrases[best]
            label = phrase[0].box
            for word in phrase[1:]:
                label = label.union(word.box)
            entries.append(LegendEntry(cluster, join_words(phrase), swatch, label))
    if not entries:
        return Legend([], None)
    entries.sort(key=lambda e: (round(e.swatch.cy / max(text_height, 1)), e.swatch.x0))
    box = entries[0].swatch.union(entries[0].label)
    for entry in entries[1:]:
        box = box.union(entry.swatch).union(entry.label)
    return Legend(entries, box.pad(max(3, round(0.6 * text_height))))


def _touches_axes(box: Box, frame: Box, slack: float = 3.0) -> bool:
    """Whether ``box`` stands on the left or bottom axis of the plot ``frame``."""
    return abs(box.x0 - frame.x0) <= slack or abs(box.y1 - frame.y1) <= slack


def _looks_like_a_name(phrase: list[Word]) -> bool:
    """Legend names are words ('Team A', 'Q1 plan') or years ('2023'), not a value label
    ('88', or '88' misread as '8s')."""
    text = join_words(phrase)
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    if letters == 0:
        return text.isdigit() and len(text) == 4
    return letters >= 2 or digits == 0


def _swatches(mask: np.ndarray, text_height: float) -> list[Box]:
    """Small components of a colour mask shaped like legend keys, standing on their own
    (not the end of a bar cut off by a gridline)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    boxes = [
        Box(*(int(v) for v in stats[i][:2]), *(int(v) for v in stats[i][:2] + stats[i][2:4]))
        for i in range(1, count)
    ]
    areas = [int(stats[i][4]) for i in range(1, count)]
    found = []
    limit_w, limit_h = 6.0 * max(text_height, 6), 2.0 * max(text_height, 6)
    for box, area in zip(boxes, areas, strict=True):
        if not (4 <= box.width <= limit_w and box.height <= limit_h and area >= 6):
            continue
        near = box.pad(4)
        if any(
            other is not box and other.area > box.area and near.intersects(other) for other in boxes
        ):
            continue
        found.append(box)
    return found
