import pytest

from serve.answer.text import ordinal_value, words_to_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seven times six", "7 times 6"),
        ("two to the power of sixty-one, minus one", "2 to the power of 61, minus 1"),
        ("two hundred and five plus a thousand", "205 plus 1000"),
        ("one hundred twenty three thousand four hundred fifty six", "123456"),
        ("one two three", "1 2 3"),  # digits read one by one stay separate numbers
        ("three and four", "3 and 4"),  # "and" joins only after hundred/thousand
        ("an apple and a pear", "an apple and a pear"),
        ("ninety two times ninety", "92 times 90"),
    ],
)
def test_words_to_numbers(text, expected):
    assert words_to_numbers(text) == expected


def test_ordinals():
    assert [ordinal_value(w) for w in ("thirtieth", "fifth", "sixty-first", "30th")] == [
        30,
        5,
        61,
        30,
    ]
    assert ordinal_value("one") is None and ordinal_value("apple") is None
