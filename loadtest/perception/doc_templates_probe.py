"""Six PROBE templates: layouts no dev or held-out template uses, for finding how document
answerers fail on layouts they have never seen.

Same conventions as :mod:`doc_templates` (a :class:`GeneratedDoc` with the accepted answers
per question kind, canonical first). Question kinds keep their dev meaning everywhere:
``total`` is the document's grand total (subtotal + tax; on a receipt the amount paid),
``subtotal`` the sum of the lines, ``date`` the issue date, ``due_date`` the payment date.
Extra facts a layout adds (a deposit, the balance after it, a carried-forward amount) are
listed under their own keys, which no question asks.

The probe split (:mod:`gen_business_docs`) draws them with the DEV vocabulary, phrasings and
scan profile, so only the layout is new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, LETTER

from loadtest.perception.doc_facts import Item, Vocabulary, format_date, line_items
from loadtest.perception.doc_sheet import DARK, GREY, Column, Sheet
from loadtest.perception.doc_templates import (
    GeneratedDoc,
    _answers,
    _core,
    _name_answers,
    _num,
    _rows,
    _totals,
    money_value,
)

WHITE = Color(1, 1, 1)


def ordinal_date(day: dt.date) -> str:
    """ "3rd March 2025"."""
    suffix = (
        "th" if 11 <= day.day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    )
    return f"{day.day}{suffix} {day:%B} {day.year}"


def logo_service(v: Vocabulary) -> GeneratedDoc:
    """Service invoice: the company appears only as a large logo word, its legal name in the
    footer's small print; totals in a right-aligned box ending "Amount payable"."""
    c = _core(v, v.rng.randint(2, 5), kind="services")
    s = Sheet(A4, "liberation-narrow", 48)
    right = s.width - 48
    s.text(48, 84, c.seller.brand, 30, bold=True, color=DARK)
    s.hline(48, 48 + s.text_width(c.seller.brand, 30, bold=True), 93, 2.5)
    s.text(48, 108, "Services  ·  Projects  ·  Support", 9, color=DARK)
    s.text(right, 70, "Tax invoice", 16, bold=True, align="right")
    for index, (label, value) in enumerate(
        (("Invoice no.", c.number), ("Date of issue", c.date), ("Payment due", c.due))
    ):
        y = 92 + index * 14
        s.text(right - 110, y, label, 9, color=DARK, align="right")
        s.text(right, y, value, 9.5, align="right")
    s.text(48, 160, "INVOICE TO", 8, bold=True, color=DARK)
    s.lines(48, 162, [c.buyer.name, *c.buyer.address, c.buyer.email], 10)
    s.y = 250
    cols = [Column("Description", 255), Column("Quantity", 60, "right"),
            Column("Unit fee", 90, "right"), Column("Net", 94, "right")]  # fmt: skip
    s.table(48, cols, _rows(c.items, ["desc", "qty", "price", "amount"]), style="boxed")
    top = s.y + 18
    s.box(right - 220, top, 220, 66)
    pairs = [("Net amount", c.subtotal), (f"VAT at {c.tax_rate}%", c.tax),
             ("Amount payable", c.total)]  # fmt: skip
    for index, (label, value) in enumerate(pairs):
        last = index == len(pairs) - 1
        y = top + 18 + index * 18
        s.text(right - 210, y, label, 10.5 if last else 9.5, bold=last)
        s.text(right - 10, y, value, 10.5 if last else 9.5, bold=last, align="right")
    s.text(48, top + 18, "Please quote the invoice number with your payment.", 8.5, color=DARK)
    s.hline(48, right, s.height - 72, 0.5)
    s.text(s.width / 2, s.height - 60, f"{c.seller.name}  ·  Registered office: "
           f"{', '.join(c.seller.address)}", 7, align="center")  # fmt: skip
    s.text(s.width / 2, s.height - 50, f"{c.seller.tax_id}  ·  {c.seller.email}  ·  "
           f"{c.seller.phone}", 7, align="center")  # fmt: skip
    return GeneratedDoc("logo_service", "invoice", "invoice", s.pdf(), s.page, _answers(c),
                        c.items)  # fmt: skip


def wholesale_deposit(v: Vocabulary) -> GeneratedDoc:
    """Wholesale invoice under a dark title band: Description | Unit cost | Units | Line
    total; the invoice total, then a deposit already received and the balance due."""
    rng = v.rng
    c = _core(v, rng.randint(4, 8))
    total = money_value(c.total)
    deposit = round(total * rng.choice([0.2, 0.25, 0.3, 0.5]), 2)
    s = Sheet(LETTER, "helvetica", 45)
    right = s.width - 45
    s.box(0, 0, s.width, 62, fill=DARK, stroke=False)
    s.text(45, 40, c.seller.name, 17, bold=True, color=WHITE)
    s.text(right, 40, "WHOLESALE INVOICE", 12, bold=True, color=WHITE, align="right")
    s.text(45, 80, f"{' · '.join(c.seller.address)}  ·  {c.seller.phone}", 8.5, color=DARK)
    s.text(45, 120, "Sold to", 9, bold=True, color=DARK)
    s.lines(45, 122, [c.buyer.name, *c.buyer.address], 10)
    fields = [("Invoice No:", c.number), ("Invoice Date:", c.date), ("Due Date:", c.due)]
    for index, (label, value) in enumerate(fields):
        y = 120 + index * 15
        s.text(right - 150, y, label, 9.5, bold=True)
        s.text(right, y, value, 9.5, align="right")
    s.y = 200
    cols = [Column("Description", 250), Column("Unit cost", 95, "right"),
            Column("Units", 65, "right"), Column("Line total", 112, "right")]  # fmt: skip
    s.table(45, cols, _rows(c.items, ["desc", "price", "qty", "amount"]), style="header_rule")
    pairs = [("Goods total", c.subtotal), (f"Sales tax @ {c.tax_rate}%", c.tax),
             ("Invoice total", c.total), ("Less deposit received", c.money(deposit)),
             ("Balance due", c.money(total - deposit))]  # fmt: skip
    _totals(s, right - 125, right - 5, pairs)
    s.text(45, s.y + 40, "Goods remain our property until the balance is paid in full.", 8.5)
    answers = _answers(c, deposit=[_num(c.money(deposit))],
                       balance=[_num(c.money(total - deposit))])  # fmt: skip
    return GeneratedDoc("wholesale_deposit", "invoice", "invoice", s.pdf(), s.page, answers,
                        c.items)  # fmt: skip


def carried_forward(v: Vocabulary) -> GeneratedDoc:
    """A two-page ERP printout: page 1 ends with "Carried forward", page 2 opens with "Brought
    forward" and ends with the totals; a running header on page 2."""
    rng = v.rng
    c = _core(v, rng.randint(11, 16), prefix="SI")
    first = len(c.items) - rng.randint(3, 5)
    carried = c.money(sum(money_value(item.amount) for item in c.items[:first]))
    s = Sheet(A4, "liberation-mono", 40)
    right = s.width - 40
    s.text(40, 60, c.seller.name.upper(), 12, bold=True)
    s.lines(40, 62, [*c.seller.address, c.seller.tax_id], 8.5)
    s.text(right, 60, "SALES INVOICE", 12, bold=True, align="right")
    s.lines(right - 180, 62, [f"Invoice  : {c.number}", f"Inv. date: {c.date}",
                              f"Due date : {c.due}"], 8.5)  # fmt: skip
    s.text(40, 140, "Customer:", 9, bold=True)
    s.lines(40, 142, [c.buyer.name, *c.buyer.address], 9)
    cols = [Column("No", 30, "right"), Column("Code", 80), Column("Description", 205),
            Column("Qty", 45, "right"), Column("Price", 70, "right"),
            Column("Amount", 85, "right")]  # fmt: skip
    rows = _rows(c.items, ["no", "code", "desc", "qty", "price", "amount"])
    s.y = 210
    s.table(40, cols, [*rows[:first], ["", "", "Carried forward", "", "", carried]],
            style="grid", row_height=26, size=8.5)  # fmt: skip
    s.text(right, s.height - 40, "Page 1 of 2 - continued overleaf", 8, align="right")
    s.new_page()
    s.text(40, 50, f"{c.seller.name.upper()}  -  Invoice {c.number} (continued)", 9, bold=True)
    s.text(right, s.height - 40, "Page 2 of 2", 8, align="right")
    s.y = 75
    s.table(40, cols, [["", "", "Brought forward", "", "", carried], *rows[first:]],
            style="grid", row_height=26, size=8.5)  # fmt: skip
    _totals(s, right - 110, right - 5, [("Subtotal", c.subtotal), (f"Tax {c.tax_rate}%", c.tax),
                                        ("Total amount due", c.total)], size=9)  # fmt: skip
    s.text(40, s.y + 40, "Payment by bank transfer. Please quote the invoice number.", 8.5)
    answers = _answers(c, carried=[_num(carried)])
    return GeneratedDoc("carried_forward", "invoice", "invoice", s.pdf(), s.page, answers,
                        c.items)  # fmt: skip


def proforma_three(v: Vocabulary) -> GeneratedDoc:
    """Pro-forma invoice: Bill from / Ship to / Bill to columns, fields in a one-row grid,
    payment in advance."""
    rng = v.rng
    c = _core(v, rng.randint(3, 6), prefix="PF")
    site = v.company().address
    s = Sheet(LETTER, "dejavu-serif", 50)
    right = s.width - 50
    s.text(s.width / 2, 70, "PRO FORMA INVOICE", 18, bold=True, align="center")
    s.hline(50, right, 84, 0.6)
    blocks = [("Bill from", [c.seller.name, *c.seller.address, c.seller.email]),
              ("Ship to", [c.buyer.name, *site, f"Attn: {v.person()}"]),
              ("Bill to", [c.buyer.name, *c.buyer.address])]  # fmt: skip
    for x, (label, lines) in zip((50, 224, 398), blocks, strict=True):
        s.text(x, 108, label.upper(), 8.5, bold=True, color=DARK)
        s.lines(x, 110, lines, 8.5)
    s.y = 190
    titles = ["Pro forma no.", "Date", "Payment due by", "Currency"]
    fields = [Column(title, 128, "center") for title in titles]
    s.table(50, fields, [[c.number, c.date, c.due, c.money.symbol]], style="grid", size=9)
    s.y += 22
    cols = [Column("Item code", 80), Column("Description", 200), Column("Qty", 50, "right"),
            Column("Unit price", 90, "right"), Column("Amount", 92, "right")]  # fmt: skip
    s.table(50, cols, _rows(c.items, ["code", "desc", "qty", "price", "amount"]), style="grid",
            header_fill=GREY)  # fmt: skip
    _totals(s, right - 120, right - 5, [("Sub-total", c.subtotal), (f"Tax ({c.tax_rate}%)", c.tax),
                                        ("Total to pay in advance", c.total)])  # fmt: skip
    s.lines(50, s.y + 30, ["This is a pro forma invoice, not a tax invoice.",
                           "Goods are dispatched on receipt of payment."], 8.5)  # fmt: skip
    return GeneratedDoc("proforma_three", "invoice", "pro forma invoice", s.pdf(), s.page,
                        _answers(c), c.items)  # fmt: skip


def cafe_receipt(v: Vocabulary) -> GeneratedDoc:
    """A restaurant bill paid by card: "2 x Latte 4.50 9.00" lines, a service charge, a tip,
    the amount charged; table, covers and server named."""
    rng = v.rng
    shop = v.shop()
    for _ in range(20):  # a place that serves food
        if any(word in shop.name for word in ("Cafe", "Restaurant", "Bistro", "Bakery")):
            break
        shop = v.shop()
    money = v.money()
    items, _ = line_items(v, money, rng.randint(2, 6), kind="menu")
    for item in items:
        qty, price = rng.randint(1, 4), rng.randint(180, 1450) / 100
        item.qty, item.unit_price, item.amount = str(qty), money(price), money(qty * price)
    subtotal = round(sum(money_value(item.amount) for item in items), 2)
    rate = rng.choice([10, 12.5, 15])
    service = round(subtotal * rate / 100, 2)
    tip = rng.choice([round((subtotal + service) * 0.1, 2), float(rng.randint(1, 10))])
    paid = round(subtotal + service + tip, 2)
    number = str(rng.randint(1000, 99999))
    day = format_date(v.date(), rng.choice(["long", "dmy_dot", "mdy_slash"]))
    s = Sheet((204, 300 + 13 * len(items)), "dejavu-condensed", 10)
    mid, right = 102, 194
    s.text(mid, 28, shop.name, 11, bold=True, align="center")
    y = s.lines(mid, 30, [*shop.address, shop.phone], 7.5, align="center")
    y = s.lines(10, y + 8, [f"Table {rng.randint(1, 40)}   Covers {rng.randint(1, 6)}   "
                            f"Server: {v.person().split()[0]}",
                            f"Receipt #{number}", f"{day}  {rng.randint(11, 22)}:"
                            f"{rng.randint(0, 59):02d}"], 7.5)  # fmt: skip
    s.hline(10, right, y + 6, 0.4)
    y += 8
    for item in items:
        y += 13
        s.text(10, y, f"{item.qty} x {item.description}", 8)
        s.text(right - 44, y, _num(item.unit_price), 8, align="right")
        s.text(right, y, _num(item.amount), 8, align="right")
    s.hline(10, right, y + 6, 0.4)
    y += 6
    rate_text = f"{rate:g}%"
    pairs = [("Subtotal", money(subtotal), False), (f"Service charge {rate_text}", money(service),
             False), ("TOTAL", money(subtotal + service), True), ("Tip", money(tip), False),
             ("AMOUNT CHARGED", money(paid), True)]  # fmt: skip
    for label, value, bold in pairs:
        y += 13
        s.text(10, y, label, 8.5, bold=bold)
        s.text(right, y, value, 8.5, bold=bold, align="right")
    card = rng.choice(["VISA", "MASTERCARD", "AMEX"])
    y = s.lines(10, y + 10, [f"{card} ************{rng.randint(1000, 9999)}",
                            f"Contactless   Auth code {rng.randint(100000, 999999)}",
                            "APPROVED - CARDHOLDER COPY"], 7.5)  # fmt: skip
    s.text(mid, y + 20, "Thank you - see you again soon!", 7.5, align="center")
    answers = {"issuer": [shop.name], "number": [number], "date": [day],
               "total": [_num(money(paid))], "subtotal": [_num(money(subtotal))]}  # fmt: skip
    return GeneratedDoc("cafe_receipt", "receipt", "receipt", s.pdf(), 1, answers, items)


def hire_invoice(v: Vocabulary) -> GeneratedDoc:
    """Equipment hire invoice: "3rd March 2025" dates, "Ref: HR/2025/0193", a hire period,
    Qty × Days × daily rate per line."""
    rng = v.rng
    seller, buyer = v.company(), v.company()
    while buyer.name == seller.name:
        buyer = v.company()
    money = v.money()
    day = v.date()
    period = rng.randint(3, 21)
    start = day - dt.timedelta(days=period + rng.randint(0, 3))
    due = day + dt.timedelta(days=rng.choice([7, 14, 30]))
    number = f"HR/{day.year}/{rng.randint(1, 9999):04d}"
    items, subtotal = [], 0.0
    for name in v.products(rng.randint(2, 5)):
        qty, days, rate = rng.randint(1, 6), rng.randint(1, period), rng.randint(500, 12000) / 100
        charge = round(qty * days * rate, 2)
        subtotal += charge
        items.append(Item(name, str(qty), money(rate), money(charge), extra={"days": str(days)}))
    subtotal = round(subtotal, 2)
    tax_rate = rng.choice([5, 10, 20])
    tax = round(subtotal * tax_rate / 100, 2)
    s = Sheet(A4, "times", 55)
    right = s.width - 55
    s.text(55, 72, seller.name, 16, bold=True)
    s.text(55, 88, "Plant, tools & equipment hire", 9.5, color=DARK)
    s.lines(55, 92, [*seller.address, seller.phone], 9)
    s.text(right, 72, "HIRE INVOICE", 15, bold=True, align="right")
    s.lines(right - 170, 80, [f"Ref: {number}", f"Date: {ordinal_date(day)}"], 10)
    s.text(55, 160, "Hirer", 10, bold=True)
    s.lines(55, 162, [buyer.name, *buyer.address], 10)
    s.text(300, 160, "Hire period", 10, bold=True)
    s.lines(300, 162, [f"From {ordinal_date(start)}",
                       f"To {ordinal_date(start + dt.timedelta(days=period))}"], 10)  # fmt: skip
    s.y = 235
    cols = [Column("Equipment", 215), Column("Qty", 40, "right"), Column("Days", 45, "right"),
            Column("Rate / day", 85, "right"), Column("Charge", 100, "right")]  # fmt: skip
    s.table(55, cols, _rows(items, ["desc", "qty", "days", "price", "amount"]), style="boxed")
    _totals(s, right - 110, right - 5, [("Hire charges", money(subtotal)),
                                        (f"VAT @ {tax_rate}%", money(tax)),
                                        ("Total now due", money(subtotal + tax))])  # fmt: skip
    s.text(55, s.y + 36, f"Payment terms: payable by {ordinal_date(due)}. Late returns are "
           "charged at the daily rate.", 9)  # fmt: skip
    answers = {"issuer": _name_answers(seller), "buyer": _name_answers(buyer),
               "number": [number], "date": [ordinal_date(day)], "due_date": [ordinal_date(due)],
               "total": [_num(money(subtotal + tax))], "subtotal": [_num(money(subtotal))],
               "tax": [_num(money(tax))]}  # fmt: skip
    return GeneratedDoc("hire_invoice", "invoice", "invoice", s.pdf(), s.page, answers, items,
                        ("qty", "amount"))  # fmt: skip


PROBE_TEMPLATES: dict[str, Callable[[Vocabulary], GeneratedDoc]] = {
    fn.__name__: fn
    for fn in (
        logo_service,
        wholesale_deposit,
        carried_forward,
        proforma_three,
        cafe_receipt,
        hire_invoice,
    )
}
