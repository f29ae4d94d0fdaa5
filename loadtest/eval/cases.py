"""The multimodal evaluation set, generated with known answers.

Categories: invoices as text-layer PDFs and as scans, charts, speech, JS-rendered pages (served
on 127.0.0.1 by :mod:`loadtest.eval.webpages`), exact calculations, plain knowledge questions.
Each case is an OpenAI chat request plus the strings an answer must contain (any of them).
"""

from __future__ import annotations

import base64
import random
import re
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

CATEGORIES = ("invoice_pdf", "invoice_scan", "chart", "speech", "web", "calculation", "knowledge")
# Categories the small stack is expected to answer (the rest need the LLM).
SMALL_STACK_CATEGORIES = CATEGORIES[:-1]


@dataclass
class Case:
    id: str
    category: str
    messages: list[dict[str, Any]]
    expected: list[str]
    question: str
    meta: dict[str, Any] = field(default_factory=dict)


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _user(parts: list[dict[str, Any]], question: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [*parts, {"type": "text", "text": question}]}]


def _invoice_facts(text: str) -> dict[str, str]:
    facts = {}
    patterns = {
        "number": r"Invoice number:\s*(\S+)",
        "date": r"\bDate:\s*(\S+)",
        "buyer": r"Bill to:\s*([^,\n]+)",
        "total": r"Total due:\s*\$([\d,]+\.\d\d)",
        "tax": r"Tax \(\d+%\):\s*\$([\d,]+\.\d\d)",
        "subtotal": r"Subtotal:\s*\$([\d,]+\.\d\d)",
    }
    for key, pattern in patterns.items():
        match = re.search(pattern, text)
        if match:
            facts[key] = match.group(1).strip()
    return facts


INVOICE_QUESTIONS = {
    "number": ["What is the invoice number?", "Which invoice number is shown?"],
    "date": ["What is the invoice date?", "On what date was this invoice issued?"],
    "buyer": ["Who is the invoice billed to?", "Which customer is billed?"],
    "total": ["What is the total due?", "How much is due in total on this invoice?"],
    "tax": ["How much tax is charged?"],
    "subtotal": ["What is the subtotal?"],
}


def invoice_cases(count: int, rng: random.Random) -> list[Case]:
    """Text-layer PDF invoices and their scans (PNG pages), several questions each."""
    from loadtest.perception.gen_documents import _invoice, make_scans

    cases: list[Case] = []
    for index in range(count):
        document = _invoice(f"invoice-{index}", rng)
        facts = _invoice_facts(document.page_texts[0])
        scans = [s for s in make_scans(document, 200, rng) if s.page == 1]
        scan = scans[index % len(scans)]
        for key, value in facts.items():
            question = rng.choice(INVOICE_QUESTIONS[key])
            pdf_part = {
                "type": "file",
                "file": {
                    "filename": f"{document.name}.pdf",
                    "file_data": _data_url("application/pdf", document.pdf),
                },
            }
            cases.append(
                Case(
                    f"pdf-{index}-{key}",
                    "invoice_pdf",
                    _user([pdf_part], question),
                    [value],
                    question,
                )
            )
            image_part = {
                "type": "image_url",
                "image_url": {"url": _data_url(scan.mime, scan.data)},
            }
            cases.append(
                Case(
                    f"scan-{index}-{key}",
                    "invoice_scan",
                    _user([image_part], question),
                    [value],
                    question,
                    {"variant": scan.variant},
                )
            )
    return cases


def _chart_value_text(value: float, decimals: int) -> list[str]:
    text = f"{value:.{decimals}f}"
    variants = {text, f"{value:,.{decimals}f}"}
    if decimals == 0 or float(value).is_integer():
        variants.add(str(round(value)))
    return sorted(variants)


def chart_cases(count: int, rng: random.Random) -> list[Case]:
    """Bar and line charts from known values: value-at-label and highest/lowest questions."""
    from loadtest.perception.gen_charts import random_spec, render_chart

    cases: list[Case] = []
    kinds = ["bar", "line", "bar", "hbar"]
    for index in range(count):
        spec = random_spec(rng, kinds[index % len(kinds)], labelled=index % 2 == 0)
        image = render_chart(spec)
        part = {"type": "image_url", "image_url": {"url": _data_url("image/png", image)}}
        _, values = spec.series[0]
        label_index = rng.randrange(len(spec.categories))
        label = spec.categories[label_index]
        question = f"What is the value for {label}?"
        expected = _chart_value_text(values[label_index], spec.decimals)
        meta = {"kind": spec.kind, "labelled": spec.labelled, "tolerance": 0.05}
        meta["value"] = values[label_index]
        cases.append(
            Case(f"chart-{index}-value", "chart", _user([part], question), expected, question, meta)
        )
        top = spec.categories[max(range(len(values)), key=lambda i: values[i])]
        question = "Which category has the highest value?"
        # The answer is a label: no numeric tolerance (a number in the answer scores nothing).
        label_meta = {"kind": spec.kind, "labelled": spec.labelled}
        cases.append(
            Case(
                f"chart-{index}-max", "chart", _user([part], question), [top], question, label_meta
            )
        )
    return cases


def speech_cases(count: int, rng: random.Random) -> list[Case]:
    """espeak-ng clips of invoice-like sentences: transcription questions."""
    from loadtest.perception.gen_speech import encode, sentence, synthesize

    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="ifz-eval-speech-") as tmp:
        for index in range(count):
            _, fact = sentence(rng, index)
            raw = Path(tmp) / f"{index}.wav"
            synthesize(fact.spoken, "en-us", 150, 4, raw)  # 4: word gap (10 ms units)
            wav = Path(tmp) / f"{index}-16k.wav"
            encode(raw, wav, 16000, [])
            part = {
                "type": "input_audio",
                "input_audio": {
                    "data": base64.b64encode(wav.read_bytes()).decode(),
                    "format": "wav",
                },
            }
            question = "Transcribe this audio."
            cases.append(
                Case(
                    f"speech-{index}",
                    "speech",
                    _user([part], question),
                    [fact.written],
                    question,
                    {"score": "wer"},
                )
            )
    return cases


def calculation_cases(count: int, rng: random.Random) -> list[Case]:
    """Arithmetic in words and symbols, with exact expected results."""
    templates = [
        ("What is {a} * {b}?", lambda a, b: Fraction(a) * b),
        ("Calculate {a} plus {b} minus {c}.", lambda a, b, c: Fraction(a) + b - c),
        ("What is {p}% of {a}?", lambda p, a: Fraction(p, 100) * a),
        ("What is ({a} + {b}) / {c}?", lambda a, b, c: (Fraction(a) + b) / c),
        ("What is {a} to the power of {e}?", lambda a, e: Fraction(a) ** e),
        ("What is the average of {a}, {b} and {c}?", lambda a, b, c: (Fraction(a) + b + c) / 3),
        ("Compute {a} divided by {c}.", lambda a, c: Fraction(a) / c),
    ]
    cases = []
    for index in range(count):
        template, fn = templates[index % len(templates)]
        values = {
            "a": rng.randint(12, 9999),
            "b": rng.randint(2, 999),
            "c": rng.choice([2, 4, 5, 8, 10, 16, 20, 25]),
            "p": rng.choice([5, 8, 12.5, 15, 20, 33]),
            "e": rng.randint(2, 5),
        }
        names = re.findall(r"\{(\w)\}", template)
        question = template.format(**values)
        result = fn(*(Fraction(str(values[n])) for n in names))
        expected = str(result.numerator) if result.denominator == 1 else _decimal(result)
        cases.append(
            Case(
                f"calc-{index}",
                "calculation",
                [{"role": "user", "content": question}],
                [expected],
                question,
            )
        )
    return cases


def _decimal(value: Fraction) -> str:
    from decimal import Decimal, getcontext

    getcontext().prec = 40
    text = f"{round(Decimal(value.numerator) / Decimal(value.denominator), 10):f}"
    return text.rstrip("0").rstrip(".")


KNOWLEDGE = [
    ("What is the capital of France?", ["Paris"]),
    ("What is the largest planet in our solar system?", ["Jupiter"]),
    ("Who wrote Romeo and Juliet?", ["Shakespeare"]),
    ("What is the chemical symbol for gold?", ["Au"]),
    ("How many continents are there on Earth?", ["seven", "7"]),
    ("What is the boiling point of water in Celsius at sea level?", ["100"]),
    ("Which ocean is the largest?", ["Pacific"]),
    ("What language is primarily spoken in Brazil?", ["Portuguese"]),
    ("What gas do plants absorb from the air for photosynthesis?", ["carbon dioxide", "CO2"]),
    ("Who painted the Mona Lisa?", ["Leonardo", "da Vinci"]),
]


def knowledge_cases(count: int) -> list[Case]:
    cases = []
    for index, (question, expected) in enumerate(KNOWLEDGE[:count]):
        cases.append(
            Case(
                f"knowledge-{index}",
                "knowledge",
                [{"role": "user", "content": question}],
                expected,
                question,
            )
        )
    return cases


def web_cases(base_url: str, pages: list[dict[str, Any]]) -> list[Case]:
    """Questions about JS-rendered product pages served on 127.0.0.1."""
    cases = []
    for index, page in enumerate(pages):
        url = f"{base_url}/product/{page['slug']}"
        question = f"What is the price of the {page['name']} on {url} ?"
        cases.append(
            Case(
                f"web-{index}-price",
                "web",
                [{"role": "user", "content": question}],
                [page["price"]],
                question,
            )
        )
        question = f"According to {url} , how many days does delivery take?"
        cases.append(
            Case(
                f"web-{index}-delivery",
                "web",
                [{"role": "user", "content": question}],
                [str(page["delivery_days"])],
                question,
            )
        )
    return cases


def build_cases(
    *, web_base_url: str | None, web_pages: list[dict[str, Any]], per_category: int, seed: int
) -> list[Case]:
    """The whole evaluation set (deterministic for a seed)."""
    rng = random.Random(seed)
    cases = []
    cases += invoice_cases(max(1, per_category // 4), rng)
    cases += chart_cases(max(1, per_category // 2), rng)
    cases += speech_cases(per_category, rng)
    cases += calculation_cases(per_category, rng)
    cases += knowledge_cases(per_category)
    if web_base_url:
        cases += web_cases(web_base_url, web_pages[: max(1, per_category // 2)])
    return cases
