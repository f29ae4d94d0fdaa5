from deployments.perception.ocr.geometry import OcrWord
from deployments.perception.ocr.preprocess import Rulings, Segment
from deployments.perception.ocr.tables import geometry_tables, pdf_ruled_tables, ruled_tables

from . import samples


def grid_words(rows: list[list[str]], x0: float = 100, y0: float = 100) -> list[OcrWord]:
    """Words laid out as a table: columns 200 px apart, rows 40 px apart, text 20 px high."""
    words = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            x = x0 + 200 * c
            for part in cell.split():
                words.append(OcrWord(part, x, y0 + 40 * r, x + 12 * len(part), y0 + 40 * r + 20))
                x += 12 * len(part) + 8
    return words


def test_ruled_grid_assigns_words_to_cells():
    rulings = Rulings(
        horizontal=[Segment(90, 690, y) for y in (90, 130, 170, 210)],
        vertical=[Segment(90, 210, x) for x in (90, 290, 490, 690)],
    )
    words = [*grid_words(samples.TABLE), OcrWord("outside", 100, 400, 180, 420)]
    (table,) = ruled_tables(rulings, words)
    assert table.method == "ruled" and table.rows() == samples.TABLE
    assert all(w.text != "outside" for w in table.words())


def test_lone_lines_are_no_table():
    rulings = Rulings(horizontal=[Segment(0, 600, 100)], vertical=[Segment(0, 300, 50)])
    assert ruled_tables(rulings, grid_words(samples.TABLE)) == []


def test_unruled_table_from_word_geometry():
    rows = [["Item", "Qty", "Price"], ["Desk lamp", "2", "$30.00"], ["Chair", "10", "$1,200.00"]]
    prose = [
        OcrWord(w, 100 + 60 * i, 20, 150 + 60 * i, 40)
        for i, w in enumerate("A heading line above the table".split())
    ]
    (table,) = geometry_tables(prose + grid_words(rows))
    assert table.method == "geometry" and table.rows() == rows


def test_left_header_over_right_aligned_numbers_is_one_column():
    words = [OcrWord("Item", 100, 100, 148, 120), OcrWord("Units", 300, 100, 360, 120)]
    for r, (item, units) in enumerate([("Lamp", "400"), ("Chair", "1,250"), ("Desk", "96")]):
        y = 140 + 40 * r
        words.append(OcrWord(item, 100, y, 100 + 12 * len(item), y + 20))
        words.append(OcrWord(units, 460 - 12 * len(units), y, 460, y + 20))  # right-aligned
    (table,) = geometry_tables(words)
    assert table.rows() == [["Item", "Units"], ["Lamp", "400"], ["Chair", "1,250"], ["Desk", "96"]]


def test_two_columns_of_prose_are_not_a_table():
    words = []
    for r in range(6):
        for column in (0, 600):
            for i in range(7):
                x = 50 + column + 70 * i
                words.append(OcrWord("word", x, 100 + 30 * r, x + 60, 120 + 30 * r))
    assert geometry_tables(words) == []


def test_two_rows_are_not_enough():
    assert geometry_tables(grid_words(samples.TABLE[:2])) == []


def test_pdf_ruled_tables_are_exact(text_pdf):
    tables = pdf_ruled_tables(samples.text_pdf(pages=2), [1])
    assert list(tables) == [1]
    (table,) = tables[1]
    assert table.rows == samples.TABLE and table.method == "ruled"
    x0, top, x1, bottom = table.bbox
    assert x0 < x1 and top < bottom < samples.PAGE[1]
