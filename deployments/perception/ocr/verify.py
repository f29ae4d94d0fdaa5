"""A second, independent reading of the words that carry values (issue #12).

A value read from pixels ("47,194.57", "16/11/2020", "INV-0042") is trusted only when a second
reading agrees. Each word with a digit gets ``checked``: True when the other reading spells
it alike, False when it does not, None when no second reading was made.

- A page the fallback engine also read (an unsure page) is checked against that reading: the
  words of the other engine that overlap the word's box, when that engine read them surely.
  No extra OCR.
- Otherwise the word's crop is read again by the recogniser of PP-OCR (rapidocr), in one
  batch per page: another model family than Tesseract's LSTM, on the greyscale page before
  binarising. Cost: one recogniser pass over the page's value words.

Only letters and digits are compared, case aside: "$308.26" and "S308.26" agree, "$308.26"
and "$388.26" do not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from deployments.perception.ocr.geometry import OcrLine, OcrWord

# Read again: words with a digit (amounts, dates, numbers, identifiers).
VALUE_WORD = re.compile(r"\d")
CROP_PAD = 0.3  # text heights of margin around a word's box
CROSS_SURE = 0.8  # the other engine's confidence for its reading to dispute a word
MIN_OVERLAP = 0.5  # share of the smaller box two readings' words must share to be the same ink

CropReader = Callable[[list[np.ndarray]], list[str]]


def reading_key(text: str) -> str:
    """What two readings must share: letters and digits, upper-cased; a ``S`` read for a
    dollar sign in front of a digit does not count."""
    key = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return key[1:] if text[:1] in "Ss" and text[1:2].isdigit() else key


def same_reading(first: str, second: str) -> bool:
    """Whether two readings of one word spell the same value."""
    return reading_key(first) == reading_key(second)


def value_words(lines: Sequence[OcrLine], limit: int) -> list[OcrWord]:
    """The words to check (those with a digit), at most ``limit``, top of the page first."""
    found = [w for line in lines for w in line.words if VALUE_WORD.search(w.text)]
    return sorted(found, key=lambda w: (w.y0, w.x0))[:limit]


def _crop(page: np.ndarray, word: OcrWord) -> np.ndarray:
    pad = max(2, round(CROP_PAD * word.height))
    height, width = page.shape[:2]
    y0, y1 = max(0, int(word.y0) - pad), min(height, int(word.y1) + pad)
    x0, x1 = max(0, int(word.x0) - pad), min(width, int(word.x1) + pad)
    crop = page[y0:y1, x0:x1]
    return np.ascontiguousarray(np.stack([crop] * 3, axis=-1))


def reread(lines: Sequence[OcrLine], image: Image.Image, read: CropReader, *, limit: int) -> int:
    """Read the value words of ``lines`` again from their crops of ``image``; sets each
    word's ``checked``. Returns how many words were read again."""
    words = [w for w in value_words(lines, limit) if w.x1 > w.x0 and w.y1 > w.y0]
    if not words:
        return 0
    page = np.asarray(image.convert("L"))
    texts = read([_crop(page, w) for w in words])
    for word, text in zip(words, texts, strict=True):
        word.checked = same_reading(word.text, text)
    return len(words)


def _overlap(a: OcrWord, b: OcrWord) -> bool:
    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
    dy = min(a.y1, b.y1) - max(a.y0, b.y0)
    if dx <= 0 or dy <= 0:
        return False
    narrow = min(a.x1 - a.x0, b.x1 - b.x0)
    low = min(a.y1 - a.y0, b.y1 - b.y0)
    return dx >= MIN_OVERLAP * narrow and dy >= MIN_OVERLAP * low


def cross_check(lines: Sequence[OcrLine], other: Sequence[OcrLine], *, limit: int) -> int:
    """Check the value words of ``lines`` against another engine's reading of the same page
    image: the other words over the same ink, left to right, must spell the word (or, for a
    word of three or more characters, contain it: one engine may join what the other
    splits). The other engine read the whole page, and on a page hard enough to need two
    engines its layout analysis garbles many words: only a sure other reading (every word of
    it at ``CROSS_SURE`` or more) can dispute a word. A word nothing covers stays unchecked.
    Returns how many words were checked."""
    others = [w for line in other for w in line.words]
    checked = 0
    for word in value_words(lines, limit):
        over = sorted((o for o in others if _overlap(word, o)), key=lambda o: o.x0)
        if not over:
            continue
        mine, theirs = reading_key(word.text), reading_key("".join(o.text for o in over))
        if mine == theirs or (len(mine) >= 3 and _contains(theirs, mine)):
            word.checked = True
        elif min(o.confidence for o in over) >= CROSS_SURE:
            word.checked = False
        else:
            continue  # an unsure garble says nothing
        checked += 1
    return checked


def _contains(text: str, part: str) -> bool:
    """``part`` inside ``text`` not cut out of a longer number ("10.14" in "RM10.14", not
    "0.14" in "10.14")."""
    for match in re.finditer(re.escape(part), text):
        before = text[match.start() - 1 : match.start()]
        after = text[match.end() : match.end() + 1]
        if not (part[:1].isdigit() and before.isdigit()) and not (
            part[-1:].isdigit() and after.isdigit()
        ):
            return True
    return False
