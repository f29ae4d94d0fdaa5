"""Text in a chart: Tesseract OCR of image regions, word grouping and number parsing."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from deployments.perception.chart.geometry import Box, colour_distance, modal_colour

MIN_WORD_CONFIDENCE = 20.0
OCR_BORDER = 20  # white margin around every crop: Tesseract misreads text touching the edge


class OcrUnavailable(RuntimeError):
    """Tesseract is missing or failed; the pipeline degrades to geometry only."""


@dataclass(frozen=True)
class Word:
    """One OCR word with its box in image pixels and Tesseract's confidence (0-100)."""

    text: str
    conf: float
    box: Box


@dataclass(frozen=True)
class ParsedNumber:
    """A number read from a label, with what was printed around it (``$``, ``%``, ``k``)."""

    value: float
    prefix: str
    suffix: str
    decimals: int

    @property
    def unit(self) -> str:
        return f"{self.prefix}{self.suffix}".strip()


def tesseract_version() -> str:
    """The Tesseract version, or raise OcrUnavailable."""
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except Exception as exc:  # pytesseract raises its own types and OSError
        raise OcrUnavailable(f"tesseract is not usable: {exc}") from None


def text_gray(
    rgb: np.ndarray, hide: np.ndarray | None, backgrounds: tuple[np.ndarray, ...] = ()
) -> np.ndarray:
    """Grey image for OCR, dark text on white: ``hide`` pixels (plotted series) and pixels of
    the ``backgrounds`` (page, grey plot panel) become white, so Tesseract's binarisation
    sees only the text (a grey panel full of white holes reads as one giant blob)."""
    gray = rgb.astype(np.float32).mean(axis=2)
    for colour in backgrounds:
        if float(np.mean(colour)) >= 110:  # only light backgrounds under dark text
            gray[colour_distance(rgb, colour) < 20] = 255.0
    if hide is not None and hide.any():
        gray[hide] = 255.0
    return gray


def ocr_words(
    gray: np.ndarray,
    region: Box,
    *,
    scale: float,
    psm: int,
    timeout_s: float,
    lang: str = "eng",
    rotate: bool = False,
) -> list[Word]:
    """Words Tesseract reads in ``region`` of ``gray``, boxes in image coordinates.

    The crop is contrast-stretched (its background to white), upscaled by ``scale`` and, when
    ``rotate``, turned 90° clockwise so bottom-to-top text (a y-axis title) reads left to right.
    """
    import pytesseract

    region = region.clip(*gray.shape[:2])
    if region.width < 4 or region.height < 4:
        return []
    crop = gray[region.y0 : region.y1, region.x0 : region.x1]
    background = float(modal_colour(np.repeat(crop[..., None], 3, axis=2))[0])
    if background < 110:  # light text on a dark background
        crop, background = 255.0 - crop, 255.0 - background
    flat = crop.ravel()
    ink = float(np.partition(flat, min(20, flat.size - 1))[min(20, flat.size - 1)])
    if background - ink < 50:
        return []  # nothing drawn darker than the background: no text
    stretched = np.clip((crop - ink) * 255.0 / (background - ink), 0, 255).astype(np.uint8)
    image = Image.fromarray(stretched)
    if rotate:
        image = image.transpose(Image.Transpose.ROTATE_270)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = ImageOps.expand(image.resize(size, Image.Resampling.LANCZOS), OCR_BORDER, fill=255)
    try:
        data = pytesseract.image_to_data(
            image,
            lang=lang,
            config=f"--psm {psm}",
            output_type=pytesseract.Output.DICT,
            timeout=timeout_s,
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrUnavailable(f"tesseract timed out: {exc}") from None
    except Exception as exc:
        raise OcrUnavailable(f"tesseract failed: {exc}") from None
    words = []
    for index, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][index])
        if not text or conf < MIN_WORD_CONFIDENCE:
            continue
        left = (data["left"][index] - OCR_BORDER) / scale
        top = (data["top"][index] - OCR_BORDER) / scale
        width, height = data["width"][index] / scale, data["height"][index] / scale
        if rotate:  # undo the clockwise turn: (x, y) in the turned crop → (y, h - x)
            box = Box(
                region.x0 + region.width - (top + height),
                region.y0 + left,
                region.x0 + region.width - top,
                region.y0 + left + width,
            )
        else:
            box = Box(
                region.x0 + left,
                region.y0 + top,
                region.x0 + left + width,
                region.y0 + top + height,
            )
        words.append(Word(text=text, conf=conf, box=box))
    return words


def ocr_scale(text_height_px: float) -> float:
    """Upscale factor that brings text to the ~30 px Tesseract reads best."""
    return float(np.clip(30.0 / max(text_height_px, 1.0), 1.5, 5.0))


# ---------------------------------------------------------------------------- grouping


def group_rows(words: list[Word]) -> list[list[Word]]:
    """Words on the same text line (vertical overlap), top to bottom, each row left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.box.cy):
        for row in rows:
            top = min(w.box.y0 for w in row)
            bottom = max(w.box.y1 for w in row)
            overlap = min(bottom, word.box.y1) - max(top, word.box.y0)
            if overlap >= 0.5 * min(word.box.height, bottom - top):
                row.append(word)
                break
        else:
            rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w.box.x0)
    rows.sort(key=lambda r: min(w.box.y0 for w in r))
    return rows


def split_row(row: list[Word], gap_factor: float = 1.0) -> list[list[Word]]:
    """Split a row into phrases where the gap between words exceeds ``gap_factor`` × height."""
    phrases: list[list[Word]] = []
    for word in sorted(row, key=lambda w: w.box.x0):
        if phrases:
            last = phrases[-1][-1]
            height = max(last.box.height, word.box.height)
            if word.box.x0 - last.box.x1 <= gap_factor * height:
                phrases[-1].append(word)
                continue
        phrases.append([word])
    return phrases


def join_words(words: list[Word]) -> str:
    """Words of one line in reading order; pieces of one word split by Tesseract (common with
    monospaced fonts: a lowercase continuation under a third of a character width away) are
    rejoined without a space."""
    text = ""
    previous: Word | None = None
    for word in sorted(words, key=lambda w: w.box.x0):
        if previous is not None:
            gap = word.box.x0 - previous.box.x1
            char_width = (word.box.width + previous.box.width) / max(
                len(word.text) + len(previous.text), 1
            )
            inside_word = word.text[:1].islower() and previous.text[-1:].isalpha()
            text += "" if inside_word and gap < 0.3 * char_width else " "
        text += word.text
        previous = word
    return text.strip()


def union_box(words: list[Word]) -> Box:
    box = words[0].box
    for word in words[1:]:
        box = box.union(word.box)
    return box


_LABEL_JUNK = "\"'`“”‘’|_~^*«»:;,.-–—#"


def clean_label(text: str) -> str:
    """A label without stray marks at its ends ('“Mon' → 'Mon') and with single spaces."""
    return " ".join(text.split()).strip(_LABEL_JUNK + " ")


_DIGIT_LOOKALIKES = str.maketrans(
    {"l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "O": "0", "o": "0"}
)
_PREFIXED_NUMBER = re.compile(r"^([A-Za-z]*?)(\d+)$")


def harmonise_labels(labels: list[str]) -> list[str]:
    """Fix digit look-alikes using sibling labels: among 'Q1', 'Q2', 'Q3', a 'Ql' is 'Q1';
    among years, '2O21' is '2021' and '2621' between '2020' and '2022' is '2021'."""
    return _fix_sequences(_fix_prefixes(labels))


def _fix_sequences(labels: list[str]) -> list[str]:
    """Integer labels that mostly step evenly (years): the odd ones out follow the step."""
    numbers = [int(label) if label.isdigit() else None for label in labels]
    known = [(i, n) for i, n in enumerate(numbers) if n is not None]
    if len(known) < 3 or len(known) < 0.6 * len(labels):
        return labels
    best: tuple[int, int, int] | None = None  # (agreeing, start, step)
    for (i, a), (j, b) in itertools.combinations(known, 2):
        if (b - a) % (j - i):
            continue
        step = (b - a) // (j - i)
        start = a - step * i
        agreeing = sum(n == start + step * k for k, n in known)
        if step and (best is None or agreeing > best[0]):
            best = (agreeing, start, step)
    if best is None or best[0] < max(3, 0.6 * len(labels)):
        return labels
    _, start, step = best
    return [
        str(start + step * i) if n is not None else label
        for i, (label, n) in enumerate(zip(labels, numbers, strict=True))
    ]


def _fix_prefixes(labels: list[str]) -> list[str]:
    patterns = [_PREFIXED_NUMBER.match(label) for label in labels]
    prefixes = Counter(m.group(1) for m in patterns if m)
    if not prefixes:
        return labels
    prefix, count = prefixes.most_common(1)[0]
    if count < max(2, len(labels) // 2):
        return labels
    lengths = Counter(len(label) for label, m in zip(labels, patterns, strict=True) if m)
    usual_length = lengths.most_common(1)[0][0]
    fixed = []
    for label, match in zip(labels, patterns, strict=True):
        if match and match.group(1) == prefix:
            fixed.append(label)
            continue
        tail = label[len(prefix) :].translate(_DIGIT_LOOKALIKES)
        misread_prefix = prefix and len(label) == usual_length and not label.startswith(prefix)
        if tail.isdigit() and (label.startswith(prefix) or misread_prefix):
            candidate = prefix + tail
            if candidate not in labels:  # 'Q3' read as '93' becomes 'Q3' only if unused
                label = candidate
        fixed.append(label)
    return fixed


_PRINTABLE_PUNCTUATION = set("$€£¥%.,-+:/()&'’−–#*")


def is_wordlike(text: str) -> bool:
    """True when ``text`` has a letter or digit and few odd marks (drops tick dashes, bars
    read as '|', 'i]' from tick marks, ...)."""
    if not any(ch.isalnum() for ch in text):
        return False
    odd = sum(1 for ch in text if not ch.isalnum() and ch not in _PRINTABLE_PUNCTUATION)
    return odd / len(text) < 0.34


# ---------------------------------------------------------------------------- numbers

_CURRENCY = "$€£¥"
_NUMBER = re.compile(
    r"^(?P<prefix>[$€£¥]?)(?P<sign>[-+]?)(?P<prefix2>[$€£¥]?)"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>\s?(?:%|[kKMB]|bn|[a-zA-Z]{1,3}\$?|[a-zA-Z]{0,2}[$€£¥])?)$"
)
_DASHES = "−–—‐-"


def parse_number(text: str) -> ParsedNumber | None:
    """The number in a tick or value label ('$1,200', '45%', '−3.5', '20k'), or None."""
    cleaned = text.strip().strip("'\"`‘’“”|_:;")
    cleaned = cleaned.rstrip(_DASHES + " .,").replace(" ", "")
    if not cleaned:
        return None
    if cleaned[0] in _DASHES and len(cleaned) > 1:
        cleaned = "-" + cleaned[1:].lstrip(_DASHES)
    cleaned = _fix_ocr_digits(cleaned)
    match = _NUMBER.match(cleaned)
    if not match:
        return None
    number = match.group("number").replace(",", "")
    try:
        value = float(number)
    except ValueError:
        return None
    if match.group("sign") == "-":
        value = -value
    decimals = len(number.split(".")[1]) if "." in number else 0
    prefix = match.group("prefix") or match.group("prefix2")
    return ParsedNumber(
        value=value, prefix=prefix, suffix=match.group("suffix").strip(), decimals=decimals
    )


def _fix_ocr_digits(text: str) -> str:
    """Undo common Tesseract confusions inside numbers (O→0, l→1, S→$ before digits)."""
    if len(text) > 1 and text[0] == "S" and text[1].isdigit():
        text = "$" + text[1:]
    chars = list(text)
    for index, char in enumerate(chars):
        before = chars[index - 1] if index else ""
        after = chars[index + 1] if index + 1 < len(chars) else ""
        near_digit = before.isdigit() or after.isdigit() or before in ".," or after in ".,"
        if char in "Oo" and near_digit:
            chars[index] = "0"
        elif char in "lI|" and near_digit:
            chars[index] = "1"
    return "".join(chars)


def split_merged_number(text: str, parts: int = 2) -> list[list[ParsedNumber]]:
    """Ways to read ``text`` as ``parts`` numbers printed without a gap ('0.80.8')."""
    if parts != 2:
        return []
    options = []
    for cut in range(1, len(text)):
        left, right = parse_number(text[:cut]), parse_number(text[cut:])
        if left and right and text[cut - 1] not in ".," and text[cut] not in ".,":
            options.append([left, right])
    return options


def unit_from_axis_title(title: str) -> str:
    """The unit in an axis title such as 'Revenue ($k)' or 'Share [%]', else ''."""
    match = re.search(r"[(\[]\s*([^()\[\]]{1,8}?)\s*[)\]]", title)
    return match.group(1).strip() if match else ""
