"""A small-stack rehearsal at replica start: the answerers run once on synthetic evidence.

Several answerers load data on first use (the GeoNames gazetteer, the name model, parsers):
seconds on a small machine, which the first real request after "ready" would otherwise pay.
The router's readiness includes this rehearsal, so the first request is as fast as the tenth.
Nothing leaves the replica: no stage, no LLM, no trace, no audit line.
"""

from __future__ import annotations

from typing import Any

from serve.context.observations import Observation

EVIDENCE = (
    Observation(
        "doc1",
        "p.1",
        "text",
        "INVOICE INV-20417. Acme Corporation, 12 Rue de Rivoli, Paris. Date: 14 March 2024. "
        "Due date: 13 April 2024. Subtotal $1,000.00, tax $200.00, total due $1,200.00.",
        0.95,
        "ocr",
    ),
    Observation(
        "audio1",
        "00:00-00:09",
        "transcript",
        "Hi, this is Maria Lopez from Northwind Traders calling about order 88231. "
        "Please call me back at 555 0142 before 4 pm on Friday.",
        0.9,
        "asr",
    ),
)
QUESTIONS = (
    ("What is 17 * 23?", ()),
    ("What is the invoice number?", EVIDENCE[:1]),
    ("What is the total due?", EVIDENCE[:1]),
    ("Who called, and from which company?", EVIDENCE[1:]),
    ("What time should I call back?", EVIDENCE[1:]),
    ("Which city is the company in?", EVIDENCE[:1]),
)


def rehearse(small_stack: Any) -> int:
    """Run ``small_stack.decide`` on every rehearsal question; returns how many ran."""
    for question, evidence in QUESTIONS:
        small_stack.decide(question, list(evidence))
    return len(QUESTIONS)
