"""Rehearsals at replica start, so the first request after "ready" is as fast as the tenth.

- the small stack: the answerers run once on synthetic evidence (several load data on first
  use: the GeoNames gazetteer, the name model, parsers — seconds on a small machine);
- the pipeline: a plain question and a page image through plan → stages → small stack, so
  the stages they route to (and their deployments) have served a first call.

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
IMAGE_QUESTION = "What is the invoice number?"
IMAGE_LINES = ("INVOICE INV-20417", "Date: 14/03/2024", "Total due: $1,200.00")


def rehearsal_image() -> str:
    """A small document page as a PNG data URL: the image stages (chart classifier, OCR and
    its second reading of value words) serve their first call on it."""
    import base64
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (520, 150), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    for row, line in enumerate(IMAGE_LINES):
        draw.text((16, 12 + 44 * row), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def rehearsal_bodies(model: str) -> list[Any]:
    """A plain question, then a question about a page image."""
    from serve.api.protocol import ChatCompletionRequest

    image_part = {"type": "image_url", "image_url": {"url": rehearsal_image()}}
    return [
        ChatCompletionRequest(
            model=model, messages=[{"role": "user", "content": PIPELINE_QUESTION}], max_tokens=16
        ),
        ChatCompletionRequest(
            model=model,
            messages=[
                {"role": "user", "content": [image_part, {"type": "text", "text": IMAGE_QUESTION}]}
            ],
            max_tokens=16,
        ),
    ]


async def rehearse_pipeline(
    chat: Any, model: str, *, within_s: float = 300.0, pause_s: float = 1.0
) -> dict[str, Any]:
    """Requests through plan → stages → small stack, in this replica (no gateway, trace,
    metrics or audit): a plain question (retrieve, with its embedding call) and a page image
    (chart, OCR) reach the stages they route to, whose deployments answer their first call
    now rather than in the first client request.

    Each is repeated while a stage call failed because its deployment is still starting, for
    at most ``within_s`` in all; returns the stages that ran and the attempts it took.
    """
    from deployments.common.errors import UnprocessableContent
    from serve.observability.record import RequestRecord

    deadline = time.monotonic() + within_s
    attempts, stages, degraded = 0, [], {}
    for body in rehearsal_bodies(model):
        while True:
            record = RequestRecord(request_id=f"warm-up-{uuid.uuid4().hex[:12]}", model=model)
            inputs = await chat.parser.read(body)
            try:
                plan = chat.pipeline.plan(inputs, record)
            except UnprocessableContent:  # no image stage deployed: nothing to warm
                break
            attempts += 1
            await chat.pipeline.rehearse(body, inputs, record, plan)
            if not record.degraded or time.monotonic() > deadline:
                break
            await asyncio.sleep(pause_s)
        stages += [stage for stage in record.plan if stage not in stages]
        degraded.update(record.degraded)
    return {"attempts": attempts, "stages": stages, "degraded": degraded}
