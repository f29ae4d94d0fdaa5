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


def find_legend(masks: list[np.ndarray], words: list[Word], text_height: float) -> Legend:
    """Entries whose swatch (a small patch or short line of a series colour) has a name
    with letters right after it on the same line; the legend box encloses them all."""
    named = [w for w in words if any(ch.isalpha() for ch in w.text)]
    if not named:
        return Legend([], None)
    phrases = [p for row in group_rows(named) for p in split_row(row, gap_factor=1.5)]
    entries: list[LegendEntry] = []
    used_phrases: set[int] = set()
    for cluster, mask in enumerate(masks):
        for swatch in _swatches(mask, text_height):
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
            if best is None or best in used_phrases:
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


def _swatches(mask: np.ndarray, text_height: float) -> list[Box]:
    """Small components of a colour mask shaped like legend keys."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    found = []
    limit_w, limit_h = 6.0 * max(text_height, 6), 2.0 * max(text_height, 6)
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if 4 <= w <= limit_w and h <= limit_h and area >= 6:
            found.append(Box(x, y, x + w, y + h))
    return found
