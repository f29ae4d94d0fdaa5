"""Test inputs made on the spot: small reportlab PDFs with known text and a ruled table, their
renders (pypdfium2), degraded scans, image-only / mixed / encrypted PDFs and bomb headers."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageFilter
from reportlab.pdfgen.canvas import Canvas

PAGE = (5 * 72, 3.5 * 72)  # a small page keeps Tesseract under a second
LINES = [
    "Quarterly Report 2025",
    "Revenue grew by 12% in the third quarter.",
    "Contact: ops@example.com, phone 555-0142.",
]
TABLE = [["Region", "Q1", "Q2"], ["North", "1,204", "1,380"], ["South", "987", "1,045"]]
FOOTER = "Figures are unaudited and subject to review."


def text_pdf(pages: int = 1, lines: list[str] = LINES, table: list[list[str]] = TABLE) -> bytes:
    """``pages`` identical pages: heading lines, a ruled 3x3 table, a footer line."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1)
    for _ in range(pages):
        y = PAGE[1] - 30
        canvas.setFont("Helvetica", 11)
        for line in lines:
            canvas.drawString(24, y, line)
            y -= 16
        xs, row = [24, 124, 194, 264], 18
        ys = [y - 4 - i * row for i in range(len(table) + 1)]
        canvas.setLineWidth(0.8)
        canvas.grid(xs, ys)
        for r, cells in enumerate(table):
            for c, cell in enumerate(cells):
                canvas.drawString(xs[c] + 5, ys[r] - row + 5, cell)
        canvas.drawString(24, ys[-1] - 20, FOOTER)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def expected_text(lines: list[str] = LINES, table: list[list[str]] = TABLE) -> str:
    return "\n".join([*lines, *("\t".join(row) for row in table), FOOTER])


def render(pdf: bytes, dpi: int = 200) -> list[Image.Image]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [
            page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document
        ]
    finally:
        document.close()


def degrade(image: Image.Image, angle: float = 2.0, seed: int = 0) -> Image.Image:
    """Rotated, blurred, with Gaussian and salt-and-pepper noise."""
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    pixels = np.asarray(rotated.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    rng = np.random.default_rng(seed)
    pixels += rng.normal(0, 14, pixels.shape)
    speckle = rng.random(pixels.shape)
    pixels[speckle < 0.001], pixels[speckle > 0.999] = 0, 255
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def image_pdf(images: list[Image.Image], dpi: int = 200) -> bytes:
    """A scanned PDF: pages that are images only, no text layer."""
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def mixed_pdf() -> bytes:
    """Page 1 has a text layer; page 2 is a scan of the same page."""
    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(text_pdf())
    scan = pdfium.PdfDocument(image_pdf(render(text_pdf())))
    text.import_pages(scan)
    buffer = io.BytesIO()
    text.save(buffer)
    text.close()
    scan.close()
    return buffer.getvalue()


def encrypted_pdf(user_password: str = "secret") -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    buffer = io.BytesIO()
    encryption = StandardEncryption(user_password, ownerPassword="owner-secret")
    canvas = Canvas(buffer, pagesize=PAGE, encrypt=encryption)
    canvas.drawString(24, 200, "Only for the owner of the password, this line of text.")
    canvas.save()
    return buffer.getvalue()


def png_header(width: int, height: int, *, complete: bool = False) -> bytes:
    """A PNG that declares ``width`` x ``height`` (no pixel data is ever allocated).

    ``complete`` adds an empty IDAT and IEND so PIL's lazy open accepts the file too.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    data = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    )
    if complete:
        data += chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    return data


def jpeg_header(width: int, height: int) -> bytes:
    """SOI, a JFIF APP0 and a baseline SOF0 declaring ``width`` x ``height``."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof


def tiff_header(width: int, height: int) -> bytes:
    """A little-endian TIFF whose only IFD declares ``width`` x ``height`` greyscale pixels."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, 0)]  # fmt: skip
    ifd = struct.pack("<H", len(tags))
    ifd += b"".join(struct.pack("<HHII", tag, kind, 1, value) for tag, kind, value in tags)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(expected: str, got: str) -> float:
    """1 - character error rate on whitespace-normalised text."""
    ref, hyp = " ".join(expected.split()), " ".join(got.split())
    return 1 - edit_distance(ref, hyp) / max(len(ref), 1)
