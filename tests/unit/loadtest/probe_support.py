"""Shared by the probe-split tests: a PDF's text layer and a digest of a split's cases."""

from __future__ import annotations

import hashlib
import json

import pypdfium2

from loadtest.eval.cases import build_split


def pdf_text(pdf: bytes) -> str:
    """The text layer of every page, whitespace collapsed."""
    pages = pypdfium2.PdfDocument(pdf)
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pages)


def case_digest(split: str, category: str) -> str:
    """sha256 of the ids, expected answers and questions of ``build_split([category], seed=11,
    split=split, per_category=60)``: pins a split's cases against later changes."""
    cases = build_split([category], seed=11, split=split, per_category=60)
    return hashlib.sha256(
        json.dumps([[c.id, c.expected, c.question] for c in cases]).encode()
    ).hexdigest()
