"""Harder DEV material: dev documents and dev receipt photos under degradations the dev scan
profile lacks, so that thresholds chosen on dev see hard cases (issue #12).

Two tuning-only categories (no held-out part: their documents are the dev ones):

- ``invoice_scan_hard``: the dev templates and dev phrasings of
  :mod:`loadtest.perception.gen_business_docs`, rasterised and degraded by :func:`degrade`;
- ``receipt_real_hard``: the dev SROIE photos, degraded again by :func:`degrade`.

The degradations were chosen for this module from what real scans and photos show (thermal
paper fading, grey or unevenly lit paper, blur, low resolution, heavy JPEG, skew, dropped
print-head dots) without reading the held-out scan profile.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from loadtest.eval.cases import (
    _RECEIPT_SCORE,
    _SCORE_OF_KIND,
    DATA,
    MAX_ANSWER_CHARS,
    RECEIPT_QUESTIONS,
    Case,
    _file_part,
    _image_part,
    _user,
)

HARD_CATEGORIES = ("invoice_scan_hard", "receipt_real_hard")
# Ranges of each degradation (probability it is applied, then its strength).
HARD = {
    "dpi": (110, 130, 150, 170),  # rasterised at: small text is a few pixels high
    "fade": (0.5, 0.3, 0.6),  # P, ink contrast kept (thermal paper fades to grey)
    "paper": (0.5, 185, 235),  # P, paper grey level (recycled / photographed paper)
    "shade": (0.4, 0.25, 0.6),  # P, strength of uneven lighting (a gradient across the page)
    "blur": (0.6, 0.4, 1.2),  # P, Gaussian radius in pixels
    "skew": (0.6, 0.5, 3.5),  # P, degrees either way
    "dots": (0.35, 0.01, 0.04),  # P, share of pixel rows a worn thermal head leaves white
    "noise": (4.0, 14.0),  # Gaussian sigma range
    "jpeg": (18, 55),  # quality range
}


def _chance(rng: random.Random, name: str) -> tuple[bool, float]:
    p, low, high = HARD[name]
    return rng.random() < p, rng.uniform(low, high)


def degrade(image: Image.Image, rng: random.Random) -> tuple[Image.Image, dict[str, Any]]:
    """``image`` (any mode) made harder to read; returns the greyscale result and what was done."""
    info: dict[str, Any] = {}
    gray = image.convert("L")
    apply, angle = _chance(rng, "skew")
    if apply:
        angle *= rng.choice([-1, 1])
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        info["skew"] = round(angle, 2)
    ink = 255.0 - np.asarray(gray, dtype=np.float32)  # 0 = paper, 255 = full ink
    apply, kept = _chance(rng, "fade")
    if apply:
        ink *= kept
        info["fade"] = round(kept, 2)
    apply, dots = _chance(rng, "dots")
    if apply:  # rows of the print head that no longer fire
        rows = np.random.default_rng(rng.randrange(2**32)).random(ink.shape[0]) < dots
        ink[rows, :] *= 0.15
        info["dots"] = round(dots, 3)
    apply, paper = _chance(rng, "paper")
    base = paper if apply else 255.0
    if apply:
        info["paper"] = round(paper)
    pixels = base - ink * (base / 255.0)
    apply, shade = _chance(rng, "shade")
    if apply:  # light falling off towards one corner
        h, w = pixels.shape
        ys, xs = np.mgrid[0:h, 0:w]
        ramp = (xs / max(w - 1, 1) + ys / max(h - 1, 1)) / 2
        if rng.random() < 0.5:
            ramp = 1 - ramp
        pixels = pixels * (1 - shade * ramp)
        info["shade"] = round(shade, 2)
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    apply, radius = _chance(rng, "blur")
    if apply:
        out = out.filter(ImageFilter.GaussianBlur(radius=radius))
        info["blur"] = round(radius, 2)
    sigma = rng.uniform(*HARD["noise"])
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, (out.height, out.width))
    out = Image.fromarray(
        np.clip(np.asarray(out, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    )
    info["noise"] = round(sigma, 1)
    return out, info


def _jpeg(image: Image.Image, rng: random.Random, dpi: int | None) -> tuple[bytes, int]:
    quality = rng.randint(*HARD["jpeg"])
    buffer = io.BytesIO()
    extra = {"dpi": (dpi, dpi)} if dpi else {}
    image.save(buffer, format="JPEG", quality=quality, **extra)
    return buffer.getvalue(), quality


def _dev_only(split: str) -> bool:
    """These sets are dev material: a held-out run of them has no cases."""
    if split not in ("dev", "heldout"):
        raise ValueError(f"split must be dev or heldout, not {split!r}")
    return split == "dev"


def invoice_scan_hard_cases(
    *, seed: int, split: str, count: int, per_document: int = 4
) -> list[Case]:
    """Dev documents and questions, scanned with :func:`degrade` (page 1 as a JPEG image)."""
    if not _dev_only(split):
        return []
    from loadtest.perception.gen_business_docs import (
        SPLIT_TEMPLATES,
        make_document,
        questions,
    )
    from loadtest.perception.gen_documents import rasterise

    rng = random.Random(f"invoice_scan_hard-{seed}")
    templates = SPLIT_TEMPLATES["dev"]
    cases: list[Case] = []
    index = 0
    while len(cases) < count:
        doc = make_document("dev", rng, templates[index % len(templates)])
        dpi = rng.choice(HARD["dpi"])
        pages = rasterise(doc.pdf, dpi)
        degraded = [degrade(page, rng) for page in pages]
        if len(degraded) > 1:
            buffer = io.BytesIO()
            first, *rest = [image for image, _ in degraded]
            first.save(buffer, format="PDF", save_all=True, append_images=rest,
                       resolution=float(dpi))  # fmt: skip
            part = _file_part(f"hard-{index}.pdf", "application/pdf", buffer.getvalue())
            quality = None
        else:
            data, quality = _jpeg(degraded[0][0], rng, dpi)
            part = _image_part("image/jpeg", data)
        meta: dict[str, Any] = {"split": "dev", "template": doc.template, "doc": index,
                                "degraded": {"dpi": dpi, "jpeg": quality,
                                             "pages": [info for _, info in degraded]}}  # fmt: skip
        for question in questions(doc, "dev", rng, per_document):
            case_meta = {**meta, "kind": question.kind, "score": _SCORE_OF_KIND[question.kind],
                         "max_chars": MAX_ANSWER_CHARS}  # fmt: skip
            cases.append(Case(f"invoice_scan_hard-{index}-{question.kind}", "invoice_scan_hard",
                              _user([part], question.text), question.expected, question.text,
                              case_meta, "dev"))  # fmt: skip
        index += 1
    return cases[:count]


def receipt_real_hard_cases(*, seed: int, split: str, count: int) -> list[Case]:
    """The dev SROIE photos degraded again, asked with the dev phrasings (3 per receipt)."""
    if not _dev_only(split):
        return []
    folder = DATA / "sroie"
    rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["split"] == "dev"]
    rng = random.Random(f"receipt_real_hard-{seed}")
    cases: list[Case] = []
    for row in rows:
        with Image.open(folder / row["file"]) as photo:
            degraded, info = degrade(photo, rng)
        data, quality = _jpeg(degraded, rng, None)
        part = _image_part("image/jpeg", data)
        for kind in ("total", "company", "date"):
            question = rng.choice(RECEIPT_QUESTIONS["dev"][kind])
            meta = {"split": "dev", "receipt": row["id"], "kind": kind, "jpeg": quality,
                    "degraded": info, "score": _RECEIPT_SCORE[kind],
                    "max_chars": MAX_ANSWER_CHARS}  # fmt: skip
            name = f"receipt_real_hard-{row['id']}-{kind}"
            cases.append(Case(name, "receipt_real_hard", _user([part], question), [row[kind]],
                              question, meta, "dev"))  # fmt: skip
    return cases[:count]
