"""RapidOCR: PP-OCR detection + recognition models shipped in the ``rapidocr`` package,
run by onnxruntime on the CPU (no downloads). Text boxes come unordered; words have boxes."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image

from deployments.perception.ocr.backend import BackendUnavailable
from deployments.perception.ocr.config import RapidOcrOptions
from deployments.perception.ocr.geometry import OcrLine, OcrWord, RecognizedPage


class RapidOcrBackend:
    """One engine per replica; calls are serialised (onnxruntime uses its own threads)."""

    name = "rapidocr"
    preprocess = True

    def __init__(self, options: RapidOcrOptions) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise BackendUnavailable(
                f"rapidocr is not installed ({exc}); pip install rapidocr onnxruntime"
            ) from None
        params = {
            "Global.log_level": "warning",
            "Global.return_word_box": True,
            "Global.text_score": options.text_score,
            "Global.use_cls": options.use_angle_cls,
        }
        if options.threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = options.threads
        params.update(options.params)
        try:
            self.engine = RapidOCR(params=params)
        except Exception as exc:
            raise BackendUnavailable(f"rapidocr cannot start: {exc}") from None
        self._lock = threading.Lock()

    def recognize(self, image: Image.Image, dpi: float | None) -> RecognizedPage:
        with self._lock:
            result = self.engine(np.asarray(image.convert("RGB")))
        boxes = getattr(result, "boxes", None)
        texts = getattr(result, "txts", None) or ()
        scores = getattr(result, "scores", None) or ()
        word_results = getattr(result, "word_results", None) or ()
        if boxes is None or not len(texts):
            return RecognizedPage(ordered=False)
        lines = []
        for i, (box, text, score) in enumerate(zip(boxes, texts, scores, strict=False)):
            text = " ".join(str(text).split())
            words = _words(word_results[i] if i < len(word_results) else (), float(score))
            if "".join(w.text for w in words) != text.replace(" ", ""):
                # Word boxes that do not spell the line (seen on long English lines): keep the
                # line's text, spread over its box.
                words = _spread(text, _box_word(text, box, float(score)))
            lines.append(OcrLine(words))
        return RecognizedPage(lines=lines, ordered=False)

    def read_crops(self, crops: list[np.ndarray]) -> list[str]:
        """Recognition only (no detection) of word crops (RGB arrays), in one batch."""
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        if not crops:
            return []
        with self._lock:
            recognizer = self.engine._load_rec_model()
            result = recognizer(TextRecInput(img=crops))
        return [" ".join(str(t).split()) for t in result.txts]

    def check(self) -> None:
        return None


def _box_word(text: str, quad, score: float) -> OcrWord:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return OcrWord(text, min(xs), min(ys), max(xs), max(ys), round(score, 4))


def _spread(text: str, line: OcrWord) -> list[OcrWord]:
    """Words of ``text`` with boxes shared out along the line's box by character count."""
    parts = text.split()
    if len(parts) <= 1:
        return [line]
    unit = (line.x1 - line.x0) / max(len(text), 1)
    words, x = [], line.x0
    for part in parts:
        words.append(OcrWord(part, x, line.y0, x + unit * len(part), line.y1, line.confidence))
        x += unit * (len(part) + 1)
    return words


def _words(results, line_score: float) -> list[OcrWord]:
    """Word boxes of one text box (``return_word_box``), left to right."""
    words = []
    for entry in results or ():
        if len(entry) != 3 or entry[2] is None or not str(entry[0]).strip():
            continue
        text, score, quad = entry
        words.append(_box_word(str(text).strip(), quad, float(score or line_score)))
    return sorted(words, key=lambda w: w.x0)
