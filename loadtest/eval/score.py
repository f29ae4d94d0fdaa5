"""Is an answer correct? Containment of the expected text, numbers within tolerance, or WER."""

from __future__ import annotations

import re
from decimal import Decimal

from loadtest.eval.cases import Case

WER_PASS = 0.15


def _norm(text: str) -> str:
    text = text.lower().replace("\u2212", "-")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = re.sub(r"[$€£]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _numbers(text: str) -> list[Decimal]:
    return [Decimal(raw) for raw in re.findall(r"-?\d+(?:\.\d+)?", _norm(text))]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after the ASR normaliser (numbers, money, dates written one way)."""
    import jiwer

    from deployments.perception.asr.normalize import normalize_transcript

    ref, hyp = normalize_transcript(reference), normalize_transcript(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def is_correct(case: Case, answer: str) -> tuple[bool, dict]:
    """(correct, details) for one answer."""
    if case.meta.get("score") == "wer":
        wer = word_error_rate(case.expected[0], answer)
        return wer <= WER_PASS, {"wer": round(wer, 4)}
    normalized = _norm(answer)
    for expected in case.expected:
        target = _norm(expected)
        if re.search(rf"(?<![\w.]){re.escape(target)}(?![\w]|\.\d)", normalized):
            return True, {}
    tolerance = case.meta.get("tolerance")
    if tolerance and "value" in case.meta:
        truth = Decimal(str(case.meta["value"]))
        for number in _numbers(answer):
            if truth == 0 and number == 0:
                return True, {"within": 0}
            if truth != 0 and abs(number - truth) / abs(truth) <= Decimal(str(tolerance)):
                return True, {"within": float(abs(number - truth) / abs(truth))}
    return False, {}
