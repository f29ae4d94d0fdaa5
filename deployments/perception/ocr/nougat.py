"""Nougat (transformers' port of facebook/nougat) for academic PDFs: page image → markdown.

The gpu profile's engine. Weights load from ``backend_options.model`` (an HF id or a local
folder with the model and its processor); torch and transformers are imported only here. A
machine without them or without the weights gets :class:`BackendUnavailable` at start-up.
Nougat gives no positions: blocks are paragraphs without boxes, LaTeX and markdown tables
become :class:`Table` rows, confidence is the mean token probability of the generation.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import threading
from typing import Any

from PIL import Image

from deployments.perception.ocr.backend import BackendUnavailable
from deployments.perception.ocr.config import NougatOptions
from deployments.perception.ocr.geometry import RecognizedPage
from deployments.perception.ocr.protocol import Table

_TABLE_ENV = re.compile(r"\\begin\{table\*?\}.*?\\end\{table\*?\}", re.S)
_TABULAR = re.compile(
    r"\\begin\{tabular\}(?:\{(?:[^{}]|\{[^{}]*\})*\})?(.*?)\\end\{tabular\}", re.S
)
_RULES = re.compile(r"\\(?:hline|toprule|midrule|bottomrule)|\\cline\{[^}]*\}")
_SPAN = re.compile(r"\\multi(?:column|row)\{[^}]*\}\{[^}]*\}\{((?:[^{}]|\{[^{}]*\})*)\}")
_STYLE = re.compile(r"\\(?:textbf|textit|emph|text|mathrm|mathbf|underline)\{([^{}]*)\}")
_CAPTION = re.compile(r"\\caption\{((?:[^{}]|\{[^{}]*\})*)\}")
_PLACEHOLDER = "\x00table{}\x00"
POSTPROCESS_MODULES = ("nltk", "Levenshtein")  # what NougatTokenizer.post_process_generation needs

logger = logging.getLogger(__name__)


def light_postprocess(text: str) -> str:
    """Fallback when nltk / python-Levenshtein are absent: trim, drop immediate line repeats
    (Nougat's typical failure) and collapse runs of blank lines."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        if line.strip() and lines and line.strip() == lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _cell(text: str) -> str:
    text = _SPAN.sub(r"\1", text)
    for _ in range(3):
        text = _STYLE.sub(r"\1", text)
    text = text.replace("\\&", "&").replace("\\%", "%").replace("\\$", "$").replace("$", "")
    return " ".join(text.split())


def latex_table_rows(body: str) -> list[list[str]]:
    """Cell texts of a LaTeX ``tabular`` body (rules dropped, spans flattened)."""
    rows = []
    for raw in re.split(r"\\\\", _RULES.sub("", body)):
        cells = [_cell(c) for c in re.split(r"(?<!\\)&", raw)]
        if any(cells):
            rows.append(cells)
    return rows


def markdown_table_rows(lines: list[str]) -> list[list[str]]:
    """Cell texts of a markdown pipe table (the ``|---|`` separator dropped)."""
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        rows.append(cells)
    return rows


def parse_markdown(markdown: str, confidence: float) -> tuple[list[tuple[str, float]], list[Table]]:
    """Nougat's markdown → paragraphs (text, confidence) and tables, in reading order.

    A table's paragraph is its rows, cells joined by spaces, one row per line.
    """
    tables: list[Table] = []

    def take(match: re.Match) -> str:
        bodies = _TABULAR.findall(match.group(0)) if match.re is _TABLE_ENV else [match.group(1)]
        marks = []
        for body in bodies:
            rows = latex_table_rows(body)
            if rows:
                tables.append(Table(rows=rows, method="model"))
                marks.append(_PLACEHOLDER.format(len(tables) - 1))
        captions = [_cell(c) for c in _CAPTION.findall(match.group(0))]
        return "\n\n" + "\n\n".join(captions + marks) + "\n\n"

    text = _TABLE_ENV.sub(take, markdown)
    text = _TABULAR.sub(take, text)
    paragraphs: list[tuple[str, float]] = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        mark = re.fullmatch(r"\x00table(\d+)\x00", chunk)
        lines = chunk.splitlines()
        if mark:
            rows = tables[int(mark.group(1))].rows
        elif len(lines) >= 2 and all(line.strip().startswith("|") for line in lines):
            rows = markdown_table_rows(lines)
            tables.append(Table(rows=rows, method="model"))
        else:
            paragraphs.append((chunk, confidence))
            continue
        paragraphs.append(("\n".join(" ".join(c for c in row if c) for row in rows), confidence))
    return paragraphs, tables


class NougatBackend:
    """VisionEncoderDecoder + NougatProcessor; one generation at a time per replica."""

    name = "nougat"
    preprocess = False  # Nougat was trained on rendered pages: no binarising or erasing

    def __init__(self, options: NougatOptions) -> None:
        self.options = options
        try:
            import torch
            from transformers import NougatProcessor, VisionEncoderDecoderModel
        except ImportError as exc:
            raise BackendUnavailable(
                f"the nougat backend needs torch and transformers ({exc}); install them or "
                "choose ocr.backend tesseract"
            ) from None
        self._torch = torch
        self.device = self._device(options.device)
        self.dtype = self._dtype(options.dtype)
        source = {"revision": options.revision, "local_files_only": options.local_files_only}
        try:
            self.processor = NougatProcessor.from_pretrained(options.model, **source)
            model = VisionEncoderDecoderModel.from_pretrained(options.model, **source)
        except Exception as exc:
            raise BackendUnavailable(
                f"Nougat weights {options.model!r} cannot be loaded ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); set "
                "ocr.backend_options.model to a local folder holding the model and its "
                "processor (or an HF id reachable from here), or use ocr.backend tesseract"
            ) from None
        self.model = model.to(self.device, dtype=self.dtype).eval()
        missing = [m for m in POSTPROCESS_MODULES if importlib.util.find_spec(m) is None]
        self.full_postprocess = not missing
        if missing:
            logger.warning(
                "nougat: %s not installed; using a light markdown clean-up "
                "(pip install nltk python-Levenshtein for Nougat's own)",
                ", ".join(missing),
            )
        self._lock = threading.Lock()

    def _device(self, wanted: str) -> str:
        cuda = self._torch.cuda.is_available()
        if wanted == "cuda" and not cuda:
            raise BackendUnavailable("nougat device 'cuda' requested but no GPU is visible")
        return "cuda" if wanted == "cuda" or (wanted == "auto" and cuda) else "cpu"

    def _dtype(self, wanted: str) -> Any:
        if wanted == "auto":
            return self._torch.float16 if self.device == "cuda" else self._torch.float32
        return getattr(self._torch, wanted)

    def generate(self, images: list[Image.Image]) -> list[tuple[str, float]]:
        """Markdown and mean token probability for each page image (one batch)."""
        torch = self._torch
        pixels = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        pixel_values = pixels.pixel_values.to(self.device, dtype=self.dtype)
        tokenizer = self.processor.tokenizer
        with self._lock, torch.inference_mode():
            out = self.model.generate(
                pixel_values,
                min_length=1,
                max_new_tokens=self.options.max_new_tokens,
                num_beams=self.options.num_beams,
                bad_words_ids=[[tokenizer.unk_token_id]],
                return_dict_in_generate=True,
                output_scores=True,
            )
        texts = self.processor.batch_decode(out.sequences, skip_special_tokens=True)
        if self.full_postprocess:
            texts = self.processor.post_process_generation(texts, fix_markdown=False)
        else:
            texts = [light_postprocess(t) for t in texts]
        return list(zip(texts, self._confidences(out, tokenizer.pad_token_id), strict=True))

    def _confidences(self, out: Any, pad_id: int | None) -> list[float]:
        if self.options.num_beams > 1 and getattr(out, "sequences_scores", None) is not None:
            return [round(math.exp(float(s)), 4) for s in out.sequences_scores]
        scores = self.model.compute_transition_scores(
            out.sequences, out.scores, normalize_logits=True
        )
        generated = out.sequences[:, -scores.shape[1] :]
        mask = (
            generated != pad_id if pad_id is not None else self._torch.ones_like(generated).bool()
        )
        result = []
        for row, keep in zip(scores, mask, strict=True):
            values = row[keep].float()
            mean = float(values.mean()) if values.numel() else float("-inf")
            result.append(round(math.exp(mean), 4) if values.numel() else 0.0)
        return result

    def recognize(self, image: Image.Image, dpi: float | None) -> RecognizedPage:
        markdown, confidence = self.generate([image])[0]
        paragraphs, tables = parse_markdown(markdown, confidence)
        return RecognizedPage(paragraphs=paragraphs, tables=tables)

    def check(self) -> None:
        return None
