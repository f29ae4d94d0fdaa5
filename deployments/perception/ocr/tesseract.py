"""Tesseract (Debian ``tesseract-ocr``) through pytesseract: words with boxes and confidence,
lines in Tesseract's reading order (blocks, paragraphs, lines)."""

from __future__ import annotations

import os

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
        # Pages already run in parallel; Tesseract's own OpenMP threads would only compete.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
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
        return RecognizedPage(lines=_lines(data, self.options.min_word_confidence), ordered=True)

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
