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
_DIFF = re.compile(r"\b(difference|more than|less than|compared|gap|change from|between)\b")


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

        if _MAX.search(lowered) or _MIN.search(lowered):
            pick_max = bool(_MAX.search(lowered))
            label, value = (max if pick_max else min)(pairs, key=lambda p: p[1])
            asks_value = (
                bool(
                    re.search(
                        r"\b(what|how much|how many) (is|was|were) the (highest|lowest|max|min)",
                        lowered,
                    )
                )
                or "value" in lowered
            )
            text = _fmt(value, unit) if asks_value else str(label)
            details.update(op="max" if pick_max else "min", label=label, value=value)
            return Answer(
                text, round(base * 0.95 * series_score, 3), self.name, [chart.citation], details
            )

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
                return Answer(
                    _fmt(abs(diff), unit),
                    round(base * 0.9, 3),
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
