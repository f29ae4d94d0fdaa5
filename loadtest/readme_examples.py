"""The README's examples, run against a live app, printed as they come out.

    .venv/bin/python -m loadtest.readme_examples --base-url http://127.0.0.1:8000/v1

Each example prints the answer and the ``interfaze`` metadata that matters (escalated,
answerer, route, confidence, latency), so the README can show real output.
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from typing import Any

import openai


def invoice_pdf() -> bytes:
    """A one-page invoice with a text layer (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    height = A4[1]
    page.setFont("Helvetica-Bold", 18)
    page.drawString(50, height - 60, "Northwind Trading Ltd")
    page.setFont("Helvetica", 10)
    page.drawString(50, height - 78, "14 Harbour Road, Leeds LS1 4AB")
    page.setFont("Helvetica-Bold", 14)
    page.drawString(400, height - 60, "INVOICE")
    page.setFont("Helvetica", 10)
    page.drawString(400, height - 78, "Invoice No: NW-20931")
    page.drawString(400, height - 92, "Date: 2026-11-18")
    page.drawString(50, height - 130, "Bill to: Harper & Cole Architects")
    rows = [
        ("Description", "Qty", "Unit price", "Amount"),
        ("Copper wire 10m", "12", "8.50", "102.00"),
        ("Cable ties (pack of 100)", "5", "4.20", "21.00"),
        ("Junction box", "3", "15.00", "45.00"),
    ]
    y = height - 180
    for row in rows:
        for x, cell in zip((50, 300, 380, 480), row, strict=True):
            page.drawString(x, y, cell)
        y -= 18
    page.drawString(380, y - 10, "Subtotal")
    page.drawString(480, y - 10, "168.00")
    page.drawString(380, y - 28, "VAT 20%")
    page.drawString(480, y - 28, "33.60")
    page.setFont("Helvetica-Bold", 10)
    page.drawString(380, y - 46, "Total due")
    page.drawString(480, y - 46, "201.60")
    page.showPage()
    page.save()
    return buffer.getvalue()


def ask(client: openai.OpenAI, question: str, parts: list[dict[str, Any]] | None = None) -> None:
    content: Any = question if not parts else [*parts, {"type": "text", "text": question}]
    started = time.perf_counter()
    reply = client.chat.completions.create(
        model="interfaze", messages=[{"role": "user", "content": content}], max_tokens=64
    )
    elapsed = time.perf_counter() - started
    meta = reply.model_extra.get("interfaze") or {}
    print(f"Q: {question}")
    print(f"A: {reply.choices[0].message.content!r}")
    print(
        f"   escalated={meta.get('escalated')} answerer={meta.get('answerer')} "
        f"route={meta.get('route')} confidence={meta.get('confidence')} {elapsed:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--api-key", default="none")
    args = parser.parse_args(argv)
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0)
    pdf = base64.b64encode(invoice_pdf()).decode()
    invoice = [
        {
            "type": "file",
            "file": {"filename": "invoice.pdf", "file_data": f"data:application/pdf;base64,{pdf}"},
        }
    ]
    ask(client, "What is the capital of France?")
    ask(client, "Name three primary colours.")
    ask(client, "What is 2 to the power of 61, minus 1?")
    ask(client, "What is 987654 divided by 127, rounded to two decimal places?")
    ask(client, "What does this print?\n```python\nprint(sum(i * i for i in range(1, 251)))\n```")
    ask(client, "What is the total due on this invoice?", invoice)
    ask(client, "Which company issued this invoice?", invoice)
    ask(client, "How many units of Copper wire 10m were ordered?", invoice)
    ask(client, "Summarise this invoice in one sentence.", invoice)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
