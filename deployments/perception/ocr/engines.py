"""OCR engines behind one interface: image → lines (tesseract, rapidocr) or markdown (nougat)."""

from __future__ import annotations

from typing import Any, Protocol

from PIL import Image

from deployments.common.errors import InputRejected
from deployments.perception.ocr.tesseract import Line, TesseractEngine, Word


class Engine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[Line]: ...


class RapidOcrEngine:
    """PP-OCR models shipped with the ``rapidocr`` package (onnxruntime on CPU)."""

    name = "rapidocr"

    def __init__(self, options: dict[str, Any]) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR()

    def read(self, image: Image.Image) -> list[Line]:
        import numpy as np

        result = self.engine(np.asarray(image))
        boxes = getattr(result, "boxes", None)
        texts = getattr(result, "txts", None) or ()
        scores = getattr(result, "scores", None) or ()
        lines = []
        for box, text, score in zip(
            boxes if boxes is not None else [], texts, scores, strict=False
        ):
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            word = Word(
                str(text), int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)), float(score)
            )
            lines.append(Line([word]))
        from deployments.perception.ocr.tesseract import _merge_same_row

        return _merge_same_row(lines)


class NougatUnavailable(InputRejected):
    status = 503
    code = "nougat_unavailable"


class NougatEngine:
    """Nougat (facebook/nougat-base) for academic PDFs: page image → markdown (GPU profile).

    The weights come from ``backend_options.model`` (an HF id or a local folder); offline
    machines without them get a clear 503 rather than a crash.
    """

    name = "nougat"

    def __init__(self, options: dict[str, Any]) -> None:
        self.model_id = options.get("model", "facebook/nougat-base")
        self.device = options.get("device", "cuda")
        self.max_new_tokens = int(options.get("max_new_tokens", 3584))
        try:
            import torch
            from transformers import NougatProcessor, VisionEncoderDecoderModel

            self.processor = NougatProcessor.from_pretrained(self.model_id)
            self.model = VisionEncoderDecoderModel.from_pretrained(self.model_id)
            if self.device == "cuda" and torch.cuda.is_available():
                self.model = self.model.to("cuda", dtype=torch.float16)
            else:
                self.device = "cpu"
            self.model.eval()
        except Exception as exc:
            raise NougatUnavailable(
                f"Nougat weights {self.model_id!r} cannot be loaded here ({type(exc).__name__}); "
                "use the tesseract backend or provide the model folder",
            ) from None

    def markdown(self, image: Image.Image) -> str:
        import torch

        inputs = self.processor(image, return_tensors="pt").pixel_values.to(self.model.device)
        if self.device == "cuda":
            inputs = inputs.half()
        with torch.inference_mode():
            outputs = self.model.generate(
                inputs,
                min_length=1,
                max_new_tokens=self.max_new_tokens,
                bad_words_ids=[[self.processor.tokenizer.unk_token_id]],
            )
        text = self.processor.batch_decode(outputs, skip_special_tokens=True)[0]
        return self.processor.post_process_generation(text, fix_markdown=False)

    def read(self, image: Image.Image) -> list[Line]:
        width, _ = image.size
        lines = []
        for index, text in enumerate(t for t in self.markdown(image).splitlines() if t.strip()):
            lines.append(Line([Word(text.strip(), 0, index * 20, width, index * 20 + 18, 0.9)]))
        return lines


def make_engine(backend: str, languages: list[str], options: dict[str, Any]) -> Engine:
    if backend == "rapidocr":
        return RapidOcrEngine(options)
    if backend == "nougat":
        return NougatEngine(options)
    return TesseractEngine(languages, options)
