"""Is an answer correct? Per ``case.meta["score"]``:

- ``number``: the answer holds exactly one distinct number and it equals the expected one
  ("25.80 1.55" for a total of 25.80 is wrong: it does not say which);
- ``name``: the expected name's letters and digits appear in the answer's, in order
  (punctuation and spacing aside: "MR.D.I.Y.(M) SDN BHD" is "MR. D.I.Y. (M) SDN BHD");
- ``date``: the expected date's numbers and words, in order, separators aside ("28-03-18" is
  "28/03/18"; "24 Mar 1809" is not "24 MAR 18");
- ``wer``: word error rate of a transcript under ``WER_PASS``;
- otherwise: the expected text is contained (numbers within ``tolerance`` when given).

``max_chars`` refuses answers too long to be the value asked for (a dumped page contains
everything).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from loadtest.eval.cases import Case

WER_PASS = 0.15
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


def _norm(text: str) -> str:
    text = text.lower().replace("\u2212", "-")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = re.sub(r"[$€£]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _numbers(text: str) -> list[Decimal]:
    return [Decimal(raw) for raw in re.findall(r"-?\d+(?:\.\d+)?", _norm(text))]


def distinct_numbers(text: str) -> set[Decimal]:
    """Every number written in ``text`` (thousands separators allowed), as values."""
    values = set()
    for raw in _NUMBER.findall(text.replace("\u2212", "-")):
        try:
            values.add(Decimal(raw.replace(",", "")))
        except InvalidOperation:
            continue
    return values


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _date_tokens(text: str) -> list[str]:
    """Numbers (leading zeros aside) and words of a date: "03/04/18" → ["3", "4", "18"]."""
    return [
        t.lstrip("0") or "0" if t.isdigit() else t for t in re.findall(r"\d+|[a-z]+", text.lower())
    ]


def _same_date(expected: str, answer: str) -> bool:
    want, got = _date_tokens(expected), _date_tokens(answer)
    return bool(want) and any(
        got[i : i + len(want)] == want for i in range(len(got) - len(want) + 1)
    )


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
    kind = case.meta.get("score")
    if kind == "wer":
        wer = word_error_rate(case.expected[0], answer)
        return wer <= WER_PASS, {"wer": round(wer, 4)}
    limit = case.meta.get("max_chars")
    if limit and len(answer) > limit:
        return False, {"too_long": len(answer)}
    if kind == "number":
        found = distinct_numbers(answer)
        for expected in case.expected:
            target = distinct_numbers(expected)
            if target and found == target:
                return True, {}
        return False, {"numbers": len(found)}
    if kind == "date":
        return any(_same_date(e, answer) for e in case.expected), {}
    if kind == "name":
        letters = _alnum(answer)
        ok = any(_alnum(e) and _alnum(e) in letters for e in case.expected)
        return ok, {}
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
