"""/v1/embeddings, /v1/completions, /v1/responses and streamed transcriptions through the
official `openai` client against the live app (issue #13, rows 12 and 13)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import time

import numpy as np
import openai
import pytest

pytestmark = pytest.mark.e2e

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def invoice_pdf(ballast_px: int = 0) -> bytes:
    """A one-page text-layer invoice; ``ballast_px`` adds a small stamp of that many pixels
    square, random noise (incompressible: ~3 bytes a pixel), to make the file large."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "ACME Corporation")
    canvas.drawString(72, 700, "Invoice number: INV-2041")
    canvas.drawString(72, 680, "Total due: $1,200.00")
    if ballast_px:
        noise = np.random.default_rng(7).integers(0, 256, (ballast_px, ballast_px, 3), np.uint8)
        canvas.drawImage(ImageReader(Image.fromarray(noise)), 500, 40, width=40, height=40)
    canvas.save()
    return buffer.getvalue()


# -------------------------------------------------------------------- embeddings
def test_embeddings_through_the_sdk(client):
    texts = ["How do I open a file in Python?", "Use open() to read a file.", "Two eggs."]
    result = client.embeddings.create(model="text-embedding-3-small", input=texts)  # base64
    vectors = np.array([d.embedding for d in result.data])
    assert vectors.shape == (3, 384) and [d.index for d in result.data] == [0, 1, 2]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert result.usage.prompt_tokens > len(texts)
    floats = client.embeddings.create(model="minilm", input=texts[0], encoding_format="float")
    assert np.allclose(floats.data[0].embedding, vectors[0], atol=1e-5)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=256)
    assert "minilm" in [m.id for m in client.models.list().data]


# ------------------------------------------------------------------- completions
def test_completions_with_logprobs(client, llm_id):
    result = client.completions.create(
        model=llm_id, prompt="The capital of France is", max_tokens=6, temperature=0, logprobs=2
    )
    choice = result.choices[0]
    assert result.object == "text_completion" and choice.text
    assert "".join(choice.logprobs.tokens) == choice.text
    assert all(len(top) <= 2 + 1 for top in choice.logprobs.top_logprobs)
    assert choice.logprobs.text_offset[0] == 0
    assert result.usage.completion_tokens == len(choice.logprobs.tokens)
    pair = client.completions.create(model="interfaze", prompt=["One,", "A,"], max_tokens=3, n=2)
    assert [c.index for c in pair.choices] == [0, 1, 2, 3]


def test_completions_stream_with_usage(client, llm_id):
    stream = client.completions.create(
        model=llm_id,
        prompt="Once upon a time",
        max_tokens=12,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text and chunks[-1].usage.completion_tokens > 0
    whole = client.completions.create(
        model=llm_id, prompt="Once upon a time", max_tokens=12, temperature=0
    )
    assert whole.choices[0].text == text


# --------------------------------------------------------------------- responses
def test_responses_text_and_chaining(client, llm_id):
    first = client.responses.create(
        model=llm_id, input="Name a colour.", max_output_tokens=8, temperature=0
    )
    assert first.status in ("completed", "incomplete") and first.output_text
    assert first.usage.output_tokens > 0
    second = client.responses.create(
        model=llm_id,
        input="And another one?",
        previous_response_id=first.id,
        max_output_tokens=8,
        temperature=0,
    )
    assert second.output_text and second.previous_response_id == first.id
    assert client.responses.retrieve(second.id).output_text == second.output_text


def test_responses_stream_events(client, llm_id):
    kinds, deltas = [], []
    with client.responses.stream(
        model=llm_id, input="Count to five.", max_output_tokens=12, temperature=0
    ) as stream:
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:-1] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    ]
    assert kinds[-1] in ("response.completed", "response.incomplete")
    assert final.output_text == "".join(deltas) and deltas


def test_responses_function_tool(client, llm_id):
    result = client.responses.create(
        model=llm_id,
        input="What's the weather in Paris?",
        tools=[WEATHER],
        tool_choice="required",
        max_output_tokens=64,
        temperature=0,
    )
    [call] = [item for item in result.output if item.type == "function_call"]
    assert call.name == "get_weather" and call.call_id
    assert "city" in json.loads(call.arguments)


def test_responses_pdf_input_file_is_read_by_the_small_stack(client):
    pdf = base64.b64encode(invoice_pdf()).decode()
    result = client.responses.create(
        model="interfaze",
        input=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_file",
                        "filename": "invoice.pdf",
                        "file_data": f"data:application/pdf;base64,{pdf}",
                    },
                    {"type": "input_text", "text": "What is the invoice number?"},
                ],
            }
        ],
    )
    assert "INV-2041" in result.output_text
    assert "ocr" in result.model_extra["interfaze"]["route"]


def test_a_pdf_larger_than_a_default_grpc_message_reaches_ocr(client):
    """Deployment handles speak gRPC (Serve's throughput mode), whose default message limit,
    4 MiB, is below what a request may carry: a 6 MB PDF must still reach the OCR replica."""
    pdf = invoice_pdf(ballast_px=1400)
    assert len(pdf) > 5 * 2**20
    result = client.chat.completions.create(
        model="interfaze",
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "file",
                        "file": {
                            "filename": "invoice.pdf",
                            "file_data": "data:application/pdf;base64,"
                            + base64.b64encode(pdf).decode(),
                        },
                    },
                    {"type": "text", "text": "What is the invoice number?"},
                ],
            }
        ],
    )
    assert "INV-2041" in result.choices[0].message.content


# ------------------------------------------------------------ streamed transcript
def test_transcription_stream(client, tmp_path):
    if not (shutil.which("espeak-ng") and shutil.which("ffmpeg")):
        pytest.skip("espeak-ng and ffmpeg (Debian) make the test speech")
    from tests.unit.deployments.perception.asr.samples import make_speech

    speech = make_speech(tmp_path)
    started = time.monotonic()
    stream = client.audio.transcriptions.create(
        model="whisper-1", file=speech.path("speech.wav").open("rb"), stream=True
    )
    events = list(stream)
    assert time.monotonic() - started < 30
    kinds = [e.type for e in events]
    assert kinds[-1] == "transcript.text.done" and "transcript.text.delta" in kinds
    text = "".join(e.delta for e in events if e.type == "transcript.text.delta")
    assert text == events[-1].text and "Friday" in text
