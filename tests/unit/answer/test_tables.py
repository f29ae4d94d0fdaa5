from serve.answer.tables import TableAnswerer, answer_table, receipt_items, table_items
from serve.context.observations import Observation

TABLE = TableAnswerer()


def table(rows: list[list[str]], confidence: float = 0.95) -> Observation:
    return Observation("doc1", "table 1 p.1", "table", "", confidence, "ocr", {"rows": rows})


def test_arithmetic_finds_the_columns_whatever_the_headers_and_order():
    # Quantity last, price under an unusual header, amount first.
    rows = [
        ["Line", "Item", "Total", "Each", "Count"],
        ["1", "Hex bolts M8", "€37.50", "€2.50", "15"],
        ["2", "Copper wire 10m", "€96.00", "€12.00", "8"],
        ["3", "Cable ties", "€9.90", "€3.30", "3"],
    ]
    items = {i.description: i for i in table_items(table(rows))}
    wire = items["Copper wire 10m"]
    assert wire.verified and wire.cells == {"qty": "8", "unit_price": "€12.00", "amount": "€96.00"}
    answer = TABLE.answer("How many units of 'Copper wire 10m' were ordered?", [table(rows)])
    assert answer.text == "8" and answer.confidence >= 0.9
    assert TABLE.answer("What is the unit price of Hex bolts M8?", [table(rows)]).text == "€2.50"
    assert TABLE.answer("What is the line total for Cable ties?", [table(rows)]).text == "€9.90"


def test_a_named_quantity_column_wins():
    rows = [
        ["Item", "Ordered", "Shipped", "Backorder"],
        ["Packing tape 50 m", "54", "42", "12"],
        ["Shipping pallets", "29", "15", "14"],
    ]
    shipped = TABLE.answer("How many Shipping pallets were shipped?", [table(rows)])
    ordered = TABLE.answer("How many Shipping pallets were ordered?", [table(rows)])
    assert shipped.text == "15" and ordered.text == "29"


def test_quantity_merged_into_the_description_is_split_when_arithmetic_agrees():
    rows = [["Qty Item", "Each", "Total"], ["8 Desk lamp LED", "€198.23", "€1,585.84"],
            ["10 Label printer rolls", "€75.85", "€758.50"]]  # fmt: skip
    answer = TABLE.answer("How many units of 'Desk lamp LED' were ordered?", [table(rows)])
    assert answer.text == "8" and answer.data["verified"]


def test_totals_rows_are_not_items():
    rows = [["Description", "Qty", "Price", "Amount"], ["Widget", "2", "5.00", "10.00"],
            ["", "", "Subtotal", "10.00"], ["", "", "Total", "10.00"]]  # fmt: skip
    assert [i.description for i in table_items(table(rows))] == ["Widget"]


def test_receipt_lines_with_quantity_times_price():
    page = Observation(
        "img1", "", "page", "GOLDEN WOK\nGreen salad\n1 x 9.21 9.21\nFlat white 2 x 3.50 7.00\n",
        0.9, "ocr",
    )  # fmt: skip
    items = {i.description: i for i in receipt_items(page)}
    assert items["Green salad"].cells["qty"] == "1" and items["Green salad"].verified
    assert items["Flat white"].cells["amount"] == "7.00"
    assert TABLE.answer("How many Flat white were bought?", [page]).text == "2"


def test_a_misread_row_is_not_verified():
    page = Observation("img1", "", "page", "Croissant\n41x 9.21 9.21\n", 0.9, "ocr")
    (item,) = receipt_items(page)
    assert not item.verified
    answer = TABLE.answer("How many Croissant were bought?", [page])
    assert answer is None or answer.confidence < 0.9


def test_words_of_the_item_do_not_pick_the_column():
    rows = [
        ["Item", "Ordered", "Shipped", "Backorder"],
        ["Packing tape 50 m", "54", "42", "12"],
        ["Shipping pallets", "70", "59", "11"],
    ]
    # "number of" asks for a quantity without naming the column: ordered or shipped?
    answer = TABLE.answer("What number of Shipping pallets does it list?", [table(rows)])
    assert answer is None or answer.confidence < 0.65


def test_how_much_for_an_item_in_total_is_its_line_amount():
    rows = [
        ["Description", "Qty", "Unit price", "Amount"],
        ["Network cable 5 m", "400", "35.83", "14,332.00"],
        ["Desk lamp LED", "2", "10.00", "20.00"],
    ]
    answer = TABLE.answer("How much for Network cable 5 m in total?", [table(rows)])
    assert answer.text == "14,332.00" and answer.confidence >= 0.9
    quantity = TABLE.answer("What number of Desk lamp LED does it list?", [table(rows)])
    assert quantity.text == "2"


def test_an_unchecked_row_read_from_pixels_is_not_trusted():
    rows = [["Item", "Qty", "Price", "Amount"], ["Chicken rice", "1", "12.89", "12.39"],
            ["Iced tea", "2", "3.00", "6.00"]]  # fmt: skip
    scanned = Observation("img1", "table 1", "table", "", 0.95, "ocr", {"page": 1, "rows": rows})
    page = Observation("img1", "", "page", "", 0.95, "ocr", {"page": 1, "source": "ocr"})
    misread = TABLE.answer("Price of a single Chicken rice?", [page, scanned])
    checked = TABLE.answer("Price of a single Iced tea?", [page, scanned])
    assert misread.confidence < 0.65 <= checked.confidence


def test_a_cell_whose_question_names_another_row_is_not_sure():
    rows = [["Charge", "Cost"], ["Freight", "40.00"], ["Insurance", "5.00"], ["Handling", "3.00"]]
    sure = answer_table("What is the freight cost?", rows)
    unsure = answer_table("What is the freight insurance cost?", rows)
    assert sure[0] == "40.00" and sure[1] >= 0.75
    assert unsure is None or unsure[1] <= 0.6 * sure[1] + 1e-9


def test_highest_needs_a_named_row_not_a_figure():
    rows = [["Qty", "Description", "Unit price"], ["3", "Bolts", "1.20"], ["60", "Nuts", "0.10"]]
    assert answer_table("What is the highest unit price?", rows) is None


def test_label_value_rows_are_no_header_table():
    rows = [
        ["Subtotal", "RM 30,109.52"],
        ["VAT (20%)", "RM 6,021.90"],
        ["Amount due", "RM 36,131.42"],
    ]
    assert answer_table("What's the pre-tax total?", rows) is None
    assert answer_table("What is the amount due?", rows) is None


def test_an_amount_due_row_is_a_summary_row():
    rows = [["Label", "Value"], ["Shipping", "12.00"], ["Amount due", "120.00"]]
    found = answer_table("What is the total amount?", rows)
    assert found is None or found[1] <= 0.6  # one of the page's totals: the fields decide


def test_label_value_rows_hold_no_items():
    rows = [["Subtotal", "£17,744.52"], ["Tax 7%", "£1,242.12"], ["Order total", "£18,986.64"]]
    assert table_items(table(rows)) == []


def test_a_count_of_days_multiplies_into_the_line_charge():
    rows = [["Equipment", "Qty", "Days", "Rate / day", "Charge"],
            ["Steel brackets 40 mm", "2", "7", "£41.24", "£577.36"],
            ["Printer toner cartridge", "1", "11", "£92.64", "£1,019.04"],
            ["Desk lamp LED", "5", "15", "£71.60", "£5,370.00"]]  # fmt: skip
    table = Observation("d", "table 1", "table", "", 0.9, "ocr", {"rows": rows})
    items = {i.description: i for i in table_items(table)}
    lamp = items["Desk lamp LED"]
    assert lamp.verified and lamp.cells["qty"] == "5" and lamp.cells["amount"] == "£5,370.00"
    rows[3][4] = "£5,730.00"  # a misread charge: the row's arithmetic no longer holds
    assert not {i.description: i for i in table_items(table)}["Desk lamp LED"].verified


def test_dot_leaders_and_till_count_lines_are_read_as_items():
    from tests.unit.answer.test_fields import page

    printout = page(
        "DOT MATRIX SUPPLY CO LTD\nInvoice number ........ INV-4471\n"
        "Copper wire 10m ........ 20 x 497.57 = 9,951.40\nTotal .................. 9,951.40"
    )
    items = {i.description: i for i in receipt_items(printout)}
    wire = items["Copper wire 10m"]
    assert wire.verified and wire.cells == {"qty": "20", "unit_price": "497.57",
                                            "amount": "9,951.40"}  # fmt: skip
    till = page("FRESH MART\nCHICKEN RICE\t13.48 A\n4 @ 3.37\nESPRESSO\t8.79 B\nBALANCE DUE\t22.27")
    items = {i.description: i for i in receipt_items(till)}
    assert items["CHICKEN RICE"].verified and items["CHICKEN RICE"].cells["qty"] == "4"
    assert "ESPRESSO" not in items  # no count printed: not for the small stack to assume one
