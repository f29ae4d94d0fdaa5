"""Rehearsals at replica start, so the first request after "ready" is as fast as the tenth.

- the small stack: the answerers run once on synthetic evidence (several load data on first
  use: the GeoNames gazetteer, the name model, parsers — seconds on a small machine);
- the pipeline: one plain question through plan → stages → small stack, so the stages it
  routes to (and their deployments) have served a first call.

No trace, metrics or audit line; nothing reaches the LLM.
"""

from __future__ import annotations

import asyncio
import time
import uuid
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


PIPELINE_QUESTION = "What is 17 * 23?"


async def rehearse_pipeline(
    chat: Any, model: str, *, within_s: float = 300.0, pause_s: float = 1.0
) -> dict[str, Any]:
    """One text request through plan → stages → small stack, in this replica (no gateway,
    trace, metrics or audit): the stages a plain question routes to (retrieve, with its
    embedding call) answer their first call now rather than in the first client request.

    Repeated while a stage call failed because its deployment is still starting, for at most
    ``within_s``; returns the stages that ran and the attempts it took.
    """
    from serve.api.protocol import ChatCompletionRequest
    from serve.observability.record import RequestRecord

    body = ChatCompletionRequest(
        model=model, messages=[{"role": "user", "content": PIPELINE_QUESTION}], max_tokens=16
    )
    deadline = time.monotonic() + within_s
    attempt = 0
    while True:
        attempt += 1
        record = RequestRecord(request_id=f"warm-up-{uuid.uuid4().hex[:12]}", model=model)
        inputs = await chat.parser.read(body)
        plan = chat.pipeline.plan(inputs, record)
        await chat.pipeline.rehearse(body, inputs, record, plan)
        if not record.degraded or time.monotonic() > deadline:
            return {"attempts": attempt, "stages": list(record.plan), "degraded": record.degraded}
        await asyncio.sleep(pause_s)
