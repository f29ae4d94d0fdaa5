"""Chart lookups: value at a label, highest/lowest, trend, difference — from parsed charts."""

from __future__ import annotations

import re
from decimal import Decimal

from serve.answer.base import Answer
from serve.answer.text import content_tokens, format_number, normalize, overlap, similarity
from serve.context.observations import Observation

_MAX = re.compile(r"\b(highest|largest|most|maximum|max|biggest|peak|greatest|top)\b")
_MIN = re.compile(r"\b(lowest|smallest|least|minimum|min|fewest|bottom)\b")
_TREND = re.compile(r"\b(trend|increas\w*|decreas\w*|grow\w*|declin\w*|go(?:es|ing)? up|down)\b")
# "Which month ...", "what category ..." ask for a label even when they say "value".
_ASKS_LABEL = re.compile(
    r"\b(which|what (category|label|month|year|day|quarter|region|city|country|item|product|"
    r"series|group|bar|point|period|team|name))\b"
)
_ASKS_VALUE = re.compile(
    r"\b(what|how much|how many) (is|was|were|are) the (highest|lowest|max|min|largest|"
    r"smallest|biggest|greatest|maximum|minimum|peak)"
)
_DIFF = re.compile(r"\b(difference|more than|less than|compared|gap|change from|between)\b")


# A label read twice ("I", "I", "I") or not read at all (its position stands in): an answer
# that names it, or looks it up, is not for the small stack to give.
UNRELIABLE_LABEL_FACTOR = 0.6


def _unreliable_labels(labels: list[str]) -> set[str]:
    """Labels printed more than once on the category axis (normalised): misread labels."""
    seen = [normalize(label) for label in labels]
    return {label for label in seen if seen.count(label) > 1 or not label}


def _label_index(question: str, labels: list[str]) -> tuple[int | None, float]:
    q_tokens = content_tokens(question)
    q_norm = normalize(question)
    best, best_score = None, 0.0
    for i, label in enumerate(labels):
        text = normalize(str(label))
        if not text:
            continue
        if re.search(rf"(?<![a-z0-9]){re.escape(text)}(?![a-z0-9])", q_norm):
            score = 1.0
        else:
            score = max(
                overlap(q_tokens, text),
                max((similarity(t, text) for t in q_tokens), default=0) * 0.8,
            )
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _series_for(question: str, series: list[dict]) -> tuple[dict, float]:
    if len(series) == 1:
        return series[0], 1.0
    index, score = _label_index(question, [s.get("name") or "" for s in series])
    if index is None or score < 0.5:
        return series[0], 0.5
    return series[index], score


def _fmt(value: float | int | str | None, unit: str | None) -> str:
    if value is None:
        return "unknown"
    number = Decimal(str(value))
    text = format_number(number)
    if unit in ("%",):
        return f"{text}%"
    if unit in ("$", "€", "£"):
        return f"{unit}{text}"
    return f"{text} {unit}".strip() if unit else text


class ChartAnswerer:
    """Answers questions about a chart from its parsed series."""

    name = "chart"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        charts = [o for o in observations if o.kind == "chart" and o.data.get("series")]
        if not charts:
            return None
        chart = charts[0]
        data = chart.data
        labels = [str(x) for x in data.get("x_labels") or []]
        series_list = data["series"]
        series, series_score = _series_for(question, series_list)
        values = series.get("values") or []
        unit = (data.get("y_axis") or {}).get("unit")
        lowered = normalize(question)
        base = float(data.get("confidence") or chart.confidence)
        pairs = [(labels[i] if i < len(labels) else str(i + 1), v) for i, v in enumerate(values)]
        pairs = [(label, v) for label, v in pairs if v is not None]
        if not pairs:
            return None
        details: dict = {"series": series.get("name")}
        unreliable = _unreliable_labels(labels)

        def doubtful(label: str) -> bool:
            return normalize(label) in unreliable or label not in labels

        # No series named and several plotted: answer for each series rather than guess one.
        every_series = len(series_list) > 1 and series_score < 1.0
        if _MAX.search(lowered) or _MIN.search(lowered):
            pick_max = bool(_MAX.search(lowered))
            asks_value = not _ASKS_LABEL.search(lowered) and bool(
                _ASKS_VALUE.search(lowered) or "value" in lowered
            )
            picks = []
            for one in series_list if every_series else [series]:
                one_pairs = [
                    (labels[i] if i < len(labels) else str(i + 1), v)
                    for i, v in enumerate(one.get("values") or [])
                    if v is not None
                ]
                if one_pairs:
                    label, value = (max if pick_max else min)(one_pairs, key=lambda p: p[1])
                    shown = _fmt(value, unit) if asks_value else f"{label} ({_fmt(value, unit)})"
                    picks.append((one.get("name"), label, value, shown))
            if not picks:
                return None
            if len(picks) == 1:
                text = _fmt(picks[0][2], unit) if asks_value else str(picks[0][1])
                confidence = base * 0.95 * series_score
            else:
                text = "; ".join(f"{name}: {shown}" for name, _, _, shown in picks)
                confidence = base * 0.9
            if not asks_value and any(doubtful(label) for _, label, _, _ in picks):
                confidence *= UNRELIABLE_LABEL_FACTOR
            details.update(
                op="max" if pick_max else "min",
                picks=[{"series": n, "label": lab, "value": v} for n, lab, v, _ in picks],
            )
            return Answer(text, round(confidence, 3), self.name, [chart.citation], details)

        index, label_score = _label_index(question, labels)
        if _DIFF.search(lowered):
            mentioned = [
                i
                for i, name in enumerate(labels)
                if re.search(rf"(?<![a-z0-9]){re.escape(normalize(name))}(?![a-z0-9])", lowered)
            ]
            if len(mentioned) >= 2 and all(
                i < len(values) and values[i] is not None for i in mentioned[:2]
            ):
                a, b = mentioned[:2]
                diff = Decimal(str(values[a])) - Decimal(str(values[b]))
                details.update(op="difference", labels=[labels[a], labels[b]])
                factor = (
                    UNRELIABLE_LABEL_FACTOR if doubtful(labels[a]) or doubtful(labels[b]) else 1
                )
                return Answer(
                    _fmt(abs(diff), unit),
                    round(base * 0.9 * factor, 3),
                    self.name,
                    [chart.citation],
                    details,
                )

        if index is not None and doubtful(labels[index]):
            base *= UNRELIABLE_LABEL_FACTOR  # which of the labels read alike was asked for?
        if every_series and index is not None and label_score >= 0.6:
            readings = [
                (one.get("name"), (one.get("values") or [])[index])
                for one in series_list
                if index < len(one.get("values") or [])
                and (one.get("values") or [])[index] is not None
            ]
            if readings:
                details.update(op="value", label=labels[index], series=[n for n, _ in readings])
                text = "; ".join(f"{name}: {_fmt(value, unit)}" for name, value in readings)
                return Answer(
                    text,
                    round(base * (0.7 + 0.3 * label_score), 3),
                    self.name,
                    [chart.citation],
                    details,
                )

        if (
            index is not None
            and label_score >= 0.6
            and index < len(values)
            and values[index] is not None
        ):
            details.update(op="value", label=labels[index])
            confidence = base * (0.7 + 0.3 * label_score) * (0.6 + 0.4 * series_score)
            return Answer(
                _fmt(values[index], unit),
                round(confidence, 3),
                self.name,
                [chart.citation],
                details,
            )

        if _TREND.search(lowered) and len(pairs) >= 2:
            first, last = pairs[0][1], pairs[-1][1]
            direction = "increasing" if last > first else "decreasing" if last < first else "flat"
            span = (
                f"from {_fmt(first, unit)} at {pairs[0][0]} to {_fmt(last, unit)} at {pairs[-1][0]}"
            )
            text = f"{direction} ({span})"
            details.update(op="trend", direction=direction)
            return Answer(text, round(base * 0.85, 3), self.name, [chart.citation], details)
        return None
