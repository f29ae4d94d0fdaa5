"""PDFs through pypdfium2: the text layer with line and word boxes, and page rendering.

PDFium is not thread-safe, so every call into it holds :data:`PDFIUM_LOCK`; OCR of rendered
pages then runs in parallel outside the lock.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from dataclasses import dataclass, field

from PIL import Image

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.ocr.protocol import BBox

PDFIUM_LOCK = threading.RLock()
_ERR_PASSWORD, _ERR_SECURITY = 4, 5
_DEVICE_SCALE = 10  # virtual device units per point when mapping boxes (0.1 pt precision)
MIN_RENDER_DPI = 50


@dataclass
class TextLine:
    """A line of the text layer with its box and its words' boxes (points, top-left origin)."""

    text: str
    bbox: BBox
    words: list[tuple[str, BBox]] = field(default_factory=list)


@dataclass
class TextLayerPage:
    """What the text layer of one page holds."""

    width: float
    height: float
    text: str
    lines: list[TextLine]
    chars: int
    readable_ratio: float
    has_paths: bool


def _union(a: BBox | None, b: BBox) -> BBox:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _readable(char: str) -> bool:
    return (
        char.isprintable()
        and unicodedata.category(char) not in ("Co", "Cn", "Cs")
        and (char != "\ufffd")
    )


class _Mapper:
    """PDF user space → display space in points, top-left origin (handles /Rotate, crop box)."""

    def __init__(self, page, width: float, height: float) -> None:
        import pypdfium2 as pdfium

        size = (
            0,
            0,
            max(1, round(width * _DEVICE_SCALE)),
            max(1, round(height * _DEVICE_SCALE)),
            0,
        )
        conv = pdfium.PdfPosConv(page, size)
        self.origin = conv.to_bitmap(0.0, 0.0)
        x_axis, y_axis = conv.to_bitmap(100.0, 0.0), conv.to_bitmap(0.0, 100.0)
        self.ux = ((x_axis[0] - self.origin[0]) / 100.0, (x_axis[1] - self.origin[1]) / 100.0)
        self.uy = ((y_axis[0] - self.origin[0]) / 100.0, (y_axis[1] - self.origin[1]) / 100.0)

    def box(self, left: float, bottom: float, right: float, top: float) -> BBox:
        xs, ys = [], []
        for x, y in ((left, bottom), (right, top)):
            xs.append((self.origin[0] + x * self.ux[0] + y * self.uy[0]) / _DEVICE_SCALE)
            ys.append((self.origin[1] + x * self.ux[1] + y * self.uy[1]) / _DEVICE_SCALE)
        return (
            round(min(xs), 1),
            round(min(ys), 1),
            round(max(xs), 1),
            round(max(ys), 1),
        )


class PdfDocument:
    """One PDF opened with PDFium; corrupt and encrypted files raise clear 4xx errors."""

    def __init__(self, data: bytes) -> None:
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            try:
                self._pdf = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as exc:
                # PDFium's error code is process-global and can be stale: confirm /Encrypt.
                code = getattr(exc, "err_code", None)
                if code in (_ERR_PASSWORD, _ERR_SECURITY) and b"/Encrypt" in data:
                    raise UnsupportedInput(
                        "the PDF is encrypted (password protected); send it decrypted",
                        code="encrypted_pdf",
                    ) from None
                detail = "" if code in (_ERR_PASSWORD, _ERR_SECURITY) else f": {exc}"
                raise MalformedInput(
                    f"the PDF is corrupt and cannot be opened{detail}", code="corrupt_pdf"
                ) from None
            self.count = len(self._pdf)
        if self.count == 0:
            self.close()
            raise MalformedInput("the PDF has no pages", code="corrupt_pdf")

    def _page(self, index: int):
        import pypdfium2 as pdfium

        try:
            return self._pdf[index]
        except (pdfium.PdfiumError, IndexError) as exc:
            raise MalformedInput(
                f"page {index + 1} of the PDF cannot be loaded: {exc}", code="corrupt_pdf"
            ) from None

    def text_layer(self, index: int, *, find_paths: bool = False) -> TextLayerPage:
        """Text of page ``index`` in content order with line and word boxes."""
        with PDFIUM_LOCK:
            page = self._page(index)
            try:
                width, height = page.get_size()
                textpage = page.get_textpage()
                try:
                    count = textpage.count_chars()
                    text = textpage.get_text_range(0, count) if count > 0 else ""
                    boxes = _char_boxes(textpage, text, count, _Mapper(page, width, height))
                finally:
                    textpage.close()
                has_paths = find_paths and _has_paths(page)
            finally:
                page.close()
        lines = _lines(text, boxes)
        visible = [c for c in text if not c.isspace()]
        readable = sum(_readable(c) for c in visible) / len(visible) if visible else 1.0
        return TextLayerPage(
            width=round(width, 2),
            height=round(height, 2),
            text="\n".join(line.text for line in lines),
            lines=lines,
            chars=len(visible),
            readable_ratio=readable,
            has_paths=has_paths,
        )

    def page_size(self, index: int) -> tuple[float, float]:
        with PDFIUM_LOCK:
            page = self._page(index)
            try:
                return page.get_size()
            finally:
                page.close()

    def render(self, index: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        """Page ``index`` as a greyscale image and the dpi it was rendered at.

        A page that would exceed ``max_pixels`` at ``dpi`` renders at the highest dpi that fits;
        one that cannot fit even at 50 dpi is refused.
        """
        with PDFIUM_LOCK:
            page = self._page(index)
            try:
                width, height = page.get_size()
                area = max(width * height, 1.0) / (72.0 * 72.0)  # square inches
                fitted = min(float(dpi), math.sqrt(max_pixels / area) * 0.999)
                if fitted < MIN_RENDER_DPI:
                    raise InputTooLarge(
                        f"page {index + 1} is {width:.0f}x{height:.0f} pt; even at "
                        f"{MIN_RENDER_DPI} dpi it exceeds {max_pixels} pixels (ocr.max_pixels)",
                        code="too_many_pixels",
                    )
                try:
                    bitmap = page.render(scale=fitted / 72.0, grayscale=True)
                    image = bitmap.to_pil().convert("L")
                except Exception as exc:
                    raise MalformedInput(
                        f"page {index + 1} cannot be rendered: {exc}", code="corrupt_pdf"
                    ) from None
            finally:
                page.close()
        return image, fitted

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._pdf.close()


def _char_boxes(textpage, text: str, count: int, mapper: _Mapper) -> list[BBox | None]:
    """A box per character of ``text`` (None for spaces and generated line breaks)."""
    if len(text) != count:  # surrogate pairs: keep the text, drop the boxes
        return [None] * len(text)
    boxes: list[BBox | None] = []
    for i, char in enumerate(text):
        if char.isspace():
            boxes.append(None)
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        boxes.append(mapper.box(left, bottom, right, top))
    return boxes


def _lines(text: str, boxes: list[BBox | None]) -> list[TextLine]:
    """Split the text layer into lines (PDFium's line breaks) and words (whitespace)."""
    lines: list[TextLine] = []
    chars: list[str] = []
    line_box: BBox | None = None
    words: list[tuple[str, BBox]] = []
    word, word_box = "", None

    def end_word() -> None:
        nonlocal word, word_box
        if word and word_box is not None:
            words.append((word, word_box))
        word, word_box = "", None

    def end_line() -> None:
        nonlocal chars, line_box, words
        end_word()
        content = "".join(chars).strip()
        if content:
            lines.append(TextLine(content, line_box or (0.0, 0.0, 0.0, 0.0), words))
        chars, line_box, words = [], None, []

    for char, box in zip(text, boxes, strict=True):
        if char in "\r\n":
            end_line()
            continue
        chars.append(char)
        if char.isspace():
            end_word()
            continue
        word += char
        if box is not None:
            word_box = _union(word_box, box)
            line_box = _union(line_box, box)
    end_line()
    return lines


def _has_paths(page) -> bool:
    """Whether the page draws any vector path (a ruled table needs some)."""
    import pypdfium2.raw as pdfium_c

    return any(obj.type == pdfium_c.FPDF_PAGEOBJ_PATH for obj in page.get_objects(max_depth=3))
