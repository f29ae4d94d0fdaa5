"""Facts of generated business documents, drawn from vocabulary pools split DEV / HELD-OUT.

The held-out pools (company words, legal suffixes, products, cities, people) share nothing
with the dev pools, so a held-out document never repeats a name the small stack was tuned on.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

SPLITS = ("dev", "heldout")

POOLS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "words": (
            "Northwind Bluepeak Granite Harbor Redwood Silverline Oakridge Brightwater Ironbridge "
            "Maple Falcon Summit Crescent Pioneer Evergreen Lakeside Keystone Meridian Sterling "
            "Cobalt Westfield Hillcrest Copperleaf Riverbend"
        ).split(),
        "trades": (
            "Traders Supplies Logistics Components Hardware Systems Foods Textiles Engineering "
            "Office Goods Electrical"
        ).split(),
        "suffixes": ["Ltd", "Inc.", "LLC", "GmbH", "Co.", "Corp."],
        "shops": (
            "Corner Cafe|Daily Fresh Market|Golden Wok Restaurant|Green Leaf Pharmacy|"
            "Sunrise Bakery|City Hardware Store|Blue Door Bistro|Quick Stop Mart"
        ).split("|"),
        "banks": ["First Harbor Bank", "Summit Savings Bank", "Keystone Credit Union"],
        "products": (
            "Copper wire 10m|Steel brackets 40 mm|Office chair (ergonomic)|Printer toner cartridge|"
            "Network cable 5 m|Desk lamp LED|Shipping pallets|Safety gloves, size L|"
            "Cable ties (100 pack)|A4 paper, 500 sheets|Whiteboard markers|USB-C charger 65W|"
            "Hex bolts M8|Packing tape 50 m|Floor cleaner 5 L|Label printer rolls"
        ).split("|"),
        "services": (
            "Consulting hours|Site inspection|Software setup|Staff training|Data migration|"
            "Network audit"
        ).split("|"),
        "menu": (
            "Flat white|Chicken rice|Croissant|Iced tea|Veggie wrap|Fried noodles|Orange juice|"
            "Muffin|Green salad|Espresso"
        ).split("|"),
        "cities": "Springfield Riverton Lakewood Fairview Greenville Bristol Oakland".split(),
        "streets": ["Maple Street", "Harbor Road", "Mill Lane", "Station Avenue", "King Street"],
        "people": ["Anna Keller", "Tom Becker", "Maria Lopez", "James Carter", "Sofia Rossi"],
    },
    "heldout": {
        "words": (
            "Amberly Quarry Thistle Larkspur Vantage Orchard Beacon Harrow Juniper Sandstone "
            "Wexford Tamarind Kestrel Marlow Hawthorne Aldgate Brookvale Calloway Dunmore "
            "Elmstead Fenwick Glenrock"
        ).split(),
        "trades": (
            "Industries Wholesale Packaging Fixtures Instruments Provisions Building Materials "
            "Medical Print Freight Metals"
        ).split(),
        "suffixes": ["PLC", "Pty Ltd", "S.A.", "B.V.", "AG", "Limited", "& Sons", "Group"],
        "shops": (
            "Lotus Noodle House|Harbourside Grocer|Pine & Petal Florist|Uptown Deli|"
            "Mango Tree Kitchen|Village Books|Seven Seas Seafood|Red Lantern Tea Room"
        ).split("|"),
        "banks": ["Westmoor Trust Bank", "Calloway Mutual", "Northgate Savings"],
        "products": (
            "Brass hinges 75 mm|Thermal labels 4x6|Nitrile gloves box|Extension lead 3 m|"
            "Laser pointer|Monitor arm, dual|Storage crates 60 L|Hi-vis vest, size M|"
            "Drill bits set (19)|Bubble wrap roll|Stainless screws 4x40|Door stop, rubber|"
            "Glass cleaner 1 L|Cardboard boxes, medium|Ink cartridge black|Wall clock 30 cm"
        ).split("|"),
        "services": (
            "Design review|Maintenance visit|Cloud hosting (month)|Audit support|Legal advice|"
            "Translation pages"
        ).split("|"),
        "menu": (
            "Pad thai|Cappuccino|Lamb curry|Spring rolls|Mango lassi|Beef burger|Lemonade|"
            "Fish soup|Garlic bread|Chai latte"
        ).split("|"),
        "cities": "Ashford Northam Kingsbridge Millbrook Eastleigh Woodvale Portree".split(),
        "streets": ["Quarry Lane", "Elm Row", "Canal Street", "Victoria Parade", "Bridge End"],
        "people": ["Lena Fischer", "Omar Haddad", "Claire Dubois", "Ravi Menon", "Nora Walsh"],
    },
}

DATE_STYLES = ("iso", "long", "dmy_slash", "mdy_slash", "short_month", "dmy_dot")
CURRENCIES = (("$", "prefix"), ("€", "prefix"), ("£", "prefix"), ("EUR", "suffix"),
              ("USD", "suffix"), ("RM", "prefix"))  # fmt: skip


def format_date(day: dt.date, style: str) -> str:
    if style == "iso":
        return day.isoformat()
    if style == "long":
        return f"{day:%B} {day.day}, {day.year}"
    if style == "dmy_slash":
        return f"{day:%d/%m/%Y}"
    if style == "mdy_slash":
        return f"{day:%m/%d/%Y}"
    if style == "short_month":
        return f"{day.day} {day:%b} {day.year}"
    return f"{day:%d.%m.%Y}"


@dataclass
class Money:
    """How amounts are written on one document."""

    symbol: str
    position: str  # prefix | suffix

    def __call__(self, value: float) -> str:
        number = f"{value:,.2f}"
        if self.position == "suffix":
            return f"{number} {self.symbol}"
        return f"{self.symbol}{number}" if len(self.symbol) == 1 else f"{self.symbol} {number}"


@dataclass
class Item:
    description: str
    qty: str
    unit_price: str
    amount: str
    code: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Party:
    name: str
    address: list[str]
    email: str = ""
    phone: str = ""
    tax_id: str = ""
    brand: str = ""  # the short form a logo shows ("NORTHWIND")


class Vocabulary:
    """Random names, places and goods from one split's pools."""

    def __init__(self, split: str, rng: random.Random) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        self.pool = POOLS[split]
        self.rng = rng

    def company(self, *, suffix: bool = True) -> Party:
        rng, pool = self.rng, self.pool
        first = rng.choice(pool["words"])
        shape = rng.random()
        if shape < 0.5:
            base = f"{first} {rng.choice(pool['trades'])}"
        elif shape < 0.75:
            base = f"{first} & {rng.choice([w for w in pool['words'] if w != first])}"
        else:
            base = f"{first} {' '.join(rng.sample(pool['trades'], 2))}"
        name = f"{base} {rng.choice(pool['suffixes'])}" if suffix else base
        return self._party(name, first.upper())

    def shop(self) -> Party:
        name = self.rng.choice(self.pool["shops"])
        return self._party(name, name.split()[0].upper())

    def bank(self) -> Party:
        name = self.rng.choice(self.pool["banks"])
        return self._party(name, name.split()[0].upper())

    def _party(self, name: str, brand: str) -> Party:
        rng = self.rng
        domain = "".join(c for c in name.split()[0].lower() if c.isalnum())
        address = [
            f"{rng.randint(1, 980)} {rng.choice(self.pool['streets'])}",
            f"{rng.choice(self.pool['cities'])} {rng.randint(10000, 99999)}",
        ]
        return Party(
            name=name,
            address=address,
            email=f"{rng.choice(['billing', 'accounts', 'info', 'sales'])}@{domain}.example.com",
            phone=f"+1 {rng.randint(200, 989)} {rng.randint(200, 989)} {rng.randint(1000, 9999)}",
            tax_id=f"{rng.choice(['VAT', 'GST', 'Tax ID', 'Reg. No.'])} "
            f"{rng.choice(['GB', 'DE', 'US', 'MY'])}{rng.randint(100000000, 999999999)}",
            brand=brand,
        )

    def person(self) -> str:
        return self.rng.choice(self.pool["people"])

    def products(self, count: int, kind: str = "products") -> list[str]:
        pool = self.pool[kind]
        return self.rng.sample(pool, min(count, len(pool)))

    def date(self) -> dt.date:
        return dt.date(
            self.rng.randint(2019, 2026), self.rng.randint(1, 12), self.rng.randint(1, 28)
        )

    def money(self) -> Money:
        return Money(*self.rng.choice(CURRENCIES))

    def number(self, prefix: str) -> str:
        rng = self.rng
        shape = rng.randrange(4)
        if shape == 0:
            return f"{prefix}-{rng.randint(2019, 2026)}-{rng.randint(1, 9999):04d}"
        if shape == 1:
            return f"{prefix}{rng.randint(10000, 999999)}"
        if shape == 2:
            return f"{rng.randint(2019, 2026)}/{rng.randint(1, 999):03d}"
        return f"{prefix[:1]}-{rng.randint(100, 99999)}"


COUNTS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 48, 50, 60, 100, 120, 250)


def line_items(
    vocab: Vocabulary, money: Money, count: int, *, kind: str = "products", hours: bool = False
) -> tuple[list[Item], float]:
    """Items with quantities and prices; the subtotal (sum of line amounts)."""
    rng = vocab.rng
    items, subtotal = [], 0.0
    names = vocab.products(count, kind)
    while len(names) < count:  # long documents repeat goods with a variant
        names.append(f"{rng.choice(vocab.pool[kind])} ({rng.choice(['blue', 'grey', 'XL', 'v2'])})")
    for index, name in enumerate(names):
        qty = rng.choice([0.5, 1.5, 2.5, 4.5, 7.5]) + rng.randint(0, 30) if hours else None
        if qty is None:
            qty = rng.choice(COUNTS)
        price = rng.randint(95, 65000) / 100
        amount = round(qty * price, 2)
        subtotal += amount
        qty_text = f"{qty:g}"
        items.append(
            Item(
                description=name,
                qty=qty_text,
                unit_price=money(price),
                amount=money(amount),
                code=f"{rng.choice('ABCKMPSTX')}{rng.randint(100, 9999)}-{index + 1:02d}",
            )
        )
    return items, round(subtotal, 2)
