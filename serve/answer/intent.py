"""Question intent: does it need generation (the LLM), or can a lookup/computation answer it?"""

from __future__ import annotations

import re
from enum import StrEnum

from serve.answer.text import normalize


class Intent(StrEnum):
    GENERATE = "generate"  # explain, write, summarise, open questions → the LLM
    TRANSCRIBE = "transcribe"
    LOOKUP = "lookup"  # fields, cells, chart values, passages, arithmetic


_GENERATE = re.compile(
    r"^(explain|why|describe|write|draft|compose|summari[sz]e|translate|rewrite|paraphrase|"
    r"brainstorm|suggest|recommend|imagine|create|generate|discuss|argue|elaborate)\b"
    r"|\b(summary|summari[sz]e|in your own words|tell me (a|about)|what do you think|pros and cons"
    r"|a (poem|story|essay|haiku|email|letter)|how (does|do|would|could|should) .+ work)\b"
)
_TRANSCRIBE = re.compile(r"\btranscri\w*\b|\bverbatim\b|\bword for word\b")


def classify(question: str) -> Intent:
    """Rules over the normalised question; the default is a lookup."""
    text = normalize(question)
    if _TRANSCRIBE.search(text):
        return Intent.TRANSCRIBE
    if _GENERATE.search(text):
        return Intent.GENERATE
    return Intent.LOOKUP
