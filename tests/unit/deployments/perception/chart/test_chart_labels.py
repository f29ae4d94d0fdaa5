"""Number parsing, OCR clean-up and label grouping."""

import pytest

from deployments.perception.chart.geometry import Box
from deployments.perception.chart.labels import (
    Word,
    clean_label,
    group_rows,
    harmonise_labels,
    parse_number,
    split_merged_number,
    split_row,
    unit_from_axis_title,
)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("0", 0.0, ""),
        ("1,200", 1200.0, ""),
        ("$4,000", 4000.0, "$"),
        ("45%", 45.0, "%"),
        ("$20k", 20.0, "$k"),
        ("−3.5", -3.5, ""),
        ("-12", -12.0, ""),
        ("0.80 kg", 0.8, "kg"),
        ("$1.2-", 1.2, "$"),  # the tick mark read as a dash
        ("S40", 40.0, "$"),  # '$' read as 'S'
        ("1O0", 100.0, ""),  # 'O' inside a number
        ("3.5M", 3.5, "M"),
    ],
)
def test_parse_number(text, value, unit):
    parsed = parse_number(text)
    assert parsed is not None
    assert parsed.value == pytest.approx(value)
    assert parsed.unit == unit


@pytest.mark.parametrize("text", ["", "Q1", "North", "abc12", "—", "12abcd"])
def test_not_numbers(text):
    assert parse_number(text) is None


def test_decimals_are_counted():
    assert parse_number("2.50").decimals == 2
    assert parse_number("7").decimals == 0


def test_merged_labels_split_into_two_numbers():
    options = split_merged_number("0.80.8")
    assert [[p.value for p in option] for option in options] == [[0.8, 0.8]]
    assert split_merged_number("12") == [[parse_number("1"), parse_number("2")]]


def test_axis_title_units():
    assert unit_from_axis_title("Revenue ($k)") == "$k"
    assert unit_from_axis_title("Share [%]") == "%"
    assert unit_from_axis_title("Revenue") == ""


def test_label_clean_up_and_digit_look_alikes():
    assert clean_label("“Mon") == "Mon"
    assert clean_label("  Team   A ") == "Team A"
    assert harmonise_labels(["Ql", "Q2", "Q3", "Q4"]) == ["Q1", "Q2", "Q3", "Q4"]
    assert harmonise_labels(["2019", "2O20", "2021"]) == ["2019", "2020", "2021"]
    assert harmonise_labels(["North", "South"]) == ["North", "South"]


def _word(text, x0, y0, x1, y1):
    return Word(text=text, conf=90.0, box=Box(x0, y0, x1, y1))


def test_rows_and_phrases():
    words = [
        _word("Team", 100, 10, 140, 22),
        _word("A", 145, 10, 155, 22),
        _word("Costs", 300, 11, 350, 23),
        _word("Title", 10, 50, 60, 62),
    ]
    rows = group_rows(words)
    assert [[w.text for w in row] for row in rows] == [["Team", "A", "Costs"], ["Title"]]
    phrases = split_row(rows[0], gap_factor=1.0)
    assert [[w.text for w in p] for p in phrases] == [["Team", "A"], ["Costs"]]


def test_year_sequences_repair_misread_digits():
    assert harmonise_labels(["2019", "2020", "2621", "2022", "2923", "2024"]) == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    assert harmonise_labels(["5", "17", "3"]) == ["5", "17", "3"]  # no even step: unchanged
