"""Tesseract OCR: words with boxes and confidence, grouped into lines in reading order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from deployments.perception.ocr.protocol import Block


@dataclass
class Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    confidence: float  # 0..1


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (
            min(w.left for w in self.words),
            min(w.top for w in self.words),
            max(w.right for w in self.words),
            max(w.bottom for w in self.words),
        )

    @property
    def confidence(self) -> float:
        total = sum(len(w.text) for w in self.words) or 1
        return sum(w.confidence * len(w.text) for w in self.words) / total

    @property
    def height(self) -> float:
        return float(np.median([w.bottom - w.top for w in self.words]))


def _profile_score(ink: Image.Image, angle: float) -> float:
    profile = (np.asarray(ink.rotate(angle, fillcolor=0)) > 0).sum(axis=1).astype(np.float64)
    return float(np.sum(np.diff(profile) ** 2))


def estimate_skew(image: Image.Image, max_angle: float = 5.0) -> float:
    """Rotation (degrees) that makes text rows horizontal: the sharpest row profile.

    Coarse-to-fine: 1° steps over ±max_angle, then 0.25° around the best (~15 rotations of a
    600-pixel thumbnail, a few tens of milliseconds).
    """
    gray = ImageOps.grayscale(image)
    scale = 600 / max(gray.size)
    if scale < 1:
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)))
    ink_array = (np.asarray(gray) < 128).astype(np.uint8) * 255
    if ink_array.sum() < 50 * 255:
        return 0.0
    ink = Image.fromarray(ink_array)
    coarse = np.arange(-max_angle, max_angle + 0.5, 1.0)
    best = max(coarse, key=lambda a: _profile_score(ink, float(a)))
    fine = np.arange(best - 0.75, best + 0.8, 0.25)
    return float(max(fine, key=lambda a: _profile_score(ink, float(a))))


class TesseractEngine:
    """Runs Tesseract through pytesseract; deskews first when the page is rotated."""

    name = "tesseract"

    def __init__(self, languages: list[str], options: dict) -> None:
        self.lang = "+".join(languages)
        self.psm = int(options.get("psm", 3))
        self.oem = int(options.get("oem", 1))
        self.deskew = bool(options.get("deskew", True))

    def _config(self) -> str:
        return f"--psm {self.psm} --oem {self.oem} -c preserve_interword_spaces=1"

    def read(self, image: Image.Image) -> list[Line]:
        import pytesseract

        if self.deskew:
            angle = estimate_skew(image)
            if abs(angle) >= 0.3:
                image = image.rotate(angle, expand=True, fillcolor="white")
        data = pytesseract.image_to_data(
            image, lang=self.lang, config=self._config(), output_type=pytesseract.Output.DICT
        )
        lines: dict[tuple[int, int, int], list[Word]] = {}
        for i, text in enumerate(data["text"]):
            text = (text or "").strip()
            conf = float(data["conf"][i])
            if not text or conf < 0:
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            left, top = int(data["left"][i]), int(data["top"][i])
            word = Word(
                text,
                left,
                top,
                left + int(data["width"][i]),
                top + int(data["height"][i]),
                max(0.0, min(conf / 100.0, 1.0)),
            )
            lines.setdefault(key, []).append(word)
        ordered = [Line(sorted(words, key=lambda w: w.left)) for _, words in sorted(lines.items())]
        return _merge_same_row(ordered)


def _merge_same_row(lines: list[Line]) -> list[Line]:
    """Tesseract splits table rows into blocks; lines on the same row become one line."""
    if not lines:
        return lines
    rows: list[Line] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        center = (line.bbox[1] + line.bbox[3]) / 2
        if rows:
            last = rows[-1]
            last_center = (last.bbox[1] + last.bbox[3]) / 2
            if abs(center - last_center) < 0.5 * min(line.height, last.height):
                last.words = sorted(last.words + line.words, key=lambda w: w.left)
                continue
        rows.append(Line(list(line.words)))
    return rows


def line_text_with_gaps(line: Line) -> str:
    """Line text where wide gaps (column breaks) become two spaces, so "Key   Value" survives."""
    parts = [line.words[0].text]
    height = line.height or 10
    for previous, word in zip(line.words, line.words[1:], strict=False):
        gap = word.left - previous.right
        parts.append(("  " if gap > 1.2 * height else " ") + word.text)
    return "".join(parts)


def to_blocks(lines: list[Line]) -> list[Block]:
    return [
        Block(
            text=line_text_with_gaps(line),
            bbox=tuple(float(v) for v in line.bbox),
            confidence=round(line.confidence, 4),
        )
        for line in lines
    ]
