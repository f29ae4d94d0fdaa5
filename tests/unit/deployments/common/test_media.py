import base64
import pickle

import pytest

from deployments.common.errors import InputRejected, InputTooLarge, MalformedInput
from deployments.common.media import decode_base64, decode_data_url, sniff_mime


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"fLaC\x00", "audio/flac"),
        (b"OggS\x00", "audio/ogg"),
        (b"ID3\x04", "audio/mpeg"),
        (b"hello world", None),
    ],
)
def test_sniff(data, mime):
    assert sniff_mime(data) == mime


def test_data_url_round_trip_and_declared_vs_sniffed():
    payload = base64.b64encode(b"%PDF-1.4 rest").decode()
    media = decode_data_url(f"data:image/png;base64,{payload}", max_bytes=1000)
    assert media.data.startswith(b"%PDF")
    assert media.declared_mime == "image/png" and media.sniffed_mime == "application/pdf"
    assert media.mime == "application/pdf"


@pytest.mark.parametrize(
    "url",
    ["http://x", "data:image/png,rawtext", "data:image/png;base64,!!notb64", "data:;base64,"],
)
def test_malformed_data_urls(url):
    with pytest.raises(MalformedInput):
        decode_data_url(url, max_bytes=1000)


def test_limit_checked_before_decoding():
    with pytest.raises(InputTooLarge, match="1000 bytes"):
        decode_base64("A" * 5000, max_bytes=1000)


def test_errors_survive_pickling_with_code():
    error = pickle.loads(
        pickle.dumps(InputTooLarge("too many pages (max 50)", code="too_many_pages"))
    )
    assert isinstance(error, InputRejected) and error.status == 413
    assert error.code == "too_many_pages" and error.message == "too many pages (max 50)"


def test_line_wrapped_base64_decodes_and_the_limit_counts_only_base64():
    raw = bytes(range(256)) * 6  # a multiple of 3: no padding in the size estimate
    wrapped = base64.encodebytes(raw).decode()  # 76-character lines
    assert "\n" in wrapped
    assert decode_base64(wrapped, max_bytes=len(raw)) == raw
    with pytest.raises(InputTooLarge):
        decode_base64(wrapped, max_bytes=len(raw) - 1)
    with pytest.raises(MalformedInput, match="not valid base64"):
        decode_base64(wrapped.replace("A", "!", 1), max_bytes=len(raw))
