"""OCR benchmark on generated, labelled documents: accuracy and speed per backend.

    .venv/bin/python -m loadtest.perception.ocr_bench          # tesseract, rapidocr, nougat
    .venv/bin/python -m loadtest.perception.ocr_bench --backends tesseract --count 2 -v
    .venv/bin/python -m loadtest.perception.ocr_bench --nougat-model /models/nougat-base

Inputs come from :mod:`loadtest.perception.gen_documents` (reportlab invoices and reports with
ruled tables; pdftoppm scans at 200/150 dpi; degraded scans with noise, blur, 0.6-2.5° rotation
and JPEG). Every input goes through :class:`OcrReader` (what a replica runs, without Ray), one
page at a time. Printed per backend and input kind:

- character accuracy = 1 - CER (edit distance on NFKC, whitespace-collapsed text; micro-average
  over pages, and the worst page);
- PDF text layer: pages whose text equals the label exactly;
- tables read exactly (all cells equal the label);
- seconds per page (wall time of a request / its pages).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deployments.perception.ocr.backend import BackendUnavailable
from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.protocol import OcrResult
from deployments.perception.ocr.reader import OcrReader
from loadtest.perception.gen_documents import LabelledDocument, ScanPage, make_corpus, scanned_pdf

BACKENDS = ("tesseract", "rapidocr", "nougat")
VARIANTS = ("clean", "noisy", "scanned_pdf")
_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """NFKC, typographic quotes and dashes made plain, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION)
    return re.sub(r"\s+", " ", text).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (rapidfuzz when installed, else a row-vectorised numpy DP)."""
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:
        pass
    if not a or not b:
        return len(a) or len(b)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    offsets = np.arange(len(b) + 1)
    previous = offsets.copy()
    for i, char in enumerate(a, 1):
        substitution = previous[:-1] + (codes_b != ord(char))
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, substitution)
        current = np.minimum.accumulate(current - offsets) + offsets  # insertions
        previous = current
    return int(previous[-1])


@dataclass
class PageScore:
    name: str
    errors: int
    chars: int
    exact: bool
    seconds: float

    @property
    def accuracy(self) -> float:
        return 1 - self.errors / max(self.chars, 1)


@dataclass
class Row:
    """One line of the report: a backend on one kind of input."""

    backend: str
    variant: str
    pages: list[PageScore] = field(default_factory=list)
    tables_exact: int = 0
    tables_total: int = 0
    note: str = ""

    def summary(self) -> dict:
        if not self.pages:
            return {"backend": self.backend, "variant": self.variant, "note": self.note}
        errors = sum(p.errors for p in self.pages)
        chars = sum(p.chars for p in self.pages)
        return {
            "backend": self.backend,
            "variant": self.variant,
            "pages": len(self.pages),
            "char_accuracy": round(1 - errors / max(chars, 1), 5),
            "worst_page": round(min(p.accuracy for p in self.pages), 5),
            "exact_pages": sum(p.exact for p in self.pages),
            "tables_exact": f"{self.tables_exact}/{self.tables_total}",
            "seconds_per_page": round(statistics.fmean(p.seconds for p in self.pages), 4),
            "note": self.note,
        }


def _score(name: str, expected: str, got: str, seconds: float) -> PageScore:
    ref, hyp = normalise(expected), normalise(got)
    return PageScore(name, edit_distance(ref, hyp), len(ref), ref == hyp, seconds)


def _timed_read(reader: OcrReader, request: dict) -> tuple[OcrResult, float]:
    started = time.perf_counter()
    result = reader.read(request)
    return result, time.perf_counter() - started


def _count_tables(result: OcrResult, doc: LabelledDocument, page_numbers: list[int]) -> int:
    found = 0
    for label in doc.tables:
        if label.page not in page_numbers:
            continue
        page = result.pages[page_numbers.index(label.page)]
        found += any(t.rows == label.rows for t in page.tables)
    return found


def warm_up(reader: OcrReader, documents: list[LabelledDocument], scans: list[ScanPage]) -> None:
    """One untimed read of each kind: lazy imports and model loads stay out of the figures."""
    reader.read({"data": documents[0].pdf, "mode": "text_layer"})
    reader.read({"data": scans[0].data, "mime": scans[0].mime})


def bench_text_layer(reader: OcrReader, documents: list[LabelledDocument], verbose: bool) -> Row:
    row = Row("pdf_text_layer", "pdf")
    stages: dict[str, list[float]] = {"text_layer": [], "tables": []}
    for doc in documents:
        result, seconds = _timed_read(reader, {"data": doc.pdf, "mode": "text_layer"})
        for stage, values in stages.items():
            values.append(result.timings_ms.get(stage, 0.0) / len(result.pages))
        per_page = seconds / len(result.pages)
        for page, expected in zip(result.pages, doc.page_texts, strict=True):
            score = _score(f"{doc.name}-p{page.number}", expected, page.text, per_page)
            row.pages.append(score)
            if verbose:
                print(f"  text_layer {score.name}: exact={score.exact} {per_page * 1000:.1f} ms")
        row.tables_total += len(doc.tables)
        row.tables_exact += _count_tables(result, doc, [p.number for p in result.pages])
    text_ms, tables_ms = (statistics.fmean(v) for v in stages.values())
    row.note = f"per page: text+boxes {text_ms:.1f} ms, tables (pdfplumber) {tables_ms:.1f} ms"
    return row


def bench_backend(
    reader: OcrReader,
    documents: list[LabelledDocument],
    scans: list[ScanPage],
    variants: list[str],
    verbose: bool,
) -> list[Row]:
    rows = []
    by_doc = {doc.name: doc for doc in documents}
    for variant in variants:
        row = Row(reader.backend.name, variant)
        if variant == "scanned_pdf":
            for doc in documents:
                pages = [s for s in scans if s.document == doc.name and s.variant == "noisy"]
                result, seconds = _timed_read(reader, {"data": scanned_pdf(pages), "mode": "auto"})
                _add(row, result, doc, [p.page for p in pages], seconds, verbose)
        else:
            for scan in (s for s in scans if s.variant == variant):
                result, seconds = _timed_read(reader, {"data": scan.data, "mime": scan.mime})
                _add(row, result, by_doc[scan.document], [scan.page], seconds, verbose, scan.name)
        rows.append(row)
    return rows


def _add(
    row: Row,
    result: OcrResult,
    doc: LabelledDocument,
    page_numbers: list[int],
    seconds: float,
    verbose: bool,
    name: str | None = None,
) -> None:
    per_page = seconds / len(page_numbers)
    for number, page in zip(page_numbers, result.pages, strict=True):
        label = name or f"{doc.name}-p{number}-{row.variant}"
        score = _score(label, doc.page_texts[number - 1], page.text, per_page)
        row.pages.append(score)
        if verbose:
            print(
                f"  {row.backend} {label}: {score.accuracy:.2%} skew={page.skew_deg:+.2f} "
                f"conf={page.confidence:.2f} {per_page:.2f} s"
            )
    row.tables_total += sum(1 for t in doc.tables if t.page in page_numbers)
    row.tables_exact += _count_tables(result, doc, page_numbers)


def _settings(backend: str, args: argparse.Namespace) -> OcrSettings:
    options = {}
    if backend == "nougat" and args.nougat_model:
        options["model"] = args.nougat_model
    return OcrSettings(backend=backend, backend_options=options, max_parallel_pages=1)


def print_table(rows: list[Row]) -> None:
    header = f"{'backend':<15}{'input':<13}{'pages':>6}{'chars':>10}{'worst':>9}"
    header += f"{'exact':>7}{'tables':>8}{'s/page':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        s = row.summary()
        if "pages" not in s:
            print(f"{row.backend:<15}{row.variant:<13}  {row.note}")
            continue
        print(
            f"{s['backend']:<15}{s['variant']:<13}{s['pages']:>6}{s['char_accuracy']:>10.2%}"
            f"{s['worst_page']:>9.2%}{s['exact_pages']:>7}{s['tables_exact']:>8}"
            f"{s['seconds_per_page']:>9.3f}"
        )
    for row in rows:
        if row.pages and row.note:
            print(f"  {row.backend}: {row.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="clean,noisy,scanned_pdf")
    parser.add_argument("--count", type=int, default=4, help="documents (invoices, reports)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nougat-model", help="HF id or local folder of the Nougat weights")
    parser.add_argument("--json", type=Path, help="also write the summary rows here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every page")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    started = time.perf_counter()
    documents, scans = make_corpus(args.count, args.seed)
    pages = sum(len(d.page_texts) for d in documents)
    print(f"corpus: {len(documents)} documents, {pages} pages, {len(scans)} scans "
          f"({time.perf_counter() - started:.1f} s to generate)\n")  # fmt: skip
    rows: list[Row] = []
    variants = [v for v in args.variants.split(",") if v]
    for backend in [b for b in args.backends.split(",") if b]:
        try:
            reader = OcrReader(_settings(backend, args))
        except BackendUnavailable as exc:
            rows.append(Row(backend, "-", note=f"unavailable: {exc}"))
            continue
        try:
            warm_up(reader, documents, scans)
            if not any(r.backend == "pdf_text_layer" for r in rows):
                rows.append(bench_text_layer(reader, documents, args.verbose))
            rows.extend(bench_backend(reader, documents, scans, variants, args.verbose))
        finally:
            reader.close()
    print()
    print_table(rows)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([r.summary() for r in rows], indent=2))
        detail = {f"{r.backend}/{r.variant}": [asdict(p) for p in r.pages] for r in rows}
        args.json.with_suffix(".pages.json").write_text(json.dumps(detail, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
