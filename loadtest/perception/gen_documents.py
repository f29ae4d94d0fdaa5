"""Labelled documents for the OCR benchmark: PDFs with a known text layer and ruled tables,
their scans (pdftoppm) and degraded scans (noise, blur, slight rotation, JPEG).

    .venv/bin/python -m loadtest.perception.gen_documents --out /tmp/ocr-corpus --count 4

writes ``<name>.pdf``, ``<name>-p<N>-clean.png``, ``<name>-p<N>-noisy.jpg``,
``<name>-scanned.pdf`` (image-only PDF of the noisy pages) and ``manifest.json`` with the
expected text of every page and the rows of every table (reports also hold an unruled one).
Everything is seeded: the same arguments give the same corpus.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

WORDS = (
    "account balance budget client company contract cost customer data delivery department "
    "design development director estimate equipment finance forecast growth invoice item "
    "labour level market material meeting method office operation order payment period plan "
    "policy price process product profit project quality quarter rate region report request "
    "result revenue review risk sales schedule service shipment staff standard statement "
    "supply support system target team total training transport unit update value vendor "
    "volume warehouse week agreed annual approved careful central clear current detailed "
    "early expected final general important initial local main major monthly new overall "
    "planned regular second simple special strong total weekly yearly across after against "
    "before during under within about above below between through toward adjusted analysed "
    "checked completed delivered improved increased measured received reduced reported "
    "reviewed shipped signed updated verified the a of and to in for on with by from as that "
    "this which each all more most some other than also only both well"
).split()
CITIES = ["Springfield", "Riverton", "Lakewood", "Fairview", "Greenville", "Bristol", "Oakland"]
STREETS = ["Maple Street", "Harbor Road", "Mill Lane", "Station Avenue", "King Street"]
COMPANIES = ["Northwind Traders", "Blue Harbor Ltd", "Acme Supplies Inc.", "Granite & Co."]
PRODUCTS = [
    "Steel brackets, 40 mm",
    "Office chair (ergonomic)",
    "Printer toner cartridge",
    "Network cable 5 m",
    "Desk lamp LED",
    "Shipping pallets",
    "Safety gloves, size L",
    "Consulting hours",
    "Software licence (1 year)",
    "Cleaning service",
]
REGIONS = ["North", "South", "East", "West", "Central", "Overseas"]

BODY_FONT, BOLD_FONT = "Helvetica", "Helvetica-Bold"
BODY_SIZE, LEADING = 10.5, 14.0
MARGIN = 60.0


@dataclass
class TableLabel:
    """A table drawn on ``page`` (1-based): its cell texts, row by row; ruled or not."""

    page: int
    rows: list[list[str]]
    ruled: bool = True


@dataclass
class LabelledDocument:
    """A generated PDF with the text of each page in reading order."""

    name: str
    kind: str
    pdf: bytes = field(repr=False)
    page_texts: list[str]
    tables: list[TableLabel]


@dataclass
class ScanPage:
    """One rasterised page: ``clean`` (pdftoppm) or ``noisy`` (degraded), with its label."""

    name: str
    document: str
    page: int
    variant: str
    dpi: int
    mime: str
    data: bytes = field(repr=False)
    expected_text: str
    rotation_deg: float = 0.0


class _PageWriter:
    """Draws lines top-down on a reportlab canvas and records them as the expected text."""

    def __init__(self, canvas: Canvas, page_size: tuple[float, float]) -> None:
        self.canvas = canvas
        self.width, self.height = page_size
        self.y = self.height - MARGIN
        self.pages: list[list[str]] = [[]]
        self.tables: list[TableLabel] = []

    @property
    def text_width(self) -> float:
        return self.width - 2 * MARGIN

    def _ensure_room(self, needed: float) -> None:
        if self.y - needed < MARGIN:
            self.canvas.showPage()
            self.pages.append([])
            self.y = self.height - MARGIN

    def line(self, text: str, *, font: str = BODY_FONT, size: float = BODY_SIZE) -> None:
        self._ensure_room(size * 1.4)
        self.y -= size * 1.3
        self.canvas.setFont(font, size)
        self.canvas.drawString(MARGIN, self.y, text)
        self.pages[-1].append(text)

    def paragraph(self, text: str) -> None:
        for part in simpleSplit(text, BODY_FONT, BODY_SIZE, self.text_width):
            self.line(part)
        self.gap(6)

    def gap(self, points: float) -> None:
        self.y -= points

    def table(
        self, rows: list[list[str]], widths: list[float], numeric: set[int], ruled: bool = True
    ) -> None:
        """A table (a ruled grid unless ``ruled`` is False); ``numeric`` columns right-aligned."""
        row_height = 19.0
        self._ensure_room(row_height * len(rows) + 10)
        top = self.y - 4
        xs = [MARGIN]
        for width in widths:
            xs.append(xs[-1] + width)
        ys = [top - i * row_height for i in range(len(rows) + 1)]
        if ruled:
            self.canvas.setLineWidth(0.8)
            self.canvas.grid(xs, ys)
        for r, row in enumerate(rows):
            baseline = ys[r] - row_height + 6
            font = BOLD_FONT if r == 0 else BODY_FONT
            self.canvas.setFont(font, BODY_SIZE - 0.5)
            for c, cell in enumerate(row):
                if c in numeric and r > 0:
                    self.canvas.drawRightString(xs[c + 1] - 6, baseline, cell)
                else:
                    self.canvas.drawString(xs[c] + 6, baseline, cell)
            self.pages[-1].append(" ".join(row))
        label = TableLabel(page=len(self.pages), rows=[list(r) for r in rows], ruled=ruled)
        self.tables.append(label)
        self.y = ys[-1] - 12


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 16))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 980)}")
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 99)}%")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", ";", ":"])


def _paragraph_text(rng: random.Random, sentences: tuple[int, int] = (3, 6)) -> str:
    text = " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))
    return text.rstrip(".;:") + "."


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _invoice(name: str, rng: random.Random) -> LabelledDocument:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    writer = _PageWriter(canvas, LETTER)
    seller, buyer = rng.sample(COMPANIES, 2)
    writer.line("INVOICE", font=BOLD_FONT, size=20)
    writer.gap(6)
    writer.line(seller, font=BOLD_FONT, size=12)
    writer.line(f"{rng.randint(1, 999)} {rng.choice(STREETS)}, {rng.choice(CITIES)}")
    writer.line(f"billing@{seller.split()[0].lower()}.example.com")
    writer.gap(8)
    writer.line(f"Invoice number: INV-{rng.randint(2020, 2026)}-{rng.randint(1, 9999):04d}")
    writer.line(
        f"Date: {rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    )
    writer.line(f"Bill to: {buyer}, {rng.choice(CITIES)}")
    writer.gap(8)
    rows = [["Description", "Qty", "Unit price", "Amount"]]
    subtotal = 0.0
    for product in rng.sample(PRODUCTS, rng.randint(4, 7)):
        qty, price = rng.randint(1, 40), rng.randint(150, 90000) / 100
        subtotal += qty * price
        rows.append([product, str(qty), _money(price), _money(qty * price)])
    writer.table(rows, [210, 50, 100, 110], numeric={1, 2, 3})
    tax = round(subtotal * 0.08, 2)
    writer.line(f"Subtotal: {_money(subtotal)}")
    writer.line(f"Tax (8%): {_money(tax)}")
    writer.line(f"Total due: {_money(subtotal + tax)}", font=BOLD_FONT, size=11)
    writer.gap(10)
    writer.paragraph(
        f"Payment is due within {rng.choice([14, 30, 45])} days. " + _paragraph_text(rng, (2, 3))
    )
    canvas.save()
    return LabelledDocument(
        name=name,
        kind="invoice",
        pdf=buffer.getvalue(),
        page_texts=["\n".join(lines) for lines in writer.pages],
        tables=writer.tables,
    )


def _report(name: str, rng: random.Random) -> LabelledDocument:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    writer = _PageWriter(canvas, A4)
    writer.line(
        f"Quarterly {rng.choice(['Sales', 'Operations', 'Supply'])} Report", font=BOLD_FONT, size=18
    )
    writer.line(f"Prepared by the {rng.choice(['finance', 'planning', 'logistics'])} team")
    writer.gap(8)
    for section in range(rng.randint(3, 4)):
        writer.line(
            f"{section + 1}. {rng.choice(WORDS).capitalize()} review", font=BOLD_FONT, size=12
        )
        for _ in range(rng.randint(2, 3)):
            writer.paragraph(_paragraph_text(rng))
        if section == 0:
            rows = [["Region", "Q1", "Q2", "Q3", "Q4"]]
            for region in rng.sample(REGIONS, rng.randint(3, 5)):
                rows.append([region, *(f"{rng.randint(100, 9999):,}" for _ in range(4))])
            writer.table(rows, [130, 80, 80, 80, 80], numeric={1, 2, 3, 4})
        if section == 1:
            rows = [["Product", "Units", "Share"]]
            for product in rng.sample(PRODUCTS, 3):
                rows.append([product, f"{rng.randint(10, 999)}", f"{rng.randint(1, 60)}%"])
            writer.table(rows, [200, 90, 90], numeric={1, 2}, ruled=False)
    canvas.save()
    return LabelledDocument(
        name=name,
        kind="report",
        pdf=buffer.getvalue(),
        page_texts=["\n".join(lines) for lines in writer.pages],
        tables=writer.tables,
    )


def make_documents(count: int = 4, seed: int = 7) -> list[LabelledDocument]:
    """``count`` documents alternating invoice / report, deterministic for a seed."""
    rng = random.Random(seed)
    makers = [_invoice, _report]
    return [makers[i % 2](f"{makers[i % 2].__name__[1:]}-{i + 1}", rng) for i in range(count)]


def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Greyscale page images of ``pdf`` rendered by poppler's ``pdftoppm``."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "in.pdf")
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(tmp, "page"))],
            check=True,
            capture_output=True,
        )
        paths = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [Image.open(path).convert("L") for path in paths]


def degrade(image: Image.Image, rng: random.Random) -> tuple[Image.Image, float]:
    """A worse scan: slight rotation, blur, Gaussian and salt-and-pepper noise."""
    angle = rng.choice([-1, 1]) * rng.uniform(0.6, 2.5)
    rotated = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    blurred = rotated.filter(ImageFilter.GaussianBlur(radius=0.6))
    pixels = np.asarray(blurred, dtype=np.float32)
    noise_rng = np.random.default_rng(rng.randrange(2**32))
    pixels = pixels + noise_rng.normal(0, 14, pixels.shape)
    speckle = noise_rng.random(pixels.shape)
    pixels[speckle < 0.001] = 0
    pixels[speckle > 0.999] = 255
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), angle


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def make_scans(doc: LabelledDocument, dpi: int, rng: random.Random) -> list[ScanPage]:
    """A clean PNG and a noisy JPEG of every page of ``doc``."""
    scans = []
    for number, (image, expected) in enumerate(
        zip(rasterise(doc.pdf, dpi), doc.page_texts, strict=True), start=1
    ):
        stem = f"{doc.name}-p{number}"
        scans.append(
            ScanPage(
                f"{stem}-clean",
                doc.name,
                number,
                "clean",
                dpi,
                "image/png",
                encode(image, "PNG"),
                expected,
            )
        )
        noisy, angle = degrade(image, rng)
        scans.append(
            ScanPage(
                f"{stem}-noisy",
                doc.name,
                number,
                "noisy",
                dpi,
                "image/jpeg",
                encode(noisy, "JPEG", quality=75),
                expected,
                rotation_deg=round(angle, 2),
            )
        )
    return scans


def scanned_pdf(pages: list[ScanPage]) -> bytes:
    """An image-only PDF (no text layer) made of ``pages``."""
    images = [Image.open(io.BytesIO(page.data)).convert("L") for page in pages]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="PDF",
        save_all=True,
        append_images=images[1:],
        resolution=float(pages[0].dpi),
    )
    return buffer.getvalue()


def make_corpus(count: int = 4, seed: int = 7) -> tuple[list[LabelledDocument], list[ScanPage]]:
    """Documents and their scans; dpi alternates 200 / 150 between documents."""
    rng = random.Random(seed + 1)
    documents = make_documents(count, seed)
    scans = []
    for index, doc in enumerate(documents):
        scans.extend(make_scans(doc, 200 if index % 2 == 0 else 150, rng))
    return documents, scans


def write_corpus(out_dir: Path, count: int = 4, seed: int = 7) -> Path:
    """Write the corpus and its ``manifest.json``; returns the manifest path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    documents, scans = make_corpus(count, seed)
    manifest: dict[str, list] = {"documents": [], "scans": []}
    for doc in documents:
        (out_dir / f"{doc.name}.pdf").write_bytes(doc.pdf)
        noisy = [s for s in scans if s.document == doc.name and s.variant == "noisy"]
        (out_dir / f"{doc.name}-scanned.pdf").write_bytes(scanned_pdf(noisy))
        entry = {k: v for k, v in asdict(doc).items() if k != "pdf"}
        manifest["documents"].append(
            {**entry, "file": f"{doc.name}.pdf", "scanned_file": f"{doc.name}-scanned.pdf"}
        )
    for scan in scans:
        suffix = ".png" if scan.mime == "image/png" else ".jpg"
        (out_dir / f"{scan.name}{suffix}").write_bytes(scan.data)
        entry = {k: v for k, v in asdict(scan).items() if k != "data"}
        manifest["scans"].append({**entry, "file": f"{scan.name}{suffix}"})
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--count", type=int, default=4, help="documents to generate")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args(argv)
    print(write_corpus(args.out, args.count, args.seed))


if __name__ == "__main__":
    main()
