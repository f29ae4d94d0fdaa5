"""Cheap facts from media headers, without decoding: image pixels, audio seconds, PDF pages.

Every function returns None when the header does not say (the stage then enforces its own
limit); they never decode pixels or samples, so a decompression bomb costs nothing here.
"""

from __future__ import annotations

import re
import struct

# ----------------------------------------------------------------------------------- images
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        i += 2 + length
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", data[4:8])
        (count,) = struct.unpack(order + "H", data[offset : offset + 2])
        found: dict[int, int] = {}
        for n in range(count):
            entry = data[offset + 2 + 12 * n : offset + 14 + 12 * n]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag in (256, 257):
                fmt = "H" if kind == 3 else "I"
                (found[tag],) = struct.unpack(order + fmt, entry[8 : 8 + struct.calcsize(fmt)])
        return (found[256], found[257]) if 256 in found and 257 in found else None
    except (struct.error, KeyError):
        return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


def image_size(data: bytes, mime: str) -> tuple[int, int] | None:
    """``(width, height)`` from the header of a PNG, JPEG, GIF, BMP, WebP or TIFF image."""
    try:
        if mime == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if mime == "image/bmp":
            (dib,) = struct.unpack("<I", data[14:18])
            if dib == 12:
                return struct.unpack("<HH", data[18:22])
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if mime == "image/jpeg":
            return _jpeg_size(data)
        if mime == "image/webp":
            return _webp_size(data)
        if mime == "image/tiff":
            return _tiff_size(data)
    except struct.error:
        return None
    return None


# ------------------------------------------------------------------------------------ audio
def _wav_seconds(data: bytes) -> float | None:
    i, byte_rate = 12, None
    while i + 8 <= len(data):
        chunk, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        if chunk == b"fmt " and size >= 16:
            byte_rate = struct.unpack("<I", data[i + 16 : i + 20])[0]
        elif chunk == b"data":
            if not byte_rate:
                return None
            if size in (0, 0xFFFFFFFF) or i + 8 + size > len(data):  # streamed/truncated
                size = len(data) - i - 8
            return size / byte_rate
        i += 8 + size + (size & 1)
    return None


def _flac_seconds(data: bytes) -> float | None:
    if len(data) < 26 or data[4] & 0x7F != 0:  # first block must be STREAMINFO
        return None
    (bits,) = struct.unpack(">Q", data[18:26])
    rate, total = bits >> 44, bits & ((1 << 36) - 1)
    return total / rate if rate and total else None


_MP3_BITRATES = {  # kbit/s by (MPEG-1?, index), layer III
    True: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    False: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MP3_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _mp3_seconds(data: bytes) -> float | None:
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for b in data[6:10]:
            size = (size << 7) | (b & 0x7F)
        start = 10 + size
    i = data.find(b"\xff", start)
    while 0 <= i < len(data) - 4 and (data[i + 1] & 0xE0) != 0xE0:
        i = data.find(b"\xff", i + 1)
    if i < 0 or i >= len(data) - 4:
        return None
    header = int.from_bytes(data[i : i + 4], "big")
    version, layer = (header >> 19) & 3, (header >> 17) & 3
    bitrate_index, rate_index = (header >> 12) & 0xF, (header >> 10) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or not layer III: unknown
    mpeg1 = version == 3
    rate = _MP3_RATES[version][rate_index]
    samples = 1152 if mpeg1 else 576
    mono = ((header >> 6) & 3) == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    xing = data[i + 4 + side : i + 8 + side + 8]
    if xing[:4] in (b"Xing", b"Info") and int.from_bytes(xing[4:8], "big") & 1:
        frames = int.from_bytes(xing[8:12], "big")
        return frames * samples / rate
    bitrate = _MP3_BITRATES[mpeg1][bitrate_index] * 1000
    return (len(data) - i) * 8 / bitrate


def _ogg_seconds(data: bytes) -> float | None:
    start = 27 + data[26]  # first page: header, segment table, then the id packet
    if data[start : start + 7] == b"\x01vorbis":
        (rate,) = struct.unpack("<I", data[start + 12 : start + 16])
        skip = 0
    elif data[start : start + 8] == b"OpusHead":
        rate, skip = 48000, struct.unpack("<H", data[start + 10 : start + 12])[0]
    else:
        return None
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data) or not rate:
        return None
    (granule,) = struct.unpack("<q", data[last + 6 : last + 14])
    return max(0, granule - skip) / rate if granule >= 0 else None


def audio_seconds(data: bytes, mime: str) -> float | None:
    """Duration of WAV, FLAC, MP3 or Ogg (Vorbis/Opus) audio from its headers."""
    try:
        if mime == "audio/wav":
            return _wav_seconds(data)
        if mime == "audio/flac":
            return _flac_seconds(data)
        if mime == "audio/mpeg":
            return _mp3_seconds(data)
        if mime == "audio/ogg":
            return _ogg_seconds(data)
    except (struct.error, IndexError, KeyError, ZeroDivisionError):
        return None
    return None


# -------------------------------------------------------------------------------------- PDF
_PAGES_COUNT = re.compile(rb"/Type\s*/Pages\b(?:(?!>>).){0,400}?/Count\s+(\d+)", re.S)
_COUNT_PAGES = re.compile(rb"/Count\s+(\d+)(?:(?!>>).){0,400}?/Type\s*/Pages\b", re.S)
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_page_count(data: bytes) -> int | None:
    """Pages of a PDF from its page-tree objects (regex, ~10 ms per 20 MB).

    The root ``/Pages`` node has the largest ``/Count``. PDFs that hide the tree in compressed
    object streams fall back to pypdfium2 (which reads only the cross-reference structure).
    """
    counts = [int(m) for m in _PAGES_COUNT.findall(data)] + [
        int(m) for m in _COUNT_PAGES.findall(data)
    ]
    if counts:
        return max(counts)
    pages = len(_PAGE.findall(data))
    if pages:
        return pages
    try:
        import pypdfium2
    except ImportError:
        return None
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception:
        return None
    try:
        return len(document)
    finally:
        document.close()
