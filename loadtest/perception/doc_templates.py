"""Sixteen visually distinct business-document templates with their known answers.

Each template draws one document (invoice, receipt, statement, purchase order, delivery note,
utility bill) with its own page size, fonts, header arrangement (heading, logo text, two
columns, From/To blocks, boxed fields, footer-only company name), table style and column order,
and returns a :class:`GeneratedDoc` holding the PDF and the answer to every question kind.

Which templates are DEV and which HELD-OUT is decided in :mod:`gen_business_docs`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4, LETTER

from loadtest.perception.doc_facts import (
    DATE_STYLES,
    Item,
    Money,
    Party,
    Vocabulary,
    format_date,
    line_items,
)
from loadtest.perception.doc_sheet import DARK, GREY, Column, Sheet


@dataclass
class GeneratedDoc:
    """One generated document and what questions about it must answer."""

    template: str
    kind: str  # invoice | receipt | statement | purchase_order | delivery_note | bill
    noun: str  # how questions name it ("invoice", "receipt", "purchase order", ...)
    pdf: bytes
    pages: int
    answers: dict[str, list[str]]  # question kind → accepted answers (first: canonical)
    items: list[Item] = field(default_factory=list)
    item_fields: tuple[str, ...] = ("qty", "unit_price", "amount")


def _num(money_text: str) -> str:
    """The number inside a formatted amount ("$1,234.50" → "1,234.50")."""
    return "".join(c for c in money_text if c.isdigit() or c in ",.").strip(",.")


def label_value_lines(
    s: Sheet, x0: float, x1: float, y: float, pairs: list[tuple[str, str]], size=9.5
) -> float:
    """Label at ``x0``, value right-aligned at ``x1``, one pair per line; the last one bold."""
    for index, (label, value) in enumerate(pairs):
        last = index == len(pairs) - 1
        y += size * 1.6
        s.text(x0, y, label, size, bold=last)
        s.text(x1, y, value, size, bold=last, align="right")
    return y


def money_value(money_text: str) -> float:
    """The amount of a formatted money string ("$1,234.50" → 1234.5)."""
    return float(_num(money_text).replace(",", ""))


def _name_answers(party: Party) -> list[str]:
    names = [party.name]
    for suffix in (" Ltd", " Inc.", " LLC", " GmbH", " Co.", " Corp.", " PLC", " Pty Ltd", " S.A.",
                   " B.V.", " AG", " Limited", " & Sons", " Group"):  # fmt: skip
        if party.name.endswith(suffix):
            names.append(party.name[: -len(suffix)])
    return names


@dataclass
class Core:
    """The money facts every invoice-like document shares."""

    seller: Party
    buyer: Party
    money: Money
    number: str
    date: str
    due: str
    items: list[Item]
    subtotal: str
    tax_rate: int
    tax: str
    total: str


def _core(
    v: Vocabulary, items: int, *, prefix: str = "INV", hours: bool = False, kind="products"
) -> Core:
    rng = v.rng
    seller, buyer = v.company(), v.company()
    while buyer.name == seller.name:
        buyer = v.company()
    money = v.money()
    style = rng.choice(DATE_STYLES)
    day = v.date()
    due = day + dt.timedelta(days=rng.choice([14, 30, 45, 60]))
    goods, subtotal = line_items(v, money, items, kind=kind, hours=hours)
    rate = rng.choice([5, 7, 8, 10, 19, 20])
    tax = round(subtotal * rate / 100, 2)
    return Core(
        seller, buyer, money, v.number(prefix), format_date(day, style), format_date(due, style),
        goods, money(subtotal), rate, money(tax), money(subtotal + tax),
    )  # fmt: skip


def _answers(c: Core, **extra: list[str]) -> dict[str, list[str]]:
    answers = {
        "issuer": _name_answers(c.seller),
        "buyer": _name_answers(c.buyer),
        "number": [c.number],
        "date": [c.date],
        "due_date": [c.due],
        "total": [_num(c.total)],
        "subtotal": [_num(c.subtotal)],
        "tax": [_num(c.tax)],
    }
    answers.update(extra)
    return answers


def _rows(items: list[Item], order: list[str], index: bool = False) -> list[list[str]]:
    rows = []
    for number, item in enumerate(items, start=1):
        values = {
            "no": str(number),
            "code": item.code,
            "desc": item.description,
            "qty": item.qty,
            "price": item.unit_price,
            "amount": item.amount,
        }
        values.update(item.extra)
        rows.append([values[key] for key in order])
    return rows


def _totals(
    s: Sheet, label_x: float, value_x: float, pairs: list[tuple[str, str]], size=10, bold_last=True
) -> None:
    for index, (label, value) in enumerate(pairs):
        last = bold_last and index == len(pairs) - 1
        s.y += size * 1.5
        s.text(label_x, s.y, label, size, bold=last, align="right")
        s.text(value_x, s.y, value, size, bold=last, align="right")


# ============================================================================ DEV templates


def classic(v: Vocabulary) -> GeneratedDoc:
    """Title, seller heading, key: value lines, Bill to, ruled grid, totals on the right."""
    c = _core(v, v.rng.randint(3, 6))
    s = Sheet(LETTER, "helvetica", 60)
    s.text(60, 80, "INVOICE", 22, bold=True)
    s.text(60, 108, c.seller.name, 13, bold=True)
    y = s.lines(60, 110, [*c.seller.address, c.seller.email])
    y = s.lines(60, y + 10, [f"Invoice number: {c.number}", f"Date: {c.date}",
                             f"Due date: {c.due}"])  # fmt: skip
    s.text(60, y + 22, "Bill to:", 10, bold=True)
    s.y = s.lines(60, y + 24, [c.buyer.name, *c.buyer.address]) + 14
    cols = [Column("Description", 220), Column("Qty", 50, "right"),
            Column("Unit price", 100, "right"), Column("Amount", 110, "right")]  # fmt: skip
    s.table(60, cols, _rows(c.items, ["desc", "qty", "price", "amount"]))
    _totals(s, 430, 540, [("Subtotal:", c.subtotal), (f"Tax ({c.tax_rate}%):", c.tax),
                          ("Total due:", c.total)])  # fmt: skip
    return GeneratedDoc("classic", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def two_column(v: Vocabulary) -> GeneratedDoc:
    """Centred company heading; Bill To on the left, invoice fields on the right (same rows)."""
    c = _core(v, v.rng.randint(3, 7))
    s = Sheet(A4, "times", 50)
    mid = s.width / 2
    s.text(mid, 70, c.seller.name.upper(), 18, bold=True, align="center")
    s.text(mid, 88, " · ".join(c.seller.address), 9.5, align="center")
    s.text(mid, 101, f"{c.seller.phone}  |  {c.seller.email}", 9.5, align="center")
    s.hline(50, s.width - 50, 112, 1.2)
    s.text(50, 140, "BILL TO", 10, bold=True)
    s.lines(50, 142, [c.buyer.name, *c.buyer.address])
    labels = [("Invoice #", c.number), ("Invoice Date", c.date), ("Due Date", c.due)]
    for index, (label, value) in enumerate(labels):
        y = 140 + index * 14
        s.text(360, y, label, 10, bold=True)
        s.text(s.width - 50, y, value, 10, align="right")
    s.y = 215
    cols = [Column("Item", 230), Column("Quantity", 65, "right"), Column("Rate", 90, "right"),
            Column("Amount", 110, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="header_rule")
    _totals(s, 440, s.width - 55, [("Subtotal", c.subtotal), (f"VAT {c.tax_rate}%", c.tax),
                                   ("Balance Due", c.total)])  # fmt: skip
    return GeneratedDoc("two_column", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def till_receipt(v: Vocabulary) -> GeneratedDoc:
    """A narrow till receipt: shop name centred, items with quantity × price, TOTAL, CASH."""
    rng = v.rng
    shop, money = v.shop(), v.money()
    items, subtotal = line_items(v, money, rng.randint(2, 6), kind="menu")
    for item in items:  # small quantities and prices on a till
        qty = rng.randint(1, 4)
        price = rng.randint(150, 2400) / 100
        item.qty, item.unit_price, item.amount = str(qty), money(price), money(qty * price)
    subtotal = sum(float(_num(i.amount).replace(",", "")) for i in items)
    total = money(subtotal)
    paid = money(float(-(-subtotal // 10) * 10))
    number = f"{rng.randint(1, 9)}{rng.randint(10000, 99999)}"
    day = format_date(v.date(), rng.choice(["iso", "dmy_slash", "short_month"]))
    height = 330 + 34 * len(items)
    s = Sheet((226, height), "courier", 14)
    mid = 113
    s.text(mid, 30, shop.name.upper(), 10.5, bold=True, align="center")
    y = s.lines(mid, 32, shop.address, 8, align="center")
    s.text(mid, y + 12, f"Tel {shop.phone}", 8, align="center")
    y += 30
    s.text(14, y, f"Receipt No: {number}", 8)
    s.text(14, y + 11, f"Date: {day}  {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}", 8)
    s.hline(14, 212, y + 18, 0.5)
    y += 22
    for item in items:
        y += 11
        s.text(14, y, item.description, 8)
        y += 11
        s.text(26, y, f"{item.qty} x {_num(item.unit_price)}", 8)
        s.text(212, y, _num(item.amount), 8, align="right")
    s.hline(14, 212, y + 7, 0.5)
    pairs = [("TOTAL", total), ("CASH", paid), ("CHANGE", money(float(_num(paid).replace(",", ""))
                                                                 - subtotal))]  # fmt: skip
    for label, value in pairs:
        y += 14
        s.text(14, y, label, 9, bold=label == "TOTAL")
        s.text(212, y, value, 9, bold=label == "TOTAL", align="right")
    s.text(mid, y + 28, "THANK YOU, PLEASE COME AGAIN", 7.5, align="center")
    answers = {"issuer": [shop.name], "number": [number], "date": [day], "total": [_num(total)]}
    return GeneratedDoc("till_receipt", "receipt", "receipt", s.pdf(), 1, answers, items,
                        ("qty", "unit_price"))  # fmt: skip


def purchase_order(v: Vocabulary) -> GeneratedDoc:
    """The buyer issues it: logo text + name top-left, PURCHASE ORDER top-right, Vendor and
    Ship To blocks, a grid with line numbers, item codes and Units."""
    c = _core(v, v.rng.randint(3, 6), prefix="PO")
    buyer, vendor = c.seller, c.buyer  # the issuing company is the one buying
    s = Sheet(LETTER, "helvetica", 50)
    s.box(50, 50, 54, 40, fill=DARK)
    s.text(77, 76, buyer.brand[:2], 16, bold=True, align="center", color=GREY)
    s.text(115, 68, buyer.name, 13, bold=True)
    s.lines(115, 70, buyer.address, 9)
    s.text(s.width - 50, 68, "PURCHASE ORDER", 17, bold=True, align="right")
    s.text(s.width - 50, 88, f"PO Number: {c.number}", 10, align="right")
    s.text(s.width - 50, 102, f"Order date: {c.date}", 10, align="right")
    s.text(50, 150, "Vendor", 10, bold=True)
    s.lines(50, 152, [vendor.name, *vendor.address])
    s.text(320, 150, "Ship To", 10, bold=True)
    s.lines(320, 152, [buyer.name, *v.company().address])
    s.y = 225
    cols = [Column("No.", 32, "center"), Column("Item code", 78), Column("Description", 200),
            Column("Units", 50, "right"), Column("Unit cost", 70, "right"),
            Column("Total", 82, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["no", "code", "desc", "qty", "price", "amount"]))
    _totals(s, 430, s.width - 52, [("Subtotal", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                   ("Order total", c.total)])  # fmt: skip
    answers = _answers(c, issuer=_name_answers(buyer), vendor=_name_answers(vendor))
    answers["buyer"] = _name_answers(buyer)
    answers.pop("due_date")
    return GeneratedDoc("purchase_order", "purchase_order", "purchase order", s.pdf(), s.page,
                        answers, c.items)  # fmt: skip


def from_to(v: Vocabulary) -> GeneratedDoc:
    """ "From:" and "To:" blocks side by side; fields in a row; a zebra table without lines."""
    c = _core(v, v.rng.randint(3, 6))
    s = Sheet(A4, "dejavu-condensed", 45)
    s.text(45, 70, "Invoice", 24, bold=True, color=DARK)
    s.text(45, 110, "From:", 9.5, bold=True)
    s.lines(45, 112, [c.seller.name, *c.seller.address, c.seller.tax_id], 9.5)
    s.text(300, 110, "To:", 9.5, bold=True)
    s.lines(300, 112, [c.buyer.name, *c.buyer.address], 9.5)
    y = 190
    for x, (label, value) in zip((45, 200, 355), (("Number", c.number), ("Issued", c.date),
                                                 ("Due", c.due)), strict=True):  # fmt: skip
        s.text(x, y, label.upper(), 8, bold=True, color=DARK)
        s.text(x, y + 14, value, 10.5)
    s.y = 230
    cols = [Column("Description", 230), Column("Units", 55, "right"),
            Column("Price", 100, "right"), Column("Amount", 110, "right")]  # fmt: skip
    s.table(45, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="zebra")
    _totals(s, 430, s.width - 50, [("Net total", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                   ("Total", c.total)])  # fmt: skip
    return GeneratedDoc("from_to", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def qty_first(v: Vocabulary) -> GeneratedDoc:
    """Initials logo beside the name; quantity first; an unruled table (bold header only)."""
    c = _core(v, v.rng.randint(3, 7))
    s = Sheet(LETTER, "times", 55)
    s.box(55, 50, 46, 46, fill=None)
    s.text(78, 80, c.seller.brand[:1] + c.seller.name.split()[-1][:1], 18, bold=True,
           align="center")  # fmt: skip
    s.text(112, 66, c.seller.name, 15, bold=True)
    s.text(112, 82, f"{', '.join(c.seller.address)}  ·  {c.seller.phone}", 9)
    s.text(s.width - 55, 130, "INVOICE", 14, bold=True, align="right")
    s.lines(s.width - 205, 135, [f"Invoice No. {c.number}", f"Invoice Date {c.date}",
                                 f"Terms: due {c.due}"])  # fmt: skip
    s.text(55, 130, "Customer", 10, bold=True)
    s.lines(55, 132, [c.buyer.name, *c.buyer.address])
    s.y = 210
    cols = [Column("Qty", 45, "right"), Column("Item", 250), Column("Each", 95, "right"),
            Column("Total", 105, "right")]  # fmt: skip
    s.table(55, cols, _rows(c.items, ["qty", "desc", "price", "amount"]), style="none")
    _totals(s, 440, s.width - 60, [("Subtotal", c.subtotal), (f"Sales tax {c.tax_rate}%", c.tax),
                                   ("TOTAL", c.total)])  # fmt: skip
    return GeneratedDoc("qty_first", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def timesheet(v: Vocabulary) -> GeneratedDoc:
    """Service invoice: Hours × Rate; the consultant named; fields in a right-hand box."""
    c = _core(v, v.rng.randint(2, 5), hours=True, kind="services")
    consultant = v.person()
    s = Sheet(A4, "helvetica", 50)
    s.text(50, 70, c.seller.name, 17, bold=True)
    s.text(50, 86, "Professional services", 9.5, color=DARK)
    s.box(360, 100, s.width - 410, 58)
    s.lines(368, 102, [f"Invoice: {c.number}", f"Date: {c.date}", f"Payment due: {c.due}"], 9.5)
    s.text(50, 112, "Client:", 10, bold=True)
    s.lines(50, 114, [c.buyer.name, *c.buyer.address])
    s.text(50, 190, f"Consultant: {consultant}", 10)
    s.y = 210
    cols = [Column("Service", 230), Column("Hours", 60, "right"), Column("Rate", 90, "right"),
            Column("Amount", 115, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="grid")
    _totals(s, 430, s.width - 52, [("Subtotal", c.subtotal), (f"VAT ({c.tax_rate}%)", c.tax),
                                   ("Amount due", c.total)])  # fmt: skip
    answers = _answers(c, person=[consultant])
    return GeneratedDoc("timesheet", "invoice", "invoice", s.pdf(), s.page, answers, c.items)


def delivery_note(v: Vocabulary) -> GeneratedDoc:
    """Quantities only, in three columns: Ordered, Shipped, Backorder."""
    rng = v.rng
    supplier, customer = v.company(), v.company()
    number = v.number("DN")
    day = format_date(v.date(), rng.choice(DATE_STYLES))
    goods = v.products(rng.randint(3, 6))
    items = []
    for name in goods:
        ordered = rng.randint(2, 120)
        shipped = rng.randint(1, ordered)
        extra = {"shipped": str(shipped), "back": str(ordered - shipped)}
        items.append(Item(name, str(ordered), "", "", extra=extra))
    s = Sheet(LETTER, "courier", 55)
    s.text(55, 70, supplier.name, 14, bold=True)
    s.lines(55, 72, supplier.address, 9)
    s.text(s.width - 55, 70, "DELIVERY NOTE", 14, bold=True, align="right")
    s.lines(s.width - 250, 80, [f"Delivery note no: {number}", f"Date: {day}"], 9.5)
    s.text(55, 140, "Deliver to:", 10, bold=True)
    s.lines(55, 142, [customer.name, *customer.address], 10)
    s.y = 210
    cols = [Column("Item", 250), Column("Ordered", 70, "right"), Column("Shipped", 70, "right"),
            Column("Backorder", 80, "right")]  # fmt: skip
    s.table(55, cols, _rows(items, ["desc", "qty", "shipped", "back"]), style="header_rule")
    s.y += 40
    s.text(55, s.y, "Received by: ____________________", 10)
    answers = {"issuer": _name_answers(supplier), "buyer": _name_answers(customer),
               "number": [number], "date": [day]}  # fmt: skip
    return GeneratedDoc("delivery_note", "delivery_note", "delivery note", s.pdf(), 1, answers,
                        items, ("qty", "shipped"))  # fmt: skip


# ========================================================================= HELD-OUT templates


def bank_statement(v: Vocabulary) -> GeneratedDoc:
    """Bank heading with a logo bar; holder block; Debit/Credit/Balance transactions."""
    rng = v.rng
    bank, holder, money = v.bank(), v.company(), v.money()
    style = rng.choice(DATE_STYLES)
    start = v.date()
    balance = rng.randint(100000, 5000000) / 100
    opening = money(balance)
    rows = []
    for step in range(rng.randint(5, 9)):
        day = start + dt.timedelta(days=2 * step + rng.randint(0, 1))
        value = rng.randint(500, 250000) / 100
        credit = rng.random() < 0.4
        balance = round(balance + (value if credit else -value), 2)
        rows.append([format_date(day, style), rng.choice(["Card payment", "Transfer in",
                     "Direct debit", "Salary", "Supplier payment", "Cash deposit", "Fee"]),
                     "" if credit else money(value), money(value) if credit else "",
                     money(balance)])  # fmt: skip
    account = f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(1000000, 9999999)}"
    issued = format_date(start + dt.timedelta(days=25), style)
    s = Sheet(A4, "dejavu-serif", 45)
    s.box(0, 0, s.width, 36, fill=DARK)
    s.text(45, 25, bank.brand, 15, bold=True, color=GREY)
    s.text(45, 70, bank.name, 14, bold=True)
    s.text(45, 86, " | ".join(bank.address), 8.5)
    s.text(s.width - 45, 70, "Account Statement", 13, align="right")
    s.lines(45, 110, [holder.name, *holder.address], 10)
    s.lines(330, 110, [f"Statement date: {issued}", f"Account number: {account}",
                       f"Opening balance: {opening}"], 9.5)  # fmt: skip
    s.y = 190
    cols = [Column("Date", 85), Column("Description", 150), Column("Debit", 85, "right"),
            Column("Credit", 85, "right"), Column("Balance", 100, "right")]  # fmt: skip
    s.table(45, cols, rows, style="header_rule", header_fill=GREY)
    s.y += 24
    s.text(330, s.y, "Closing balance", 11, bold=True)
    s.text(s.width - 50, s.y, money(balance), 11, bold=True, align="right")
    answers = {"issuer": [bank.name], "buyer": _name_answers(holder), "number": [account],
               "date": [issued], "total": [_num(money(balance))]}  # fmt: skip
    return GeneratedDoc("bank_statement", "statement", "statement", s.pdf(), s.page, answers)


def footer_brand(v: Vocabulary) -> GeneratedDoc:
    """Only an initials logo at the top; the legal name is in the footer and the email."""
    c = _core(v, v.rng.randint(3, 6))
    s = Sheet(LETTER, "liberation-narrow", 55)
    s.box(55, 45, 60, 36, fill=GREY, stroke=False)
    initials = "".join(w[0] for w in c.seller.name.split()[:2] if w[0].isalpha())
    s.text(85, 70, initials, 18, bold=True, align="center")
    s.text(s.width - 55, 66, "INVOICE", 20, bold=True, align="right")
    s.text(s.width - 55, 84, c.seller.email, 9, align="right")
    s.lines(55, 110, [f"Invoice no.: {c.number}", f"Invoice date: {c.date}",
                      f"Payment due: {c.due}"], 10)  # fmt: skip
    s.text(330, 124, "Invoice to", 10, bold=True)
    s.lines(330, 126, [c.buyer.name, *c.buyer.address], 10)
    s.y = 200
    cols = [Column("Item", 240), Column("Qty", 50, "right"), Column("Price", 95, "right"),
            Column("Total", 110, "right")]  # fmt: skip
    s.table(55, cols, _rows(c.items, ["desc", "qty", "price", "amount"]))
    _totals(s, 445, s.width - 60, [("Subtotal", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                   ("Total payable", c.total)])  # fmt: skip
    s.hline(55, s.width - 55, s.height - 70, 0.5)
    s.text(s.width / 2, s.height - 56, f"{c.seller.name} · {', '.join(c.seller.address)} · "
           f"{c.seller.tax_id}", 8, align="center")  # fmt: skip
    return GeneratedDoc("footer_brand", "invoice", "invoice", s.pdf(), s.page, _answers(c),
                        c.items)  # fmt: skip


def multipage(v: Vocabulary) -> GeneratedDoc:
    """A long order over two or three pages: running header, page numbers, totals at the end."""
    c = _core(v, v.rng.randint(34, 52))
    s = Sheet(A4, "helvetica", 50)

    def running_header(sheet: Sheet) -> None:
        sheet.text(50, 40, f"{c.seller.name} — Invoice {c.number}", 8.5)
        sheet.text(sheet.width - 50, 40, f"Page {sheet.page}", 8.5, align="right")
        sheet.y = 60

    s.text(50, 70, c.seller.name, 16, bold=True)
    s.lines(50, 72, [*c.seller.address, c.seller.phone], 9)
    s.text(s.width - 50, 70, "INVOICE", 16, bold=True, align="right")
    s.lines(s.width - 210, 80, [f"Invoice Number: {c.number}", f"Date of issue: {c.date}",
                                f"Due: {c.due}"], 9.5)  # fmt: skip
    s.text(50, 150, "Billed to:", 10, bold=True)
    s.lines(50, 152, [c.buyer.name, *c.buyer.address])
    s.y = 215
    s.on_new_page = running_header
    cols = [Column("#", 28, "right"), Column("Description", 235), Column("Quantity", 62, "right"),
            Column("Unit Price", 85, "right"), Column("Amount", 85, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["no", "desc", "qty", "price", "amount"]), style="grid",
            size=8.5, row_height=16)  # fmt: skip
    s.ensure(80)
    _totals(s, 420, s.width - 55, [("Subtotal", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                   ("Total due", c.total)])  # fmt: skip
    return GeneratedDoc("multipage", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def boxed_header(v: Vocabulary) -> GeneratedDoc:
    """Header fields in ruled boxes, label above value; seller block right-aligned."""
    c = _core(v, v.rng.randint(3, 6))
    customer_id = f"C{v.rng.randint(1000, 99999)}"
    s = Sheet(A4, "dejavu-condensed", 45)
    right = s.width - 45
    s.text(45, 75, "TAX INVOICE", 20, bold=True)
    s.text(right, 60, c.seller.name, 12, bold=True, align="right")
    s.lines(right, 62, [*c.seller.address, c.seller.tax_id], 9, align="right")
    labels = [("INVOICE NO.", c.number), ("DATE", c.date), ("CUSTOMER ID", customer_id),
              ("DUE DATE", c.due)]  # fmt: skip
    width = (s.width - 90) / 4
    for index, (label, value) in enumerate(labels):
        x = 45 + index * width
        s.box(x, 125, width, 38)
        s.text(x + 6, 138, label, 7.5, bold=True, color=DARK)
        s.text(x + 6, 156, value, 10)
    s.text(45, 190, "Customer:", 10, bold=True)
    s.lines(45, 192, [c.buyer.name, *c.buyer.address])
    s.y = 255
    cols = [Column("Description", 240), Column("Qty", 50, "center"),
            Column("Unit", 100, "right"), Column("Amount", 115, "right")]  # fmt: skip
    s.table(45, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="boxed")
    _totals(s, 430, right - 5, [("Sub-total", c.subtotal), (f"GST {c.tax_rate}%", c.tax),
                                ("Total", c.total)])  # fmt: skip
    answers = _answers(c, customer_id=[customer_id])
    return GeneratedDoc("boxed_header", "invoice", "invoice", s.pdf(), s.page, answers, c.items)


def tax_receipt(v: Vocabulary) -> GeneratedDoc:
    """A shop's A5 tax-invoice receipt: GST number, Qty after the description, rounding."""
    rng = v.rng
    shop, money = v.shop(), Money("RM", "prefix")
    items, subtotal = line_items(v, money, rng.randint(3, 7), kind="menu")
    for item in items:
        qty = rng.randint(1, 6)
        price = rng.randint(120, 3500) / 100
        item.qty, item.unit_price, item.amount = str(qty), f"{price:.2f}", f"{qty * price:.2f}"
    subtotal = sum(float(i.amount) for i in items)
    gst = round(subtotal * 0.06, 2)
    total = round(subtotal + gst, 2)
    rounded = round(round(total * 20) / 20, 2)
    number = f"{rng.choice(['CS', 'INV', 'T'])}{rng.randint(100000, 999999)}"
    day = format_date(v.date(), rng.choice(["dmy_slash", "dmy_dot", "short_month"]))
    s = Sheet((420, 595), "liberation-mono", 30)
    mid = 210
    s.text(mid, 40, shop.name.upper(), 12, bold=True, align="center")
    y = s.lines(mid, 42, [*shop.address, f"GST Reg No: {rng.randint(10**11, 10**12 - 1)}"], 8,
                align="center")  # fmt: skip
    s.text(mid, y + 18, "TAX INVOICE", 10, bold=True, align="center")
    s.lines(30, y + 26, [f"Bill No: {number}", f"Date: {day}",
                         f"Cashier: {v.person().split()[0]}"], 8)  # fmt: skip
    s.y = y + 80
    cols = [Column("Description", 170), Column("Qty", 35, "right"), Column("U.Price", 65, "right"),
            Column("Amount(RM)", 85, "right")]  # fmt: skip
    s.table(30, cols, _rows(items, ["desc", "qty", "price", "amount"]), style="header_rule",
            size=8, row_height=14)  # fmt: skip
    _totals(s, 300, 385, [("Total Excl. GST", f"{subtotal:.2f}"), ("GST 6%", f"{gst:.2f}"),
                          ("Rounding", f"{rounded - total:.2f}"),
                          ("Total Incl. GST", f"{rounded:.2f}")], size=8.5)  # fmt: skip
    answers = {"issuer": [shop.name], "number": [number], "date": [day],
               "total": [f"{rounded:.2f}"], "tax": [f"{gst:.2f}"]}  # fmt: skip
    return GeneratedDoc("tax_receipt", "receipt", "receipt", s.pdf(), 1, answers, items,
                        ("qty", "unit_price", "amount"))  # fmt: skip


def right_seller(v: Vocabulary) -> GeneratedDoc:
    """ "Sold by" block on the right, "Invoice to" on the left; labels without colons; a
    Code / Description / Qty / Price / VAT % / Amount table."""
    c = _core(v, v.rng.randint(3, 6))
    s = Sheet(LETTER, "dejavu-serif", 50)
    s.text(50, 75, "Invoice", 26, color=DARK)
    s.text(330, 60, "Sold by", 9, bold=True, color=DARK)
    s.lines(330, 62, [c.seller.name, *c.seller.address, c.seller.email], 9.5)
    s.text(50, 150, "Invoice to", 9, bold=True, color=DARK)
    s.lines(50, 152, [c.buyer.name, *c.buyer.address], 9.5)
    pairs = [("Invoice Number", c.number), ("Invoice Date", c.date), ("Due Date", c.due)]
    for index, (label, value) in enumerate(pairs):
        y = 165 + index * 15
        s.text(330, y, label, 9.5, bold=True)
        s.text(440, y, value, 9.5)
    s.y = 240
    cols = [Column("Code", 70), Column("Description", 185), Column("Qty", 42, "right"),
            Column("Price", 80, "right"), Column("VAT %", 45, "right"),
            Column("Amount", 90, "right")]  # fmt: skip
    for item in c.items:
        item.extra["vat"] = f"{c.tax_rate}%"
    s.table(50, cols, _rows(c.items, ["code", "desc", "qty", "price", "vat", "amount"]),
            style="header_rule", size=9)  # fmt: skip
    _totals(s, 440, s.width - 55, [("Net amount", c.subtotal), ("VAT", c.tax),
                                   ("Invoice total", c.total)])  # fmt: skip
    return GeneratedDoc("right_seller", "invoice", "invoice", s.pdf(), s.page, _answers(c),
                        c.items)  # fmt: skip


def supplier_po(v: Vocabulary) -> GeneratedDoc:
    """A purchase order with Units first, "Supplier:" label, the buyer's name in the heading
    and in the footer."""
    c = _core(v, v.rng.randint(3, 6), prefix="PO")
    buyer, vendor = c.seller, c.buyer
    s = Sheet(A4, "liberation-narrow", 50)
    s.text(s.width / 2, 62, buyer.name.upper(), 16, bold=True, align="center")
    s.text(s.width / 2, 80, "Purchase Order", 12, align="center")
    s.lines(50, 100, [f"Order No: {c.number}", f"Order Date: {c.date}",
                      f"Delivery by: {c.due}"], 10)  # fmt: skip
    s.text(320, 115, "Supplier:", 10, bold=True)
    s.lines(320, 117, [vendor.name, *vendor.address], 10)
    s.y = 195
    cols = [Column("Units", 50, "right"), Column("Description", 240),
            Column("Unit Price", 95, "right"), Column("Extended", 110, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["qty", "desc", "price", "amount"]), style="grid")
    _totals(s, 430, s.width - 55, [("Goods", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                   ("PO Total", c.total)])  # fmt: skip
    s.text(s.width / 2, s.height - 50, f"Authorised by {v.person()} for {buyer.name}", 8,
           align="center")  # fmt: skip
    answers = _answers(c, issuer=_name_answers(buyer), vendor=_name_answers(vendor))
    answers["buyer"] = _name_answers(buyer)
    answers.pop("due_date")
    return GeneratedDoc("supplier_po", "purchase_order", "purchase order", s.pdf(), s.page,
                        answers, c.items)  # fmt: skip


def utility_bill(v: Vocabulary) -> GeneratedDoc:
    """A utility bill: summary box (bill date, amount due, due date), usage table."""
    rng = v.rng
    utility, customer, money = v.company(), v.company(), v.money()
    style = rng.choice(DATE_STYLES)
    day = v.date()
    due = format_date(day + dt.timedelta(days=21), style)
    account = f"{rng.randint(100000, 999999)}-{rng.randint(10, 99)}"
    rows, total = [], 0.0
    for label in ("Standing charge", "Day rate", "Night rate", "Levy"):
        usage = rng.randint(20, 900)
        rate = rng.randint(5, 60) / 100
        charge = round(usage * rate, 2)
        total += charge
        rows.append([label, f"{usage} kWh", f"{rate:.2f}", money(charge)])
    s = Sheet(LETTER, "helvetica", 50)
    s.text(50, 70, utility.name, 18, bold=True, color=DARK)
    s.text(50, 88, "Electricity bill", 10)
    s.lines(50, 110, [customer.name, *customer.address], 10)
    s.box(330, 100, s.width - 380, 80)
    s.lines(340, 102, [f"Account: {account}", f"Bill date: {format_date(day, style)}",
                       f"Amount due: {money(total)}", f"Pay by: {due}"], 10)  # fmt: skip
    s.y = 220
    cols = [Column("Charge", 180), Column("Usage", 90, "right"), Column("Rate", 80, "right"),
            Column("Cost", 100, "right")]  # fmt: skip
    s.table(50, cols, rows, style="header_rule")
    s.text(50, s.height - 60, f"{utility.name} · {utility.tax_id} · {utility.phone}", 8)
    answers = {"issuer": _name_answers(utility), "buyer": _name_answers(customer),
               "number": [account], "date": [format_date(day, style)], "due_date": [due],
               "total": [_num(money(total))]}  # fmt: skip
    return GeneratedDoc("utility_bill", "bill", "bill", s.pdf(), s.page, answers)


TEMPLATES = {
    fn.__name__: fn
    for fn in (
        classic, two_column, till_receipt, purchase_order, from_to, qty_first, timesheet,
        delivery_note, bank_statement, footer_brand, multipage, boxed_header, tax_receipt,
        right_seller, supplier_po, utility_bill,
    )
}  # fmt: skip
