"""Facts heard twice: a value two ASR readings agree on is trusted, one they dispute is not.

The ASR deployment reads a clip a second time, with another model, when the value words of the
first reading were heard unsurely (``second_reading`` in the transcript's data,
:mod:`deployments.perception.asr.second_reading`). The fact answerer picks its value from each
reading on its own; :func:`combine` then weighs them:

- both readings give the same value (letters and digits compared, case and spacing aside): the
  trust in its words becomes that of two readings, 1 - (1 - t1)(1 - t2) (:func:`joint_trust`):
  a low word probability in one reading that only reflects how a number is written ("two
  hundred seventy-two" vs "272") no longer sinks it, while a name both models heard unsurely
  ("Planet Partners" for "Granite Partners": the two models share such slips) stays unsure.
  A date whose readings differ only in the year is given without it, a person whose given
  names differ by the surname (the part both hold);
- the second reading gives another value, and picks it surely (before ASR trust): the first
  reading's value is capped at ``DISPUTED_CAP``, under every route threshold;
- only the second reading has a value of the type: it is given, capped at ``SECOND_ONLY_CAP``
  (one reading by the second model, which alone is less reliable than the first);
- the second reading has no sure value: the first reading's answer stands as it was.
"""

from __future__ import annotations

import re

from serve.answer.base import Answer
from serve.context.observations import Observation

# A value the second reading disputes: well under every route threshold (0.65-0.77).
DISPUTED_CAP = 0.4
# How surely (type certainty x lead over other values) the second reading must pick another
# value for it to dispute the first one.
DISPUTE_CONTENT = 0.5
# A value heard only in the second reading.
SECOND_ONLY_CAP = 0.6


def joint_trust(first: float, second: float) -> float:
    """Trust in words two readings spell alike: each reading alone is wrong with chance
    1 - its trust, and both are wrong the same way at most that often (1 - t1)(1 - t2)."""
    return 1.0 - (1.0 - min(1.0, max(0.0, first))) * (1.0 - min(1.0, max(0.0, second)))


def value_key(text: str) -> str:
    """What two readings of a value must share: letters and digits, lower case."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


_YEAR = re.compile(r",? (\d{4})$")


def agreed_part(first: str, second: str, kind: str = "") -> str | None:
    """The part of a value both readings hold: all of it when they spell it alike; a date
    without its year when only the years differ ("August 8, 2020" / "August 8, 2027" →
    "August 8"); a person's surname when only the given names differ ("Hannah Thompson" /
    "Anna Thompson" → "Thompson"); None when they disagree."""
    if value_key(first) == value_key(second):
        return first
    a, b = _YEAR.search(first), _YEAR.search(second)
    if a and b and value_key(first[: a.start()]) == value_key(second[: b.start()]):
        return first[: a.start()]
    one, other = first.split(), second.split()
    same_surname = len(one) >= 2 and len(other) >= 2 and value_key(one[-1]) == value_key(other[-1])
    return one[-1] if kind == "person" and same_surname else None


def second_reading(observation: Observation) -> Observation | None:
    """The second reading of a transcript observation, as a transcript observation of its
    own (same source and confidence scale), or None when there is none."""
    reading = observation.data.get("second_reading") if observation.kind == "transcript" else None
    if not isinstance(reading, dict) or not str(reading.get("text") or "").strip():
        return None
    segments = [s for s in reading.get("segments") or [] if isinstance(s, dict)]
    data = {"text": reading["text"], "segments": segments, "model": reading.get("model")}
    return Observation(
        observation.source_id,
        observation.locator,
        "transcript",
        str(reading["text"]),
        observation.confidence,
        observation.stage,
        data,
    )


def combine(first: Answer | None, second: Answer | None, ceiling: float) -> Answer | None:
    """One answer from the two readings' answers (see the module docstring), no surer than
    ``ceiling``. Each carries ``data['content']`` (its confidence before the ASR trust) and
    ``data['trust']``."""
    if second is None:
        return first
    heard = {"value": second.text, "confidence": second.confidence}
    if first is None:
        second.confidence = round(min(second.confidence, SECOND_ONLY_CAP), 3)
        second.data["second_reading"] = {"only": True, **heard}
        return second
    agreed_text = agreed_part(first.text, second.text, str(first.data.get("type", "")))
    if agreed_text is not None:
        # both readings chose it (type certainty x lead: the surer one), with trusted words
        content = max(first.data.get("content", 0.0), second.data.get("content", 0.0))
        agreed = content * joint_trust(first.data.get("trust", 0.0), second.data.get("trust", 0.0))
        if agreed_text != first.text:
            first.data["heard_as"] = first.text
            first.text = agreed_text
        first.confidence = round(max(first.confidence, min(agreed, ceiling)), 3)
        first.data["second_reading"] = {"agrees": True, **heard}
        return first
    if second.data.get("content", 0.0) >= DISPUTE_CONTENT:
        first.confidence = round(min(first.confidence, DISPUTED_CAP), 3)
        first.data["second_reading"] = {"agrees": False, **heard}
    else:
        first.data["second_reading"] = {"agrees": None, **heard}
    return first
