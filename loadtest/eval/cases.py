"""The multimodal evaluation set, generated with known answers, in DEV and HELD-OUT splits.

``BUILDERS`` maps a category to ``builder(seed=..., split=..., count=...) -> list[Case]``;
modules with their own case builders register them there with one line. Document categories:
``invoice_pdf`` (text-layer PDFs) and ``invoice_scan`` (degraded scans) from the 16-template
family of :mod:`loadtest.perception.gen_business_docs` (8 dev / 8 held-out templates,
phrasings, vocabularies, scan profiles), and ``receipt_real`` (SROIE receipt photos under
``loadtest/eval/data/sroie``, split 20/20). Each case is an OpenAI chat request plus the
strings an answer must contain (any of them) and how to score it (``meta["score"]``).

A third split, ``probe`` (tuning data: six new layouts over the dev vocabulary, phrasings and
scan profile), exists for the generated-document categories only (:data:`PROBE_CATEGORIES`);
so do a fourth, ``probe2``, and a fifth, ``probe3`` (six more new layouts each, measured
untouched).
"""

from __future__ import annotations

import base64
import importlib
import json
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from loadtest.eval.heldout import phrasings as heldout_phrasings

SPLITS = ("dev", "heldout")
PROBE_SPLIT = "probe"
PROBE2_SPLIT = "probe2"
PROBE3_SPLIT = "probe3"
PROBE_SPLITS = (PROBE_SPLIT, PROBE2_SPLIT, PROBE3_SPLIT)
PROBE_CATEGORIES = ("invoice_pdf", "invoice_scan")
ALL_SPLITS = (*SPLITS, *PROBE_SPLITS)
DATA = Path(__file__).parent / "data"
CATEGORIES = (
    "invoice_pdf", "invoice_scan", "receipt_real", "chart", "speech", "web", "calculation",
    "knowledge",
)  # fmt: skip
# Categories the small stack is expected to answer (the rest need the LLM).
SMALL_STACK_CATEGORIES = CATEGORIES[:-1]
WEB_BASE = "{WEB_BASE}"  # replaced by the page server's URL when the cases run


@dataclass
class Case:
    id: str
    category: str
    messages: list[dict[str, Any]]
    expected: list[str]
    question: str
    meta: dict[str, Any] = field(default_factory=dict)
    split: str = ""

    def __post_init__(self) -> None:
        self.split = self.split or str(self.meta.get("split") or "dev")


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


# ----------------------------------------------------------------------------- documents

# How answers are scored per question kind (see loadtest.eval.score).
_SCORE_OF_KIND = {
    "issuer": "name", "seller": "name", "buyer": "name", "vendor": "name",
    "total": "number", "subtotal": "number", "tax": "number", "qty": "number",
    "shipped": "number", "unit_price": "number", "amount": "number",
    "number": "text", "date": "text", "due_date": "text",
}  # fmt: skip
MAX_ANSWER_CHARS = 120  # a field answer longer than this is not a value (a dumped page, say)


def _file_part(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"type": "file", "file": {"filename": name, "file_data": _data_url(mime, data)}}


def _image_part(mime: str, data: bytes) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": _data_url(mime, data)}}


def document_cases(
    category: str, *, seed: int, split: str, count: int, per_document: int = 4
) -> list[Case]:
    """``count`` questions over generated documents of ``split``'s templates: the text-layer
    PDF (``invoice_pdf``) or a degraded scan of it (``invoice_scan``)."""
    from loadtest.perception.gen_business_docs import (
        SPLIT_TEMPLATES,
        make_document,
        questions,
        scan,
    )

    if split not in ALL_SPLITS:
        raise ValueError(f"split must be one of {ALL_SPLITS}, not {split!r}")
    rng = random.Random(f"{category}-{split}-{seed}")
    templates = SPLIT_TEMPLATES[split]
    cases: list[Case] = []
    index = 0
    while len(cases) < count:
        doc = make_document(split, rng, templates[index % len(templates)])
        meta: dict[str, Any] = {"split": split, "template": doc.template, "doc": index}
        if category == "invoice_pdf":
            part = _file_part(f"{doc.template}-{index}.pdf", "application/pdf", doc.pdf)
        else:
            scanned = scan(doc, split, rng)
            meta["scan"] = scanned.variant
            if scanned.mime == "application/pdf":
                part = _file_part(f"scan-{index}.pdf", scanned.mime, scanned.data)
            else:
                part = _image_part(scanned.mime, scanned.data)
        for question in questions(doc, split, rng, per_document):
            case_meta = {**meta, "kind": question.kind, "score": _SCORE_OF_KIND[question.kind],
                         "max_chars": MAX_ANSWER_CHARS}  # fmt: skip
            cases.append(
                Case(
                    f"{category}-{split}-{index}-{question.kind}",
                    category,
                    _user([part], question.text),
                    question.expected,
                    question.text,
                    case_meta,
                    split,
                )
            )
        index += 1
    return cases[:count]


# Real receipts: question phrasings per split (fixed before tuning).
RECEIPT_QUESTIONS = {
    "dev": {
        "total": ["What is the total paid?", "How much was paid in total?",
                  "What is the total amount on this receipt?"],
        "company": ["Which shop issued this receipt?", "Which company issued this receipt?",
                    "What is the name of the store?"],
        "date": ["What is the date on this receipt?", "On what date was this receipt issued?"],
    },
    "heldout": heldout_phrasings.RECEIPT_QUESTIONS,
}  # fmt: skip
_RECEIPT_SCORE = {"total": "number", "company": "name", "date": "date"}


def receipt_real_cases(*, seed: int, split: str, count: int) -> list[Case]:
    """SROIE receipt photos of ``split``: total paid, issuing company, date (3 per receipt)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    folder = DATA / "sroie"
    rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["split"] == split]
    rng = random.Random(f"receipt_real-{split}-{seed}")
    cases: list[Case] = []
    for row in rows:
        part = _image_part("image/jpeg", (folder / row["file"]).read_bytes())
        for kind in ("total", "company", "date"):
            question = rng.choice(RECEIPT_QUESTIONS[split][kind])
            meta = {"split": split, "receipt": row["id"], "kind": kind,
                    "score": _RECEIPT_SCORE[kind], "max_chars": MAX_ANSWER_CHARS}  # fmt: skip
            cases.append(
                Case(
                    f"receipt-{split}-{row['id']}-{kind}",
                    "receipt_real",
                    _user([part], question),
                    [row[kind]],
                    question,
                    meta,
                    split,
                )
            )
    return cases[:count]


# ----------------------------------------------------------------------------- the registry

Builder = Callable[..., list[Case]]


def _split_rng(name: str, seed: int, split: str) -> random.Random:
    return random.Random(f"{name}-{split}-{seed}")


def _legacy(name: str, make: Callable[[int, random.Random], list[Case]]) -> Builder:
    """A generator without its own split: held-out cases come from other seeds."""

    def build(*, seed: int, split: str, count: int) -> list[Case]:
        cases = make(count, _split_rng(name, seed, split))
        for case in cases:
            case.split = split
            case.meta["split"] = split
        return cases[:count]

    return build


def _lazy(module: str, name: str = "build") -> Builder:
    """A builder living in another module (imported on use: those modules import Case)."""

    def build(*, seed: int, split: str, count: int) -> list[Case]:
        return getattr(importlib.import_module(module), name)(seed=seed, split=split, count=count)

    return build


def _web(*, seed: int, split: str, count: int) -> list[Case]:
    from loadtest.eval.webpages import make_pages

    offset = 0 if split == "dev" else 1000
    pages = make_pages(max(1, count // 2), seed + offset)
    cases = web_cases(WEB_BASE, pages)[:count]
    for case in cases:
        case.split = split
        case.meta.update(split=split, pages_seed=seed + offset, pages=len(pages))
    return cases


BUILDERS: dict[str, Builder] = {
    "invoice_pdf": lambda **kw: document_cases("invoice_pdf", **kw),
    "invoice_scan": lambda **kw: document_cases("invoice_scan", **kw),
    "receipt_real": receipt_real_cases,
    "chart": _legacy("chart", lambda n, rng: chart_cases(max(1, n // 2), rng)),
    "speech": _lazy("loadtest.eval.speech_cases"),  # voicemail facts, dev/held-out voices
    "calculation": _lazy("loadtest.eval.calc_cases"),  # words, rounding, programs; dev/held-out
    "knowledge": lambda *, seed, split, count: knowledge_cases(count),
    "web": _web,
    # dev-only tuning sets: dev documents and photos under harsher degradations
    "invoice_scan_hard": _lazy("loadtest.eval.hard_scans", "invoice_scan_hard_cases"),
    "receipt_real_hard": _lazy("loadtest.eval.hard_scans", "receipt_real_hard_cases"),
}


def build_split(categories: list[str], *, seed: int, split: str, per_category: int) -> list[Case]:
    """The evaluation cases of ``split`` for ``categories`` (deterministic for a seed)."""
    unknown = [c for c in categories if c not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; known: {sorted(BUILDERS)}")
    if split in PROBE_SPLITS and set(categories) - set(PROBE_CATEGORIES):
        raise ValueError(
            f"split {split!r} has only the categories {PROBE_CATEGORIES}, not "
            f"{sorted(set(categories) - set(PROBE_CATEGORIES))}"
        )
    cases: list[Case] = []
    for category in categories:
        cases += BUILDERS[category](seed=seed, split=split, count=per_category)
    return cases
