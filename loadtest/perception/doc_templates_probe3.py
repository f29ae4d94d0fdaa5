"""Six PROBE3 templates: a third set of layouts no dev, held-out, probe or probe2 template
uses, for measuring, untouched, how document answerers do on layouts nobody has tuned on.

Same conventions as :mod:`doc_templates` (a :class:`GeneratedDoc` with the accepted answers
per question kind, canonical first). Question kinds keep their dev meaning: ``total`` is the
grand total (subtotal + tax; on the restaurant receipt the rounded amount paid, "Total
(Rounded)"), ``subtotal`` the sum of the lines before tax, ``date`` the issue date,
``due_date`` the payment date. Extra facts a layout adds sit under their own keys, which no
question asks. Amounts printed with decimal commas ("1.234,56 EUR") are accepted in that
form (canonical) and with a decimal point ("1,234.56").

The probe3 split (:mod:`gen_business_docs`) draws them with the DEV vocabulary, phrasings and
scan profile, so only the layout is new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from collections.abc import Callable

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, LETTER, landscape

from loadtest.perception.doc_facts import (
    Item,
    Money,
    Vocabulary,
    format_date,
    line_items,
)
from loadtest.perception.doc_sheet import DARK, GREY, Column, Sheet
from loadtest.perception.doc_templates import (
    GeneratedDoc,
    _answers,
    _core,
    _name_answers,
    _num,
    _rows,
    label_value_lines,
    money_value,
)

WATERMARK = Color(0.86, 0.88, 0.92)


def landscape_invoice(v: Vocabulary) -> GeneratedDoc:
    """Landscape A4: a huge pale "INVOICE" across the top-left, the totals boxed top-right,
    the items across the page, the seller's block at the bottom-left."""
    c = _core(v, v.rng.randint(3, 6))
    s = Sheet(landscape(A4), "dejavu-condensed", 40)
    right = s.width - 40
    s.text(36, 110, "INVOICE", 96, bold=True, color=WATERMARK)
    y = s.lines(44, 128, [f"No. {c.number}", f"Issued {c.date}", f"Pay by {c.due}"], 10.5)
    s.text(300, 142, "Billed to", 9, bold=True, color=DARK)
    s.lines(300, 144, [c.buyer.name, *c.buyer.address], 10)
    s.box(right - 230, 40, 230, 96)
    label_value_lines(s, right - 220, right - 10, 44, [("Subtotal", c.subtotal),
           (f"Tax {c.tax_rate}%", c.tax), ("Total payable", c.total)], 11)  # fmt: skip
    s.y = max(y, 215) + 12
    cols = [Column("Ref", 90), Column("Item", 330), Column("Qty", 70, "right"),
            Column("Unit price", 120, "right"), Column("Line total", 152, "right")]  # fmt: skip
    s.table(40, cols, _rows(c.items, ["code", "desc", "qty", "price", "amount"]),
            style="header_rule", size=9.5)  # fmt: skip
    bottom = s.height - 40
    s.hline(40, right, bottom - 62, 0.5)
    s.text(40, bottom - 46, c.seller.name, 11, bold=True)
    s.text(40, bottom - 32, f"{', '.join(c.seller.address)}  ·  {c.seller.phone}", 8.5)
    s.text(40, bottom - 20, f"{c.seller.email}  ·  {c.seller.tax_id}", 8.5)
    s.text(right, bottom - 20, "Thank you", 14, bold=True, align="right", color=DARK)
    return GeneratedDoc("landscape_invoice", "invoice", "invoice", s.pdf(), s.page, _answers(c),
                        c.items)  # fmt: skip


def letter_invoice(v: Vocabulary) -> GeneratedDoc:
    """A freelancer's invoice as a letter: "Dear ..., please find ... the total of X is due by
    <date>" in the prose, a small hours table after it, signed by the freelancer."""
    c = _core(v, v.rng.randint(2, 4), hours=True, kind="services")
    author, contact = v.person(), v.person()
    s = Sheet(LETTER, "dejavu-serif", 72)
    right = s.width - 72
    s.text(right, 70, c.seller.name, 13, bold=True, align="right")
    s.lines(right, 72, [*c.seller.address, c.seller.email], 9, align="right")
    s.lines(72, 150, [c.buyer.name, f"Attn: {contact}", *c.buyer.address], 10)
    city = c.seller.address[-1].rsplit(" ", 1)[0]
    s.text(right, 236, f"{city}, {c.date}", 10, align="right")
    s.text(72, 270, f"Re: Invoice {c.number}", 10.5, bold=True)
    s.text(72, 296, f"Dear {contact},", 10.5)
    prose = (f"Please find below my invoice {c.number} for the work carried out for "
             f"{c.buyer.name} this month. The total of {c.total}, including {c.tax} tax, is "
             f"due by {c.due}. I would be grateful if you could transfer it to the account "
             f"on file, quoting the invoice number.")  # fmt: skip
    y = s.lines(72, 304, textwrap.wrap(prose, 80), 10.5)
    s.y = y + 16
    cols = [Column("Work", 230), Column("Hours", 60, "right"), Column("Rate", 80, "right"),
            Column("Amount", 98, "right")]  # fmt: skip
    s.table(72, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="none",
            size=9.5, row_height=16)  # fmt: skip
    y = label_value_lines(s, right - 170, right - 5, s.y, [("Subtotal", c.subtotal),
               (f"Tax {c.tax_rate}%", c.tax), ("Total", c.total)], 9.5)  # fmt: skip
    s.lines(72, y + 30, ["Thank you for the pleasant collaboration.", "", "Kind regards,", "",
                         author, c.seller.name], 10.5)  # fmt: skip
    answers = _answers(c, person=[author], contact=[contact])
    return GeneratedDoc("letter_invoice", "invoice", "invoice", s.pdf(), s.page, answers,
                        c.items)  # fmt: skip


def restaurant_bill(v: Vocabulary) -> GeneratedDoc:
    """A restaurant receipt in ringgit: items, Subtotal, an SST summary (code, rate, amount,
    tax), Total Incl. SST, Rounding Adj to 5 sen and Total (Rounded) — the amount paid and
    the ``total`` answer — then CASH and CHANGE."""
    rng = v.rng
    shop = v.shop()
    money = Money("RM", "prefix")
    items, _ = line_items(v, money, rng.randint(3, 7), kind="menu")
    for item in items:
        qty = rng.choice([1, 1, 2, 2, 3, 4])
        price = rng.randint(350, 3800) / 100
        item.qty, item.unit_price, item.amount = str(qty), money(price), money(qty * price)
    subtotal = round(sum(money_value(i.amount) for i in items), 2)
    rate = rng.choice([6, 8])
    tax = round(subtotal * rate / 100, 2)
    gross = round(subtotal + tax, 2)
    rounded = round(round(gross * 20) / 20, 2)
    adjust = round(rounded - gross, 2)
    cash = float(-(-rounded // 10) * 10) if rounded % 10 else rounded
    number = f"B{rng.randint(100000, 999999)}"
    day = format_date(v.date(), rng.choice(["dmy_slash", "iso", "short_month"]))
    s = Sheet((230, 420 + 12 * len(items)), "liberation-mono", 12)
    mid, right = 115, 218
    s.text(mid, 26, shop.name.upper(), 10, bold=True, align="center")
    y = s.lines(mid, 28, [*shop.address, f"SST ID {shop.tax_id.split()[-1]}"], 7, align="center")
    y = s.lines(12, y + 8, [f"Bill No : {number}", f"Date    : {day}  "
                            f"{rng.randint(11, 22):02d}:{rng.randint(0, 59):02d}",
                            f"Table   : {rng.randint(1, 40)}   Pax: {rng.randint(1, 6)}"],
                7.5)  # fmt: skip
    y += 6
    s.hline(12, right, y, 0.5)
    y += 12
    s.text(12, y, "QTY ITEM", 7.5, bold=True)
    s.text(right, y, "AMT", 7.5, bold=True, align="right")
    for item in items:
        y += 12
        s.text(12, y, f"{item.qty:>2}  {item.description[:18]}", 8)
        s.text(right - 50, y, _num(item.unit_price), 7, align="right")
        s.text(right, y, _num(item.amount), 8, align="right")
    y += 6
    s.hline(12, right, y, 0.5)
    rows = [("Subtotal", _num(money(subtotal)), False), (f"SST {rate}%", _num(money(tax)), False),
            ("Total Incl. SST", _num(money(gross)), False),
            ("Rounding Adj", f"{adjust:+.2f}", False),
            ("Total (Rounded)", money(rounded), True), ("CASH", _num(money(cash)), False),
            ("CHANGE", _num(money(cash - rounded)), False)]  # fmt: skip
    for label, value, bold in rows:
        y += 12
        s.text(12, y, label, 8.5 if bold else 8, bold=bold)
        s.text(right, y, value, 8.5 if bold else 8, bold=bold, align="right")
    y += 22
    s.text(12, y, "SST SUMMARY", 7, bold=True)
    y += 10
    for x, title in zip((12, 70, 150, right), ("CODE", "RATE", "AMT(RM)", "TAX(RM)"),
                        strict=True):  # fmt: skip
        s.text(x, y, title, 7, bold=True, align="right" if x > 70 else "left")
    y += 10
    for x, cell in zip((12, 70, 150, right), ("S", f"{rate}%", _num(money(subtotal)),
                       _num(money(tax))), strict=True):  # fmt: skip
        s.text(x, y, cell, 7, align="right" if x > 70 else "left")
    s.text(mid, y + 26, "THANK YOU - PLEASE COME AGAIN", 7, align="center")
    answers = {"issuer": [shop.name], "number": [number], "date": [day],
               "total": [_num(money(rounded))], "subtotal": [_num(money(subtotal))],
               "tax": [_num(money(tax))], "total_unrounded": [_num(money(gross))],
               "cash": [_num(money(cash))]}  # fmt: skip
    return GeneratedDoc("restaurant_bill", "receipt", "receipt", s.pdf(), 1, answers, items)


COURIER_SERVICES = ("Express parcel", "Economy parcel", "Overnight document", "Freight pallet")


def courier_invoice(v: Vocabulary) -> GeneratedDoc:
    """A courier's invoice: one block per shipment (waybill, service and destination, then
    "3.5 kg x 4.20/kg = 14.70"), an account number, subtotal, tax and total."""
    rng = v.rng
    c = _core(v, 1)
    money = c.money
    routes = rng.sample([(s, city) for s in COURIER_SERVICES for city in v.pool["cities"]],
                        rng.randint(3, 6))  # fmt: skip
    items, subtotal = [], 0.0
    for service, city in routes:
        weight = rng.randint(5, 300) / 10
        rate = rng.randint(180, 980) / 100
        amount = round(weight * rate, 2)
        subtotal += amount
        waybill = f"{rng.randint(10**9, 10**10 - 1)}"
        items.append(Item(f"{service} to {city}", f"{weight:g}", money(rate), money(amount),
                          code=waybill))  # fmt: skip
    subtotal = round(subtotal, 2)
    tax = round(subtotal * c.tax_rate / 100, 2)
    c = dataclasses.replace(c, items=items, subtotal=money(subtotal), tax=money(tax),
                            total=money(subtotal + tax))  # fmt: skip
    account = f"AC{rng.randint(100000, 999999)}"
    s = Sheet(A4, "helvetica", 45)
    right = s.width - 45
    s.box(45, 40, right - 45, 44, fill=DARK)
    s.text(57, 69, c.seller.name.upper(), 15, bold=True, color=GREY)
    s.text(right - 12, 69, "COURIER INVOICE", 12, bold=True, color=GREY, align="right")
    s.lines(45, 92, [", ".join(c.seller.address), f"{c.seller.phone}  ·  {c.seller.email}"], 8.5)
    s.lines(330, 134, [f"Invoice no: {c.number}", f"Invoice date: {c.date}",
                       f"Account: {account}", f"Payment due: {c.due}"], 9.5)  # fmt: skip
    s.text(45, 146, "Account holder", 9, bold=True)
    s.lines(45, 148, [c.buyer.name, *c.buyer.address], 9.5)
    y = 215
    s.text(45, y, "Shipments this period", 11, bold=True)
    s.hline(45, right, y + 6, 0.8)
    y += 8
    for item in items:
        y += 16
        s.text(45, y, f"Waybill {item.code}", 9, bold=True)
        s.text(175, y, item.description, 9.5)
        y += 14
        s.text(175, y, f"{item.qty} kg x {_num(item.unit_price)}/kg = {_num(item.amount)}", 9.5)
        s.text(right, y, item.amount, 9.5, align="right")
        s.hline(45, right, y + 6, 0.3)
    y = label_value_lines(s, right - 200, right, y + 8, [("Subtotal", c.subtotal),
               (f"Tax {c.tax_rate}%", c.tax), ("Total due", c.total)], 10)  # fmt: skip
    s.text(45, y + 34, "Weights are chargeable weights (the greater of actual and volumetric).",
           8)  # fmt: skip
    answers = _answers(c, account=[account])
    return GeneratedDoc("courier_invoice", "invoice", "invoice", s.pdf(), s.page, answers, items,
                        ("unit_price", "amount"))  # fmt: skip


def two_tables(v: Vocabulary) -> GeneratedDoc:
    """Two tables, Products then Services, each closed by its own subtotal row; then the
    invoice Subtotal (both), tax and total."""
    rng = v.rng
    c = _core(v, rng.randint(2, 4))
    services, _ = line_items(v, c.money, rng.randint(2, 3), kind="services", hours=True)
    goods_sum = round(sum(money_value(i.amount) for i in c.items), 2)
    services_sum = round(sum(money_value(i.amount) for i in services), 2)
    subtotal = round(goods_sum + services_sum, 2)
    tax = round(subtotal * c.tax_rate / 100, 2)
    c = dataclasses.replace(c, items=[*c.items, *services], subtotal=c.money(subtotal),
                            tax=c.money(tax), total=c.money(subtotal + tax))  # fmt: skip
    goods = c.items[: len(c.items) - len(services)]
    s = Sheet(A4, "times", 50)
    right = s.width - 50
    s.text(50, 68, c.seller.name, 16, bold=True)
    s.text(50, 84, f"{' · '.join(c.seller.address)}  ·  {c.seller.tax_id}", 8.5)
    s.text(right, 68, "Invoice", 18, bold=True, align="right")
    s.lines(right - 160, 84, [f"Number  {c.number}", f"Date  {c.date}", f"Due  {c.due}"], 9.5)
    s.text(50, 128, "Customer", 9.5, bold=True)
    s.lines(50, 130, [c.buyer.name, *c.buyer.address], 10)
    for title, rows, cols, total, label in (
        ("Products", _rows(goods, ["code", "desc", "qty", "price", "amount"]),
         [Column("Code", 80), Column("Product", 200), Column("Qty", 55, "right"),
          Column("Unit price", 80, "right"), Column("Amount", 80, "right")],
         goods_sum, "Products subtotal"),
        ("Services", _rows(services, ["desc", "qty", "price", "amount"]),
         [Column("Service", 280), Column("Hours", 55, "right"), Column("Rate", 80, "right"),
          Column("Amount", 80, "right")],
         services_sum, "Services subtotal"),
    ):  # fmt: skip
        s.y = max(s.y, 190) + 24
        s.text(50, s.y, title, 12, bold=True)
        s.y += 6
        s.table(50, cols, rows, style="grid", size=9, header_fill=GREY)
        s.y += 14
        s.text(right - 90, s.y, label, 9.5, bold=True, align="right")
        s.text(right - 5, s.y, c.money(total), 9.5, bold=True, align="right")
    y = label_value_lines(s, right - 200, right - 5, s.y + 16, [("Subtotal", c.subtotal),
               (f"Tax {c.tax_rate}%", c.tax), ("Invoice total", c.total)], 10.5)  # fmt: skip
    s.text(50, y + 36, "Products and services are invoiced together; tax applies to both.", 8.5)
    answers = _answers(c, products_subtotal=[_num(c.money(goods_sum))],
                       services_subtotal=[_num(c.money(services_sum))])  # fmt: skip
    return GeneratedDoc("two_tables", "invoice", "invoice", s.pdf(), s.page, answers, c.items)


def _de(value: float) -> str:
    """German number format: 1.234,56."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _both(value: float) -> list[str]:
    """Accepted forms of an amount printed with a decimal comma: as printed, then 1,234.56."""
    return [_de(value), f"{value:,.2f}"]


def german_invoice(v: Vocabulary) -> GeneratedDoc:
    """A German-style invoice in English: the sender line above the address window, an info
    block (invoice no., customer no., dates), Pos. numbers, decimal commas ("1.234,56 EUR")
    and Net / VAT 19 % / Gross; bank and VAT ID in a three-column footer."""
    rng = v.rng
    seller, buyer = v.company(), v.company()
    while buyer.name == seller.name:
        buyer = v.company()
    day = v.date()
    due = day + dt.timedelta(days=rng.choice([14, 30]))
    date, due_text = format_date(day, "dmy_dot"), format_date(due, "dmy_dot")
    number = v.number("RE")
    customer = f"{rng.randint(10000, 99999)}"
    items, subtotal = line_items(v, Money("EUR", "suffix"), rng.randint(3, 6))
    for item in items:
        item.unit_price = f"{_de(money_value(item.unit_price))} EUR"
        item.amount = f"{_de(money_value(item.amount))} EUR"
    rate = rng.choice([19, 19, 7])
    tax = round(subtotal * rate / 100, 2)
    gross = round(subtotal + tax, 2)
    s = Sheet(A4, "liberation-narrow", 56)
    right = s.width - 56
    s.text(right, 70, seller.name, 16, bold=True, align="right")
    s.text(56, 130, f"{seller.name} · {' · '.join(seller.address)}", 7)
    s.hline(56, 300, 133, 0.4)
    s.lines(56, 136, [buyer.name, *buyer.address], 10.5)
    info = [("Invoice no.", number), ("Customer no.", customer), ("Invoice date", date),
            ("Due date", due_text)]  # fmt: skip
    for index, (label, value) in enumerate(info):
        y = 130 + index * 14
        s.text(right - 170, y, label, 9)
        s.text(right, y, value, 9, align="right")
    s.text(56, 240, f"Invoice {number}", 14, bold=True)
    s.text(56, 262, f"Dear Sir or Madam, we invoice the following delivery of {date}:", 10)
    s.y = 276
    cols = [Column("Pos.", 38, "center"), Column("Description", 215), Column("Qty", 50, "right"),
            Column("Unit price", 90, "right"), Column("Amount", 90, "right")]  # fmt: skip
    s.table(56, cols, _rows(items, ["no", "desc", "qty", "price", "amount"], index=True),
            style="header_rule", size=9.5)  # fmt: skip
    y = label_value_lines(s, right - 200, right - 5, s.y, [("Net", f"{_de(subtotal)} EUR"),
               (f"VAT {rate} %", f"{_de(tax)} EUR"), ("Gross", f"{_de(gross)} EUR")],
               10)  # fmt: skip
    s.text(56, y + 30, f"Payable without deduction by {due_text}.", 9.5)
    bank = f"IBAN DE{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
    bank += f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}"
    footer_y = s.height - 70
    s.hline(56, right, footer_y - 12, 0.4)
    s.lines(56, footer_y - 12, [seller.name, *seller.address], 7)
    s.lines(240, footer_y - 12, ["Bank details", bank], 7)
    s.lines(420, footer_y - 12, [f"VAT ID DE{rng.randint(100000000, 999999999)}",
                                 seller.email], 7)  # fmt: skip
    answers = {"issuer": _name_answers(seller), "buyer": _name_answers(buyer),
               "number": [number], "date": [date], "due_date": [due_text],
               "total": _both(gross), "subtotal": _both(subtotal), "tax": _both(tax),
               "customer_number": [customer]}  # fmt: skip
    return GeneratedDoc("german_invoice", "invoice", "invoice", s.pdf(), s.page, answers, items,
                        ("qty",))  # fmt: skip


PROBE3_TEMPLATES: dict[str, Callable[[Vocabulary], GeneratedDoc]] = {
    fn.__name__: fn
    for fn in (
        landscape_invoice,
        letter_invoice,
        restaurant_bill,
        courier_invoice,
        two_tables,
        german_invoice,
    )
}
