"""Six PROBE2 templates: a second set of layouts no dev, held-out or probe template uses, for
measuring, untouched, how document answerers do on layouts nobody has tuned on.

Same conventions as :mod:`doc_templates` (a :class:`GeneratedDoc` with the accepted answers
per question kind, canonical first). Question kinds keep their dev meaning everywhere:
``total`` is the grand total (subtotal + tax; on a receipt the amount paid; on a bill the new
amount due, the previous balance having been paid in full), ``subtotal`` the sum of the lines
(after their discounts), ``date`` the issue date, ``due_date`` the payment date, ``number`` on
a bill the account number. A purchase order's issuer is the buyer (as in dev
``purchase_order``). Extra facts a layout adds are listed under their own keys, which no
question asks.

The probe2 split (:mod:`gen_business_docs`) draws them with the DEV vocabulary, phrasings and
scan profile, so only the layout is new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, LETTER

from loadtest.perception.doc_facts import DATE_STYLES, Item, Vocabulary, format_date, line_items
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

PALE = Color(0.93, 0.96, 0.93)


def remit_invoice(v: Vocabulary) -> GeneratedDoc:
    """US-style invoice: "Invoice #" / "Invoice Date" and "Due Date" / "Amount Enclosed" in
    boxed grids top-right, Bill To left and Remit To right, Payments/Credits and a final
    Balance Due equal to the total."""
    c = _core(v, v.rng.randint(3, 6))
    box = f"P.O. Box {v.rng.randint(100, 9999)}"
    s = Sheet(LETTER, "dejavu-condensed", 40)
    right = s.width - 40
    s.text(40, 62, c.seller.name, 15, bold=True)
    s.lines(40, 66, [*c.seller.address, f"Phone {c.seller.phone}", c.seller.email], 8.5)
    s.text(right, 58, "Invoice", 22, bold=True, align="right", color=DARK)
    s.y = 72
    s.table(right - 230, [Column("Invoice #", 115, "center"), Column("Invoice Date", 115,
            "center")], [[c.number, c.date]], style="grid", size=9, header_fill=GREY)  # fmt: skip
    s.y += 6
    s.table(right - 230, [Column("Due Date", 115, "center"), Column("Amount Enclosed", 115,
            "center")], [[c.due, ""]], style="grid", size=9, header_fill=GREY)  # fmt: skip
    s.box(40, 170, 230, 78)
    s.text(48, 184, "Bill To", 9, bold=True)
    s.lines(48, 186, [c.buyer.name, *c.buyer.address], 9)
    s.box(right - 230, 170, 230, 78)
    s.text(right - 222, 184, "Remit To", 9, bold=True)
    s.lines(right - 222, 186, [c.seller.name, box, c.seller.address[-1]], 9)
    s.y = 275
    cols = [Column("Item", 70), Column("Description", 210), Column("Qty", 50, "right"),
            Column("Rate", 95, "right"), Column("Amount", 107, "right")]  # fmt: skip
    s.table(40, cols, _rows(c.items, ["code", "desc", "qty", "price", "amount"]), style="grid",
            header_fill=GREY)  # fmt: skip
    top = s.y
    s.box(right - 200, top, 200, 92)
    pairs = [("Subtotal", c.subtotal), (f"Sales Tax ({c.tax_rate}%)", c.tax), ("Total", c.total),
             ("Payments/Credits", c.money(0)), ("Balance Due", c.total)]  # fmt: skip
    label_value_lines(s, right - 192, right - 8, top + 2, pairs, 9.5)
    notes = ["Please detach the top portion and return it with",
             "your payment. Make checks payable to", c.seller.name.rstrip(".") + "."]  # fmt: skip
    s.lines(40, top + 6, notes, 8.5)
    s.text(s.width / 2, s.height - 40, "Thank you for your business.", 9, align="center")
    answers = _answers(c, balance=[_num(c.total)])
    return GeneratedDoc("remit_invoice", "invoice", "invoice", s.pdf(), s.page, answers, c.items)


TELECOM_CHARGES = (
    ("Business fibre 500 - monthly plan", 1, (3900, 12900)),
    ("Mobile lines - unlimited plan", 0, (1200, 3500)),
    ("Static IP address", 1, (500, 1500)),
    ("Hosted phone seats", 0, (800, 2400)),
    ("Calls outside bundle (minutes)", 2, (5, 25)),
    ("Router rental", 1, (300, 900)),
    ("Roaming data pack", 0, (1000, 3000)),
)


def telecom_bill(v: Vocabulary) -> GeneratedDoc:
    """A monthly telecom bill: account number, billing period, a summary (previous balance,
    payment received, new charges, total amount due by <date>), then the charges detail."""
    rng = v.rng
    provider, customer = v.company(), v.company()
    while customer.name == provider.name:
        customer = v.company()
    money = v.money()
    style = rng.choice(DATE_STYLES)
    end = v.date()
    start = end - dt.timedelta(days=rng.choice([27, 29, 30]))
    issued = end + dt.timedelta(days=rng.randint(1, 5))
    due = issued + dt.timedelta(days=rng.choice([14, 21, 28]))
    paid_on = issued - dt.timedelta(days=rng.randint(6, 20))
    account = f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    bill_no = f"B{rng.randint(10000000, 99999999)}"
    items, subtotal = [], 0.0
    for name, kind, (low, high) in rng.sample(TELECOM_CHARGES, rng.randint(3, 5)):
        qty = 1 if kind == 1 else rng.randint(2, 12) if kind == 0 else rng.randint(20, 400)
        price = rng.randint(low, high) / 100
        amount = round(qty * price, 2)
        subtotal += amount
        items.append(Item(name, str(qty), money(price), money(amount)))
    subtotal = round(subtotal, 2)
    rate = rng.choice([5, 8, 10, 19, 20])
    tax = round(subtotal * rate / 100, 2)
    total = money(subtotal + tax)
    previous = round(rng.randint(4000, 60000) / 100, 2)
    dates = {k: format_date(d, style) for k, d in
             (("start", start), ("end", end), ("issued", issued), ("due", due),
              ("paid", paid_on))}  # fmt: skip
    s = Sheet(A4, "liberation-narrow", 45)
    right = s.width - 45
    s.text(45, 66, provider.brand, 24, bold=True, color=DARK)
    s.text(45, 82, f"{provider.name}  ·  {', '.join(provider.address)}", 8.5, color=DARK)
    s.text(right, 62, "Your monthly bill", 15, bold=True, align="right")
    fields = [("Account number", account), ("Bill number", bill_no),
              ("Bill date", dates["issued"]),
              ("Billing period", f"{dates['start']} - {dates['end']}")]  # fmt: skip
    for index, (label, value) in enumerate(fields):
        y = 82 + index * 14
        s.text(right - 190, y, label, 9, color=DARK)
        s.text(right, y, value, 9, bold=index == 0, align="right")
    s.lines(45, 110, [customer.name, *customer.address], 10)
    s.box(45, 175, right - 45, 34, fill=PALE)
    s.text(57, 197, f"Amount due by {dates['due']}", 12, bold=True)
    s.text(right - 12, 197, total, 14, bold=True, align="right")
    s.text(45, 240, "Bill summary", 11, bold=True)
    s.hline(45, right, 246, 0.6)
    summary = [("Previous balance", money(previous)),
               (f"Payment received {dates['paid']} - thank you", f"-{money(previous)}"),
               ("Balance brought forward", money(0)),
               ("New charges this period (incl. tax)", total),
               ("Total amount due", total)]  # fmt: skip
    y = label_value_lines(s, 45, right, 246, summary, 10)
    s.text(45, y + 36, "Charges detail", 11, bold=True)
    s.y = y + 44
    cols = [Column("Service", 250), Column("Quantity", 65, "right"),
            Column("Unit charge", 90, "right"), Column("Charge", 100, "right")]  # fmt: skip
    s.table(45, cols, _rows(items, ["desc", "qty", "price", "amount"]), style="header_rule")
    y = label_value_lines(s, right - 220, right - 5, s.y, [("Subtotal", money(subtotal)),
               (f"VAT {rate}%", money(tax)), ("New charges", total)], 9.5)  # fmt: skip
    s.text(45, y + 36, "Pay by direct debit, online or by phone, quoting your account number.",
           8.5)  # fmt: skip
    answers = {"issuer": _name_answers(provider), "buyer": _name_answers(customer),
               "number": [account, account.replace(" ", "")], "date": [dates["issued"]],
               "due_date": [dates["due"]], "total": [_num(total)],
               "subtotal": [_num(money(subtotal))], "tax": [_num(money(tax))],
               "previous_balance": [_num(money(previous))], "bill_number": [bill_no]}  # fmt: skip
    return GeneratedDoc("telecom_bill", "bill", "bill", s.pdf(), s.page, answers, items,
                        ("unit_price", "amount"))  # fmt: skip


def market_till(v: Vocabulary) -> GeneratedDoc:
    """A supermarket till slip: "ITEM NAME   1.99 A" lines, "2 @ 1.49" under multi-buys,
    BALANCE DUE, CASH, CHANGE and a VAT summary by code (prices include VAT)."""
    rng = v.rng
    shop, money = v.shop(), v.money()
    items, _ = line_items(v, money, rng.randint(3, 7), kind="menu")
    rates = {"A": rng.choice([20, 19, 10]), "B": 0}
    codes = []
    for item in items:
        qty = rng.choice([1, 1, 1, 2, 3, 4])
        price = rng.randint(49, 899) / 100
        item.qty, item.unit_price, item.amount = str(qty), money(price), money(qty * price)
        codes.append(rng.choice("AAB"))
    due = round(sum(money_value(item.amount) for item in items), 2)
    vat_rows, vat_total = [], 0.0
    for code, rate in rates.items():
        gross = round(sum(money_value(i.amount) for i, k in zip(items, codes, strict=True)
                          if k == code), 2)  # fmt: skip
        if not gross:
            continue
        vat = round(gross * rate / (100 + rate), 2)
        vat_total += vat
        vat_rows.append((code, f"{rate}%", _num(money(gross - vat)), _num(money(vat)),
                         _num(money(gross))))  # fmt: skip
    vat_total = round(vat_total, 2)
    cash = float(-(-due // 5) * 5) if due % 5 else due + 5
    number = f"{rng.randint(1, 9999):04d}"
    day = format_date(v.date(), rng.choice(["dmy_slash", "short_month", "iso"]))
    extra = sum(1 for item in items if item.qty != "1")
    s = Sheet((216, 360 + 12 * (len(items) + extra)), "liberation-mono", 12)
    mid, right = 108, 204
    s.text(mid, 26, shop.name.upper(), 10, bold=True, align="center")
    y = s.lines(mid, 28, [*shop.address, f"VAT No {shop.tax_id.split()[-1]}"], 7, align="center")
    y = s.lines(12, y + 6, [f"{day}  {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
                            f"Till {rng.randint(1, 12):02d}  Op {rng.randint(10, 99)}  "
                            f"Trans {number}"], 7.5)  # fmt: skip
    s.text(mid, y + 14, "- - - - - - - - - - - - - - - -", 7.5, align="center")
    y += 16
    for item, code in zip(items, codes, strict=True):
        y += 12
        s.text(12, y, item.description.upper()[:22], 8)
        s.text(right - 12, y, _num(item.amount), 8, align="right")
        s.text(right, y, code, 8, align="right")
        if item.qty != "1":
            y += 12
            s.text(24, y, f"{item.qty} @ {_num(item.unit_price)}", 8)
    y += 8
    count = sum(int(item.qty) for item in items)
    rows = [(f"{count} ITEMS  BALANCE DUE", money(due), True), ("CASH", money(cash), False),
            ("CHANGE", money(cash - due), False)]  # fmt: skip
    for label, value, bold in rows:
        y += 13
        s.text(12, y, label, 8.5, bold=bold)
        s.text(right, y, value, 8.5, bold=bold, align="right")
    y += 22
    for x, title in zip((12, 40, 100, 148, right), ("VAT", "RATE", "NET", "VAT", "GROSS"),
                        strict=True):  # fmt: skip
        s.text(x, y, title, 7, bold=True, align="right" if x > 40 else "left")
    for row in vat_rows:
        y += 10
        for x, cell in zip((12, 40, 100, 148, right), row, strict=True):
            s.text(x, y, cell, 7, align="right" if x > 40 else "left")
    y += 10
    s.text(12, y, "TOTAL VAT", 7, bold=True)
    s.text(148, y, _num(money(vat_total)), 7, bold=True, align="right")
    s.text(mid, y + 24, "PLEASE RETAIN FOR YOUR RECORDS", 7, align="center")
    answers = {"issuer": [shop.name], "number": [number], "date": [day],
               "total": [_num(money(due))], "tax": [_num(money(vat_total))],
               "cash": [_num(money(cash))]}  # fmt: skip
    return GeneratedDoc("market_till", "receipt", "receipt", s.pdf(), 1, answers, items)


def qty_last(v: Vocabulary) -> GeneratedDoc:
    """Seller and invoice fields in a grey left sidebar; the table reads Line total | Discount
    | Unit price | Item | Qty, each line discounted."""
    rng = v.rng
    c = _core(v, rng.randint(3, 6))
    subtotal = 0.0
    for item in c.items:
        pct = rng.choice([0, 5, 10, 15, 20])
        gross = round(float(item.qty) * money_value(item.unit_price), 2)
        discount = round(gross * pct / 100, 2)
        item.amount = c.money(gross - discount)
        item.extra["discount"] = f"{pct}%" if pct else "-"
        subtotal += gross - discount
    subtotal = round(subtotal, 2)
    tax = round(subtotal * c.tax_rate / 100, 2)
    c = dataclasses.replace(c, subtotal=c.money(subtotal), tax=c.money(tax),
                            total=c.money(subtotal + tax))  # fmt: skip
    s = Sheet(A4, "liberation-narrow", 30)
    s.box(0, 0, 165, s.height, fill=GREY, stroke=False)
    name_lines = [""]
    for word in c.seller.name.split():  # wrap the name inside the sidebar
        if name_lines[-1] and s.text_width(f"{name_lines[-1]} {word}", 12, bold=True) > 135:
            name_lines.append(word)
        else:
            name_lines[-1] = f"{name_lines[-1]} {word}".strip()
    y = s.lines(20, 44, name_lines, 12, bold=True)
    y = s.lines(20, y + 4, [*c.seller.address, c.seller.phone, c.seller.tax_id], 8.5)
    for label, value in (("INVOICE NUMBER", c.number), ("DATE ISSUED", c.date),
                         ("PAYMENT DUE", c.due)):  # fmt: skip
        y += 26
        s.text(20, y, label, 7.5, bold=True, color=DARK)
        s.text(20, y + 13, value, 10.5)
        y += 13
    right = s.width - 30
    s.text(right, 64, "INVOICE", 26, bold=True, align="right", color=DARK)
    s.text(185, 110, "Customer", 9, bold=True, color=DARK)
    s.lines(185, 112, [c.buyer.name, *c.buyer.address], 10)
    s.y = 190
    cols = [Column("Line total", 75, "right"), Column("Discount", 55, "right"),
            Column("Unit price", 75, "right"), Column("Item", 135),
            Column("Qty", 40, "right")]  # fmt: skip
    s.table(185, cols, _rows(c.items, ["amount", "discount", "price", "desc", "qty"]),
            style="header_rule", size=9)  # fmt: skip
    y = label_value_lines(s, right - 190, right, s.y + 4, [("Subtotal after discounts", c.subtotal),
               (f"Tax {c.tax_rate}%", c.tax), ("Invoice total", c.total)], 9.5)  # fmt: skip
    s.text(185, y + 40, "Line totals are after the discount shown on each line.", 8.5)
    return GeneratedDoc("qty_last", "invoice", "invoice", s.pdf(), s.page, _answers(c), c.items)


def buyer_heading_po(v: Vocabulary) -> GeneratedDoc:
    """Purchase order under the buyer's centred letterhead; a Vendor: block below, a grid of
    Requisitioner / Ship via / F.O.B. / Terms / Required by, items with a Unit column."""
    rng = v.rng
    c = _core(v, rng.randint(3, 6), prefix="PO")
    buyer, vendor = c.seller, c.buyer  # the issuing company is the one buying
    s = Sheet(LETTER, "times", 48)
    mid, right = s.width / 2, s.width - 48
    s.text(mid, 62, buyer.name.upper(), 17, bold=True, align="center")
    s.text(mid, 78, f"{' · '.join(buyer.address)}  ·  {buyer.phone}", 9, align="center")
    s.hline(48, right, 88, 1.5)
    s.hline(48, right, 91, 0.5)
    s.text(mid, 116, "PURCHASE ORDER", 14, bold=True, align="center")
    s.lines(right - 170, 126, [f"P.O. No.: {c.number}", f"Date: {c.date}"], 10)
    s.text(48, 140, "Vendor:", 10, bold=True)
    s.lines(48, 142, [vendor.name, *vendor.address, vendor.email], 10)
    s.text(320, 196, "Ship to:", 10, bold=True)
    s.lines(320, 198, [f"{buyer.name} - Receiving dock", *v.company().address], 10)
    s.y = 250
    titles = ["Requisitioner", "Ship via", "F.O.B.", "Terms", "Required by"]
    grid = [Column(title, 103.2, "center") for title in titles]
    required = format_date(v.date(), rng.choice(DATE_STYLES))
    s.table(48, grid, [[v.person(), rng.choice(["UPS Ground", "FedEx Freight", "Best way",
            "Our truck"]), rng.choice(["Destination", "Shipping point"]), rng.choice(
            ["Net 30", "Net 45", "2% 10, Net 30"]), required]], style="grid", size=8.5)  # fmt: skip
    s.y += 18
    units = [rng.choice(["EA", "BOX", "PK", "CTN"]) for _ in c.items]
    for item, unit in zip(c.items, units, strict=True):
        item.extra["unit"] = unit
    cols = [Column("Item #", 75), Column("Description", 185), Column("Qty", 45, "right"),
            Column("Unit", 40, "center"), Column("Unit price", 85, "right"),
            Column("Total", 86, "right")]  # fmt: skip
    s.table(48, cols, _rows(c.items, ["code", "desc", "qty", "unit", "price", "amount"]),
            style="grid", size=9)  # fmt: skip
    y = label_value_lines(s, right - 200, right - 5, s.y, [("Subtotal", c.subtotal),
               (f"Tax {c.tax_rate}%", c.tax), ("Total", c.total)], 10)  # fmt: skip
    s.lines(48, y + 24, ["1. Please send two copies of your invoice.",
                         "2. Enter this order in accordance with the prices, terms and",
                         "    delivery method specified above."], 8.5)  # fmt: skip
    s.text(right, y + 90, "Authorized by ______________________", 9.5, align="right")
    answers = _answers(c, issuer=_name_answers(buyer), vendor=_name_answers(vendor),
                       required=[required])  # fmt: skip
    answers["buyer"] = _name_answers(buyer)
    answers.pop("due_date")
    return GeneratedDoc("buyer_heading_po", "purchase_order", "purchase order", s.pdf(), s.page,
                        answers, c.items)  # fmt: skip


def _leader(label: str, value: str, width: int) -> str:
    """ "label ........ value" padded with dots to ``width`` characters."""
    dots = max(3, width - len(label) - len(value) - 2)
    return f"{label} {'.' * dots} {value}"


def dotted_leader(v: Vocabulary) -> GeneratedDoc:
    """A dot-matrix printout on green-bar paper in a monospaced font: one "key ........ value"
    line per field, one dotted line per item, totals the same way."""
    c = _core(v, v.rng.randint(3, 6))
    width = 74
    s = Sheet(LETTER, "courier", 60)
    for band in range(0, int(s.height) // 36 + 1):  # green-bar continuous stationery
        if band % 2 == 0:
            s.box(30, band * 36, s.width - 60, 18, fill=PALE, stroke=False)
    for y in range(18, int(s.height), 36):  # tractor-feed holes
        for x in (15, s.width - 15):
            s.canvas.circle(x, s.height - y, 4, stroke=1, fill=0)
    lines = [c.seller.name.upper(), *[a.upper() for a in c.seller.address], "",
             "*** I N V O I C E ***", "",
             _leader("Supplier", c.seller.name, width),
             _leader("Customer", c.buyer.name, width),
             _leader("Customer address", ", ".join(c.buyer.address), width),
             _leader("Invoice number", c.number, width),
             _leader("Invoice date", c.date, width),
             _leader("Payment due", c.due, width), ""]  # fmt: skip
    for item in c.items:
        value = f"{item.qty:>5} x {_num(item.unit_price):>9} = {_num(item.amount):>10}"
        lines.append(_leader(item.description, value, width))
    lines += ["", _leader("Subtotal", c.subtotal, width),
              _leader(f"Tax {c.tax_rate}%", c.tax, width),
              _leader("Total", c.total, width), "", "END OF INVOICE"]  # fmt: skip
    s.lines(66, 40, lines, 9)
    return GeneratedDoc("dotted_leader", "invoice", "invoice", s.pdf(), s.page, _answers(c),
                        c.items)  # fmt: skip


PROBE2_TEMPLATES: dict[str, Callable[[Vocabulary], GeneratedDoc]] = {
    fn.__name__: fn
    for fn in (
        remit_invoice,
        telecom_bill,
        market_till,
        qty_last,
        buyer_heading_po,
        dotted_leader,
    )
}
