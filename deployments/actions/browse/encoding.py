"""Decode fetched HTML bytes: BOM, header charset, <meta charset>, UTF-8, detection, cp1252."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    # Browsers read latin-1 and ascii labels as windows-1252 (WHATWG Encoding standard).
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset the response declares (BOM > header > <meta>), if any is known."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        codec = _codec(match.group(1)) if match else None
        if codec:
            return codec
    match = _META_CHARSET.search(body[:4096])
    return _codec(match.group(1).decode("ascii", "ignore")) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text of ``body`` and the encoding used; never raises on bad bytes."""
    charset = declared_charset(content_type, body)
    if charset:
        if charset == "utf-8" and body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8) :]
        return body.decode(charset, errors="replace"), charset
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # chardet ships with readability-lxml
        import chardet

        guess = chardet.detect(body[:200_000])
        codec = _codec(guess.get("encoding")) if (guess.get("confidence") or 0) >= 0.5 else None
        if codec:
            return body.decode(codec, errors="replace"), codec
    except ImportError:  # pragma: no cover
        pass
    # What browsers assume for undeclared, non-UTF-8 Western pages.
    return body.decode("cp1252", errors="replace"), "cp1252"
