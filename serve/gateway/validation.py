"""Validation hook: sizes, counts, media headers, MIME sniffing, URL schemes.

Errors name the limit that was hit (``gateway.validation.<field>``) and the offending part
(``param``): 400 malformed, 413 over a limit, 415 bytes that are not what they claim,
422 a well-formed type this server does not read.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from deployments.common.errors import InputRejected, InputTooLarge
from deployments.common.media import decode_base64, decode_data_url, sniff_mime
from serve.api.errors import APIError, BadRequest, PayloadTooLarge, UnsupportedMedia
from serve.api.protocol import AudioPart, ChatMessage, FilePart, ImagePart, TextPart
from serve.gateway.config import ValidationSettings
from serve.gateway.context import RequestContext
from serve.gateway.errors import UnsupportedMediaType
from serve.gateway.hook import GatewayHook
from serve.gateway.media_headers import audio_seconds, image_size, pdf_page_count
from serve.perception.media import AUDIO_FORMAT_MIME

_TEXT_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,15})://[^\s<>\"')\]]+", re.IGNORECASE)


@dataclass
class ValidatedMedia:
    """A decoded media part and the facts read from its header."""

    param: str  # messages.<i>.content.<j>
    kind: str  # image, audio, pdf
    mime: str
    data: bytes
    facts: dict[str, Any] = field(default_factory=dict)


def _limit(name: str, value: Any) -> str:
    return f"(limit gateway.validation.{name} = {value})"


def is_private_host(host: str) -> bool:
    """localhost, or an IP literal that is private, loopback, link-local or reserved."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _rejection(exc: InputRejected, param: str, max_bytes: int) -> APIError:
    if isinstance(exc, InputTooLarge):
        return PayloadTooLarge(
            f"{param}: {exc.message} {_limit('max_part_bytes', max_bytes)}",
            code=exc.code,
            param=param,
        )
    return BadRequest(f"{param}: {exc.message}", code=exc.code, param=param)


class ValidationHook(GatewayHook):
    """Rejects oversized, malformed or mislabelled input before any stage sees it."""

    name = "validation"

    def __init__(self, settings: ValidationSettings) -> None:
        self.settings = settings

    async def on_request(self, ctx: RequestContext) -> None:
        if not self.settings.enabled:
            return
        s = self.settings
        if ctx.body_bytes is not None and ctx.body_bytes > s.max_body_bytes:
            raise PayloadTooLarge(
                f"request body of {ctx.body_bytes} bytes is too large "
                f"{_limit('max_body_bytes', s.max_body_bytes)}",
                code="request_too_large",
            )
        if ctx.body is None:
            return
        self._check_counts(ctx.body.messages)
        self._check_response_format(ctx)
        for m_index, message in enumerate(ctx.body.messages):
            if isinstance(message.content, str):
                self._check_text_urls(message, message.content, f"messages.{m_index}.content")
                continue
            for p_index, part in enumerate(message.content or []):
                param = f"messages.{m_index}.content.{p_index}"
                if isinstance(part, TextPart):
                    self._check_text_urls(message, part.text, param)
                elif isinstance(part, ImagePart):
                    image = self._image(part, param)
                    if image is not None:
                        ctx.media.append(image)
                elif isinstance(part, AudioPart):
                    ctx.media.append(self._audio(part, param))
                elif isinstance(part, FilePart):
                    ctx.media.append(self._pdf(part, param))

    # ---------------------------------------------------------------- counts
    def _check_counts(self, messages: list[ChatMessage]) -> None:
        s = self.settings
        counts = {"parts": 0, "image": 0, "audio": 0, "file": 0}
        chars = 0
        for message in messages:
            if isinstance(message.content, str):
                chars += len(message.content)
                continue
            for part in message.content or []:
                counts["parts"] += 1
                if isinstance(part, TextPart):
                    chars += len(part.text)
                elif isinstance(part, ImagePart):
                    counts["image"] += 1
                elif isinstance(part, AudioPart):
                    counts["audio"] += 1
                elif isinstance(part, FilePart):
                    counts["file"] += 1
        checks = [
            ("parts", "max_content_parts", "content parts", "too_many_content_parts"),
            ("image", "max_images", "image parts", "too_many_images"),
            ("audio", "max_audio", "audio parts", "too_many_audio_parts"),
            ("file", "max_files", "file parts", "too_many_files"),
        ]
        for key, setting, what, code in checks:
            limit = getattr(s, setting)
            if counts[key] > limit:
                raise PayloadTooLarge(
                    f"{counts[key]} {what} are too many {_limit(setting, limit)}",
                    code=code,
                    param="messages",
                )
        if chars > s.max_text_chars:
            raise PayloadTooLarge(
                f"{chars} characters of text are too many "
                f"{_limit('max_text_chars', s.max_text_chars)}",
                code="text_too_long",
                param="messages",
            )

    @staticmethod
    def _check_response_format(ctx: RequestContext) -> None:
        fmt = ctx.body.response_format if ctx.body else None
        if fmt is None or fmt.type != "json_schema":
            return
        import jsonschema

        schema = (fmt.json_schema or {}).get("schema")
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise BadRequest(
                f"response_format.json_schema.schema is not a valid JSON Schema: {exc.message}",
                code="invalid_json_schema",
                param="response_format",
            ) from None

    # ------------------------------------------------------------------ URLs
    def _check_text_urls(self, message: ChatMessage, text: str, param: str) -> None:
        if message.role != "user" or "://" not in text:
            return
        s = self.settings
        urls = _TEXT_URL.finditer(text)
        count = 0
        for match in urls:
            scheme = match.group(1).lower()
            if scheme not in s.text_url_schemes:
                continue  # not a link the browse stage follows (file://, ftp:// stay text)
            count += 1
            self._check_host(match.group(0), param)
        if count > s.max_urls:
            raise PayloadTooLarge(
                f"{count} URLs in the text are too many {_limit('max_urls', s.max_urls)}",
                code="too_many_urls",
                param=param,
            )

    def _check_host(self, url: str, param: str) -> None:
        if not self.settings.block_private_hosts:
            return
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            raise BadRequest(f"{param}: malformed URL {url[:80]!r}", code="invalid_url") from None
        if not host or is_private_host(host):
            raise BadRequest(
                f"{param}: URL {url[:80]!r} names a local or private host, which is not fetched "
                f"{_limit('block_private_hosts', True)}",
                code="url_not_allowed",
                param=param,
            )

    def _check_scheme(self, url: str, param: str) -> str:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in self.settings.media_url_schemes:
            raise BadRequest(
                f"{param}: URL scheme {scheme or '(none)'!r} is not accepted; use one of "
                f"{self.settings.media_url_schemes} {_limit('media_url_schemes', '…')}",
                code="unsupported_url_scheme",
                param=param,
            )
        if scheme in ("http", "https"):
            self._check_host(url, param)
        return scheme

    # ----------------------------------------------------------------- media
    def _sniff_against(self, sniffed: str | None, declared: str | None, param: str) -> str:
        if sniffed is None:
            raise UnsupportedMediaType(
                f"{param}: the bytes are not a recognised media type"
                + (f" (declared {declared})" if declared else ""),
                code="unrecognized_media",
                param=param,
            )
        if declared:
            family = declared.split("/")[0]
            if not sniffed.startswith(family + "/") or (
                self.settings.strict_mime and sniffed != declared
            ):
                raise UnsupportedMediaType(
                    f"{param}: declared {declared} but the bytes are {sniffed}",
                    code="media_type_mismatch",
                    param=param,
                )
        return sniffed

    def _image(self, part: ImagePart, param: str) -> ValidatedMedia | None:
        s = self.settings
        url = part.image_url.url
        if self._check_scheme(url, param) != "data":
            return None  # a remote image the perception layer fetches (if enabled)
        try:
            media = decode_data_url(url, max_bytes=s.max_part_bytes)
        except InputRejected as exc:
            raise _rejection(exc, param, s.max_part_bytes) from None
        mime = self._sniff_against(media.sniffed_mime, media.declared_mime, param)
        if mime not in s.image_types:
            raise UnsupportedMedia(
                f"{param}: {mime} is not an accepted image type; accepted: {s.image_types}",
                code="unsupported_image_type",
                param=param,
            )
        size = image_size(media.data, mime)
        if size is None:
            raise BadRequest(
                f"{param}: the {mime} header is unreadable (truncated or corrupt image)",
                code="invalid_image",
                param=param,
            )
        width, height = size
        if width * height > s.max_image_pixels:
            raise PayloadTooLarge(
                f"{param}: image of {width}×{height} = {width * height} pixels is too large "
                f"{_limit('max_image_pixels', s.max_image_pixels)}",
                code="image_too_large",
                param=param,
            )
        return ValidatedMedia(param, "image", mime, media.data, {"width": width, "height": height})

    def _audio(self, part: AudioPart, param: str) -> ValidatedMedia:
        s = self.settings
        fmt = part.input_audio.format.lower()
        declared = AUDIO_FORMAT_MIME.get(fmt)
        if declared is None:
            raise UnsupportedMedia(
                f"{param}: input_audio format {fmt!r} is not supported; use one of "
                f"{sorted(AUDIO_FORMAT_MIME)}",
                code="unsupported_audio_format",
                param=param,
            )
        try:
            data = decode_base64(part.input_audio.data, max_bytes=s.max_part_bytes, what=param)
        except InputRejected as exc:
            raise _rejection(exc, param, s.max_part_bytes) from None
        mime = self._sniff_against(sniff_mime(data), declared, param)
        seconds = audio_seconds(data, mime)
        if seconds is not None and seconds > s.max_audio_seconds:
            raise PayloadTooLarge(
                f"{param}: audio of {seconds:.1f} s is too long "
                f"{_limit('max_audio_seconds', s.max_audio_seconds)}",
                code="audio_too_long",
                param=param,
            )
        return ValidatedMedia(param, "audio", mime, data, {"seconds": seconds})

    def _pdf(self, part: FilePart, param: str) -> ValidatedMedia:
        s = self.settings
        if not part.file.file_data:
            raise UnsupportedMedia(
                f"{param}: file parts need file_data (a data: URL); file_id is not supported",
                code="file_id_unsupported",
                param=param,
            )
        self._check_scheme(part.file.file_data, param)
        try:
            media = decode_data_url(part.file.file_data, max_bytes=s.max_part_bytes)
        except InputRejected as exc:
            raise _rejection(exc, param, s.max_part_bytes) from None
        declared = media.declared_mime
        if declared == "application/octet-stream":
            declared = None
        mime = self._sniff_against(media.sniffed_mime, declared, param)
        if mime != "application/pdf":
            raise UnsupportedMedia(
                f"{param}: file parts must be PDF; the bytes are {mime}",
                code="unsupported_file_type",
                param=param,
            )
        pages = pdf_page_count(media.data)
        if pages is None:
            raise BadRequest(
                f"{param}: the PDF has no readable page tree (corrupt or truncated)",
                code="invalid_pdf",
                param=param,
            )
        if pages > s.max_pdf_pages:
            raise PayloadTooLarge(
                f"{param}: PDF of {pages} pages is too long "
                f"{_limit('max_pdf_pages', s.max_pdf_pages)}",
                code="pdf_too_many_pages",
                param=param,
            )
        return ValidatedMedia(param, "pdf", mime, media.data, {"pages": pages})
