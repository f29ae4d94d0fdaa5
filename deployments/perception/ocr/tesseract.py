"""Tesseract (Debian ``tesseract-ocr``) through pytesseract: words with boxes and confidence,
lines in Tesseract's reading order (blocks, paragraphs, lines).

A second pass reads ink the first left unread: Tesseract's automatic page segmentation can
drop a narrow table column of short numbers as non-text. What no recognised word covers is
kept on a blank page, read as one block of text (psm 6: it keeps single digits that sparse
mode drops), and its lines join the page after the line above them.
"""

from __future__ import annotations

import statistics

import cv2
import numpy as np
from PIL import Image

from deployments.perception.ocr.backend import BackendUnavailable, PageTimeout
from deployments.perception.ocr.config import TesseractOptions
from deployments.perception.ocr.geometry import OcrLine, OcrWord, RecognizedPage

WORD_LEVEL = 5


class TesseractBackend:
    """One ``tesseract`` process per page; pages run in parallel threads."""

    name = "tesseract"
    preprocess = True

    def __init__(
        self, languages: list[str], options: TesseractOptions, *, timeout_s: float = 120.0
    ) -> None:
        import pytesseract

        self._tess = pytesseract
        self.options = options
        self.timeout_s = timeout_s
        self.lang = "+".join(languages)
        try:
            self.version = str(pytesseract.get_tesseract_version())
            installed = set(pytesseract.get_languages(config=""))
        except (Exception, SystemExit) as exc:  # binary missing, broken or too old
            raise BackendUnavailable(
                f"tesseract cannot run here ({exc}); install Debian tesseract-ocr "
                "or choose another ocr.backend"
            ) from None
        missing = [lang for lang in languages if lang not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
            raise BackendUnavailable(
                f"tesseract language packs {missing} are not installed (apt-get install "
                f"{packages}); installed: {sorted(installed)}"
            )

    def _config(self, dpi: float | None) -> str:
        parts = [f"--psm {self.options.psm}", f"--oem {self.options.oem}"]
        if dpi:  # unknown: Tesseract estimates it from the text height
            parts.append(f"--dpi {round(dpi)}")
        if self.options.extra_config:
            parts.append(self.options.extra_config)
        return " ".join(parts)

    def recognize(self, image: Image.Image, dpi: float | None) -> RecognizedPage:
        try:
            data = self._tess.image_to_data(
                image,
                lang=self.lang,
                config=self._config(dpi),
                output_type=self._tess.Output.DICT,
                timeout=self.timeout_s,
            )
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise PageTimeout(f"tesseract took over {self.timeout_s:.0f} s") from None
            raise
        lines = _lines(data, self.options.min_word_confidence)
        if self.options.recover_missed and lines:
            lines = self._recover(image, dpi, lines)
        return RecognizedPage(lines=lines, ordered=True)

    def _recover(
        self, image: Image.Image, dpi: float | None, lines: list[OcrLine]
    ) -> list[OcrLine]:
        """Read text-like ink that no word of ``lines`` covers; merge its lines in."""
        leftover = missed_ink(image, lines)
        if leftover is None:
            return lines
        config = self._config(dpi).replace(f"--psm {self.options.psm}", "--psm 6")
        try:
            data = self._tess.image_to_data(
                leftover, lang=self.lang, config=config, output_type=self._tess.Output.DICT,
                timeout=self.timeout_s,
            )  # fmt: skip
        except RuntimeError:
            return lines  # the first pass stands
        extra = [
            line
            for line in _lines(data, max(self.options.min_word_confidence, MIN_RECOVERED_CONF))
            if any(c.isalnum() for c in line.text)
        ]
        return merge_lines(lines, extra) if extra else lines

    def check(self) -> None:
        try:
            self._tess.get_tesseract_version()  # runs `tesseract --version` (~10 ms)
        except (Exception, SystemExit) as exc:
            raise BackendUnavailable(f"tesseract stopped working: {exc}") from None


def _lines(data: dict[str, list], min_confidence: float) -> list[OcrLine]:
    """Words of ``image_to_data`` grouped by (block, paragraph, line), in Tesseract's order."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if data["level"][i] != WORD_LEVEL or not text:
            continue
        confidence = max(0.0, min(float(data["conf"][i]) / 100.0, 1.0))
        if confidence < min_confidence:
            continue
        left, top = float(data["left"][i]), float(data["top"][i])
        word = OcrWord(
            text, left, top, left + float(data["width"][i]), top + float(data["height"][i]),
            round(confidence, 4),
        )  # fmt: skip
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
    return [OcrLine(sorted(words, key=lambda w: w.x0)) for words in lines.values()]


MIN_RECOVERED_CONF = 0.5  # a second-pass word must be at least this sure (specks read as text)


def _unread(image: Image.Image, lines: list[OcrLine]):
    """(grey pixels, component labels, glyph mask per label, covered mask, text height):
    the glyph-sized ink components no recognised word covers."""
    gray = np.asarray(image.convert("L"))
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    words = [w for line in lines for w in line.words]
    height = statistics.median(w.height for w in words)
    pad = max(2, round(0.25 * height))
    covered = np.zeros_like(ink)
    for w in words:
        covered[
            max(0, int(w.y0) - pad) : int(w.y1) + pad, max(0, int(w.x0) - pad) : int(w.x1) + pad
        ] = 255
    left = cv2.bitwise_and(ink, cv2.bitwise_not(covered))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
    glyph = np.zeros(count, dtype=bool)
    for index in range(1, count):
        w, h, area = stats[index, 2], stats[index, 3], stats[index, 4]
        # glyph-sized: as tall as letters, not a ruling, a frame or a speck
        glyph[index] = (0.45 * height <= h <= 1.6 * height and w <= 3 * height and area >= 0.15
                        * h * max(w, 1) and area >= 0.02 * height * height)  # fmt: skip
    return gray, labels, glyph, covered, height


def unread_glyphs(image: Image.Image, lines: list[OcrLine]) -> int:
    """How many letter-sized ink components of ``image`` no word of ``lines`` covers."""
    if not any(line.words for line in lines):
        return 0
    return int(_unread(image, lines)[2].sum())


def missed_ink(image: Image.Image, lines: list[OcrLine]) -> Image.Image | None:
    """The page with every recognised word blanked, when text-like ink is left (else None)."""
    gray, labels, glyph, covered, height = _unread(image, lines)
    if int(glyph.sum()) < 2:
        return None
    # Around each glyph keep everything not already read: its blurred edges, and the commas,
    # points and hyphens too small to count as glyphs themselves.
    reach = max(3, round(0.6 * height))
    kernel = np.ones((reach, 2 * reach + 1), np.uint8)
    near = cv2.dilate(glyph[labels].astype(np.uint8), kernel).astype(bool) & (covered == 0)
    page = np.full_like(gray, 255)
    page[near] = gray[near]
    return Image.fromarray(page)


def merge_lines(lines: list[OcrLine], extra: list[OcrLine]) -> list[OcrLine]:
    """``lines`` in their order, each recovered line placed after the last line above it."""
    merged = list(lines)
    for line in sorted(extra, key=lambda ln: ln.bbox[1]):
        top = line.bbox[1]
        at = 0
        for index, existing in enumerate(merged):
            if existing.bbox[1] <= top:
                at = index + 1
        merged.insert(at, line)
    return merged
