import io
import struct

import numpy as np
import pytest

from deployments.common.errors import ServeError
from deployments.common.netguard import GuardPolicy, NetGuard
from serve.gateway.config import ValidationSettings
from serve.gateway.context import RequestContext
from serve.gateway.validation import ValidationHook
from serve.inputs.media_headers import audio_seconds, image_size, pdf_page_count
from serve.inputs.parse import InputParser
from tests.unit.gateway.conftest import chat, text_part
from tests.unit.media_samples import (
    audio_part,
    file_part,
    image_bytes,
    image_part,
    pdf_bytes,
    wav_bytes,
)


async def check(body, body_bytes=None, **settings):
    """The validation hook over the parser (the browse guard's default policy for URLs)."""
    ctx = RequestContext("r", body=body, body_bytes=body_bytes)
    parser = InputParser(ValidationSettings(**settings), NetGuard(GuardPolicy.build()))
    await ValidationHook(parser).on_request(ctx)
    return ctx


async def rejected(body, status, code, body_bytes=None, **settings) -> ServeError:
    """``code`` None: any code (the SSRF guard's own, e.g. metadata_endpoint)."""
    with pytest.raises(ServeError) as err:
        await check(body, body_bytes, **settings)
    assert err.value.status == status, err.value.message
    assert code is None or err.value.code == code, err.value.code
    return err.value


# ------------------------------------------------------------------------- headers
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_image_size_from_header(fmt):
    from deployments.common.media import sniff_mime

    data = image_bytes(fmt, (123, 45))
    assert image_size(data, sniff_mime(data)) == (123, 45)


@pytest.mark.parametrize(
    ("fmt", "subtype", "mime"),
    [
        ("FLAC", None, "audio/flac"),
        ("OGG", "VORBIS", "audio/ogg"),
        ("OGG", "OPUS", "audio/ogg"),
        ("MP3", "MPEG_LAYER_III", "audio/mpeg"),
    ],
)
def test_audio_seconds_from_header(fmt, subtype, mime):
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(48000 * 3), 48000, format=fmt, subtype=subtype)
    assert audio_seconds(buffer.getvalue(), mime) == pytest.approx(3.0, abs=0.05)


def test_wav_seconds_and_pdf_pages():
    assert audio_seconds(wav_bytes(2.5), "audio/wav") == pytest.approx(2.5)
    assert pdf_page_count(pdf_bytes(3)) == 3
    assert pdf_page_count(b"%PDF-1.4 nothing here") is None


def test_png_header_claims_are_read_without_decoding():
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 50000, 50000)
    assert image_size(bomb + b"\x08\x02\x00\x00\x00", "image/png") == (50000, 50000)


# ---------------------------------------------------------------------- rejections
async def test_body_and_count_limits():
    await rejected(chat("hi"), 413, "request_too_large", body_bytes=30_000_000)
    png = image_bytes()
    await rejected(chat(*[text_part("x")] * 5), 413, "too_many_content_parts", max_content_parts=4)
    await rejected(chat(image_part(png), image_part(png)), 413, "too_many_images", max_images=1)
    await rejected(chat(audio_part(wav_bytes(0.1))), 413, "too_many_audio_parts", max_audio=0)
    await rejected(chat(file_part(pdf_bytes(1))), 413, "too_many_files", max_files=0)
    error = await rejected(chat("x" * 2000), 413, "text_too_long", max_text_chars=1000)
    assert "gateway.validation.max_text_chars = 1000" in error.message


async def test_invalid_json_schema_is_400():
    body = chat(
        "hi",
        response_format={"type": "json_schema", "json_schema": {"schema": {"type": "nope"}}},
    )
    await rejected(body, 400, "invalid_json_schema")


async def test_urls_in_text():
    await rejected(chat("see http://127.0.0.1:8080/admin"), 403, None)
    await rejected(chat("see http://localhost/x"), 403, None)
    await rejected(chat("meta http://169.254.169.254/latest"), 403, None)
    await rejected(chat(" ".join(f"https://e{i}.com" for i in range(3))), 413, "too_many_urls",
                   max_urls=2)  # fmt: skip
    await rejected(chat("see http://[::1/broken"), 400, "invalid_url")
    ctx = await check(chat("read https://example.com/a and file:///etc/passwd"))
    assert ctx.inputs.media == [] and ctx.inputs.urls == ["https://example.com/a"]
    await rejected(chat("see http://[::1]/x"), 403, None)
    await rejected(chat("see http://10.1.2.3/x"), 403, None)
    assert (await check(chat("see http://8.8.8.8/x"))).inputs.urls == ["http://8.8.8.8/x"]


async def test_media_url_schemes_base64_and_data_urls():
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    await rejected(chat(remote), 400, "unsupported_url_scheme", media_url_schemes=["data"])
    ftp = {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}
    await rejected(chat(ftp), 400, "unsupported_url_scheme")
    private = {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/cat.png"}}
    await rejected(chat(private), 403, None)  # the browse guard's policy
    bad_b64 = {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@@"}}
    await rejected(chat(bad_b64), 400, "invalid_base64")
    not_b64 = {"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}
    await rejected(chat(not_b64), 400, "invalid_data_url")
    empty = {"type": "image_url", "image_url": {"url": "data:image/png;base64,"}}
    await rejected(chat(empty), 400, "empty_media")
    big = image_part(image_bytes("BMP", (200, 200)), "image/bmp")
    error = await rejected(chat(big), 413, "media_too_large", max_part_bytes=1000)
    assert "max_part_bytes" in error.message


async def test_image_rejections():
    await rejected(chat(image_part(pdf_bytes(1), "image/png")), 415, "media_type_mismatch")
    await rejected(chat(image_part(b"just some text bytes")), 415, "unrecognized_media")
    jpeg = image_bytes("JPEG")
    await check(chat(image_part(jpeg, "image/png")))  # same family: tolerated by default
    await rejected(
        chat(image_part(jpeg, "image/png")), 415, "media_type_mismatch", strict_mime=True
    )
    await rejected(chat(image_part(image_bytes("TIFF"), "image/tiff")), 422,
                   "unsupported_image_type", image_types=["image/png"])  # fmt: skip
    await rejected(chat(image_part(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4)), 400, "invalid_image")
    error = await rejected(chat(image_part(image_bytes("PNG", (300, 200)))), 413,
                           "image_too_large", max_image_pixels=50_000)  # fmt: skip
    assert "300×200" in error.message and "max_image_pixels" in error.message
    ctx = await check(chat(image_part(image_bytes("PNG", (30, 20)))))
    assert ctx.inputs.media[0].facts == {"width": 30, "height": 20}


async def test_audio_rejections():
    await rejected(chat(audio_part(wav_bytes(0.1), "aiff")), 422, "unsupported_audio_format")
    await rejected(chat(audio_part(image_bytes(), "wav")), 415, "media_type_mismatch")
    bad = {"type": "input_audio", "input_audio": {"data": "!!notbase64", "format": "wav"}}
    await rejected(chat(bad), 400, "invalid_base64")
    error = await rejected(chat(audio_part(wav_bytes(3.0))), 413, "audio_too_long",
                           max_audio_seconds=2)  # fmt: skip
    assert "3.0 s" in error.message
    ctx = await check(chat(audio_part(wav_bytes(1.0))))
    assert ctx.inputs.media[0].facts["seconds"] == pytest.approx(1.0)


async def test_pdf_rejections():
    error = await rejected(
        chat(file_part(pdf_bytes(4))), 413, "pdf_too_many_pages", max_pdf_pages=3
    )
    assert "4 pages" in error.message
    await rejected(chat(file_part(image_bytes(), "image/png")), 422, "unsupported_file_type")
    await rejected(chat(file_part(pdf_bytes(1), "image/png")), 415, "media_type_mismatch")
    await rejected(chat(file_part(b"%PDF-1.7 garbage without pages")), 400, "invalid_pdf")
    no_data = {"type": "file", "file": {"file_id": "file-123"}}
    await rejected(chat(no_data), 422, "file_id_unsupported")
    ctx = await check(chat(file_part(pdf_bytes(2), "application/octet-stream")))
    assert ctx.inputs.media[0].facts == {"pages": 2}


async def test_disabled_validation_passes_everything():
    await check(chat("x" * 5000), max_text_chars=10, enabled=False)


class _ImageServer:
    """A loopback HTTP server with one PNG, one redirect and one 404 (test only)."""

    def __enter__(self):
        import http.server
        import threading

        png = image_bytes("PNG", (20, 10))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/cat.png":
                    self.send_response(200)
                    self.send_header("content-type", "image/png")
                    self.end_headers()
                    self.wfile.write(png)
                elif self.path == "/moved":
                    self.send_response(302)
                    self.send_header("location", "/cat.png")
                    self.end_headers()
                else:
                    self.send_response(404)
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


async def test_remote_images_are_downloaded_through_the_guard_in_place():
    from serve.api.protocol import ChatCompletionRequest

    policy = GuardPolicy.build(allow_cidrs=["127.0.0.1/32"], allowed_ports=None)
    parser = InputParser(ValidationSettings(), NetGuard(policy))
    with _ImageServer() as site:
        body = ChatCompletionRequest.model_validate(
            {
                "model": "interfaze",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            image_part(image_bytes("PNG", (8, 8))),
                            {"type": "image_url", "image_url": {"url": f"{site.base}/moved"}},
                            {"type": "text", "text": "Compare them."},
                        ],
                    }
                ],
            }
        )
        inputs = await parser.read(body)
        assert [m.source_id for m in inputs.media] == ["img1", "img2"]
        assert inputs.media[1].facts == {"width": 20, "height": 10}
        assert inputs.media[1].mime == "image/png" and inputs.part_counts["image"] == 2
        missing = body.model_copy(deep=True)
        missing.messages[0].content[1].image_url.url = f"{site.base}/nothing.png"
        with pytest.raises(ServeError) as err:
            await parser.read(missing)
        assert (err.value.status, err.value.code) == (400, "invalid_image_url")
