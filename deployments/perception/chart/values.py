"""Printed value labels: matching them to bars and points, and checking them against geometry."""

from __future__ import annotations

from dataclasses import dataclass

from deployments.perception.chart.bars import Bar
from deployments.perception.chart.labels import (
    ParsedNumber,
    Word,
    parse_number,
    split_merged_number,
)

LABEL_REL_TOLERANCE = 0.08  # label and geometry agree within 8 % ...
LABEL_PX_TOLERANCE = 3.0  # ... or within 3 pixels' worth of value


@dataclass
class Reading:
    """One read value: from the printed label when it agrees with geometry, else geometry."""

    value: float | None
    geometry: float | None
    label: float | None = None
    label_agrees: bool | None = None
    quality: float = 1.0  # 0-1, how well the geometry was measured

    @property
    def source(self) -> str:
        if self.label_agrees:
            return "label"
        return "geometry" if self.geometry is not None else "none"


def reconcile(
    label: ParsedNumber | None, geometry: float | None, value_per_px: float
) -> tuple[float | None, bool | None]:
    """(value, label agrees): the label wins when it matches the geometry, allowing a decimal
    point Tesseract dropped ('05' for '0.5'); otherwise geometry wins."""
    if label is None:
        return geometry, None
    if geometry is None:
        return label.value, None
    candidates = [label.value]
    if label.decimals == 0 and label.value != 0:
        candidates += [label.value / 10, label.value / 100]
    best = min(candidates, key=lambda c: abs(c - geometry))
    tolerance = max(LABEL_REL_TOLERANCE * abs(geometry), LABEL_PX_TOLERANCE * abs(value_per_px))
    if abs(best - geometry) <= tolerance:
        return best, True
    return geometry, False


def match_bar_labels(
    bars: list[Bar],
    far_edges: list[float],
    geometry: list[float | None],
    words: list[Word],
    text_height: float,
) -> list[ParsedNumber | None]:
    """The printed number belonging to each bar: just beyond (or just inside) its far end.

    Greedy by distance; each word serves one bar, except a word spanning two neighbouring
    bars ('0.80.8', two labels printed without a gap), which may serve both, split where its
    halves best match the bars' geometry.
    """
    found: list[ParsedNumber | None] = [None] * len(bars)
    pairs: list[tuple[float, int, int, int | None, ParsedNumber]] = []
    for word_index, word in enumerate(words):
        number = parse_number(word.text)
        covered = [
            i
            for i, bar in enumerate(bars)
            if _word_cat_lo(word, bar) <= bar.cat_center <= _word_cat_hi(word, bar)
        ]
        if len(covered) == 2 and bars[covered[0]].orientation == "vertical":
            left, right = sorted(covered, key=lambda i: bars[i].cat_center)
            split = _best_split(word.text, (left, right), geometry) or []
            for part, (bar_index, value) in enumerate(zip((left, right), split, strict=False)):
                gap = _value_gap(word, bars[bar_index], far_edges[bar_index])
                if -2 * text_height <= gap <= 2.5 * text_height:
                    pairs.append((abs(gap) + 0.5, bar_index, word_index, part, value))
        if number is None:
            continue
        for bar_index, bar in enumerate(bars):
            score = _bar_label_score(word, bar, far_edges[bar_index], text_height)
            if score is not None:
                pairs.append((score, bar_index, word_index, None, number))
    whole_taken: set[int] = set()
    parts_taken: dict[int, set[int]] = {}
    for _score, bar_index, word_index, part, number in sorted(pairs, key=lambda p: p[0]):
        if found[bar_index] is not None or word_index in whole_taken:
            continue
        if part is None:
            if word_index in parts_taken:
                continue
            whole_taken.add(word_index)
        else:
            if part in parts_taken.get(word_index, set()):
                continue
            parts_taken.setdefault(word_index, set()).add(part)
        found[bar_index] = number
    return found


def _best_split(
    text: str, bar_indices: tuple[int, int], geometry: list[float | None]
) -> list[ParsedNumber] | None:
    """The split of a merged label whose two numbers sit closest to the two bars' geometry."""
    expected = [geometry[i] for i in bar_indices]
    if any(e is None for e in expected):
        return None
    options = split_merged_number(text)
    if not options:
        return None

    def misfit(option: list[ParsedNumber]) -> float:
        return sum(
            abs(p.value - e) / max(abs(e), 1e-9)
            for p, e in zip(option, expected, strict=True)
            if e is not None
        )

    return min(options, key=misfit)


def _word_cat_lo(word: Word, bar: Bar) -> float:
    return word.box.x0 if bar.orientation == "vertical" else word.box.y0


def _word_cat_hi(word: Word, bar: Bar) -> float:
    return word.box.x1 if bar.orientation == "vertical" else word.box.y1


def _value_gap(word: Word, bar: Bar, far: float) -> float:
    """Distance from the bar's far end outwards to the word (negative: the word is inside)."""
    if bar.orientation == "vertical":
        lo, hi = word.box.y0, word.box.y1
    else:
        lo, hi = word.box.x0, word.box.x1
    outwards_low = far == bar.lo
    return far - hi if outwards_low else lo - far


def _bar_label_score(word: Word, bar: Bar, far: float, text_height: float) -> float | None:
    centre = word.box.cx if bar.orientation == "vertical" else word.box.cy
    slack = 0.3 * bar.thickness + 2
    if not bar.cat_lo - slack <= centre <= bar.cat_hi + slack:
        return None
    gap = _value_gap(word, bar, far)
    if not -2.0 * text_height <= gap <= 2.5 * text_height:
        return None
    return abs(gap) + abs(centre - bar.cat_center)


def match_point_labels(
    points: list[tuple[int, float, float]], words: list[Word], spacing: float, text_height: float
) -> dict[int, ParsedNumber]:
    """Printed numbers next to line points; ``points`` = (id, x, y). Each word used once."""
    pairs = []
    for word_index, word in enumerate(words):
        number = parse_number(word.text)
        if number is None:
            continue
        for point_id, x, y in points:
            dx = abs(word.box.cx - x)
            dy = min(abs(word.box.y1 - y), abs(word.box.y0 - y))
            if dx <= 0.45 * spacing and dx <= 3 * text_height and dy <= 2.5 * text_height:
                pairs.append((dx + dy, point_id, word_index, number))
    taken_points: set[int] = set()
    taken_words: set[int] = set()
    found: dict[int, ParsedNumber] = {}
    for _score, point_id, word_index, number in sorted(pairs, key=lambda p: p[0]):
        if point_id in taken_points or word_index in taken_words:
            continue
        found[point_id] = number
        taken_points.add(point_id)
        taken_words.add(word_index)
    return found
