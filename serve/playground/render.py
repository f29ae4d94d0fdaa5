"""One PDF page to PNG with PDFium, for the playground's OCR box overlay."""

from __future__ import annotations

import io

MAX_RENDER_HEIGHT = 4000


class PdfRenderError(ValueError):
    """The PDF cannot be opened or has no such page (a client error)."""

    def __init__(self, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.param = param


def render_pdf_page(data: bytes, page: int, width: int) -> tuple[bytes, int]:
    """PNG bytes of 1-based ``page`` scaled to ``width`` pixels, and the document's page count.

    The page is drawn in display orientation (its /Rotate applied), the same space in which
    the OCR stage reports boxes (points, top-left origin), so boxes scale by width alone.
    """
    import pypdfium2 as pdfium

    from deployments.perception.ocr.pdf_text import PDFIUM_LOCK

    with PDFIUM_LOCK:  # PDFium is not thread-safe
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise PdfRenderError(f"the PDF cannot be opened: {exc}", "malformed_pdf") from exc
        try:
            count = len(document)
            if not 1 <= page <= count:
                raise PdfRenderError(
                    f"page {page} does not exist (the PDF has {count})", "page_out_of_range", "page"
                )
            pdf_page = document[page - 1]
            page_width, page_height = pdf_page.get_size()
            scale = min(width / max(page_width, 1.0), MAX_RENDER_HEIGHT / max(page_height, 1.0))
            image = pdf_page.render(scale=scale).to_pil()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue(), count
