"""Parse a chat request's input once: decode, sniff and check every part against the limits.

Errors name the limit that was hit (``gateway.validation.<field>``) and the offending part
(``param``): 400 malformed, 413 over a limit, 415 bytes that are not what they claim, 422 a
well-formed type this server does not read. URLs in user text are checked by the same SSRF
guard the browse deployment applies (``actions.browse`` decides which hosts may be reached).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from deployments.common.errors import (
    BadRequest,
    InputTooLarge,
    PayloadTooLarge,
    ServeError,
    UnprocessableContent,
    UnsupportedMediaType,
)
from deployments.common.media import decode_base64, decode_data_url, sniff_mime
from deployments.common.netguard import ForbiddenDestination, NetGuard
from serve.api.protocol import (
    AudioPart,
    ChatCompletionRequest,
    ChatMessage,
    FilePart,
    ImagePart,
    TextPart,
)
from serve.gateway.config import ValidationSettings
from serve.inputs.media_headers import audio_seconds, image_size, pdf_page_count
from serve.inputs.record import SOURCE_PREFIX, MediaInput, RequestInputs
from serve.inputs.remote import RemoteMediaFetcher
from serve.inputs.text import find_code, find_urls
from serve.stages.spec import InputKind

WEB_SCHEMES = ("http", "https")
AUDIO_FORMAT_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "webm": "audio/webm",
}


def _limit(name: str, value: Any) -> str:
    return f"(limit gateway.validation.{name} = {value})"


@dataclass(frozen=True)
class Remote:
    """A media part given by URL, downloaded by :meth:`InputParser.read`."""

    kind: InputKind
    url: str
    param: str


def _loopback_name(host: str) -> bool:
    """``localhost`` and ``*.localhost`` resolve to loopback by definition (RFC 6761)."""
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def last_user_text(messages: list[ChatMessage]) -> str:
    """The text of the last user message with text: the question being answered."""
    for message in reversed(messages):
        if message.role == "user" and message.text().strip():
            return message.text()
    return ""


class InputParser:
    """Turns a :class:`ChatCompletionRequest` into :class:`RequestInputs`, or raises a 4xx.

    ``enforce_limits=False`` (``gateway.validation.enabled: false``) still decodes and sniffs
    every part — stages need real bytes of a real type — but skips the count and size limits.
    """

    def __init__(
        self,
        settings: ValidationSettings,
        guard: NetGuard | None = None,
        *,
        enforce_limits: bool | None = None,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.enforce = settings.enabled if enforce_limits is None else enforce_limits
        self.fetcher = (
            RemoteMediaFetcher(guard, max_bytes=self._max_part_bytes()) if guard else None
        )

    # ------------------------------------------------------------------ entry
    def parse(self, body: ChatCompletionRequest) -> RequestInputs:
        inputs = RequestInputs(question=last_user_text(body.messages))
        if self.enforce:
            self._check_counts(body.messages, inputs)
        self._check_response_format(body)
        counters = dict.fromkeys(SOURCE_PREFIX, 0)
        pending: list[tuple[int, str, Remote]] = []
        for m_index, message in enumerate(body.messages):
            parts = message.content
            if isinstance(parts, str):
                self._check_text_urls(message, parts, f"messages.{m_index}.content")
                continue
            for p_index, part in enumerate(parts or []):
                param = f"messages.{m_index}.content.{p_index}"
                if isinstance(part, TextPart):
                    self._check_text_urls(message, part.text, param)
                    continue
                media = self._media(part, param)
                if media is None or message.role != "user":
                    continue  # checked, but only user media is read
                kind = media.kind if isinstance(media, Remote) else media[0]
                counters[kind] += 1
                source_id = f"{SOURCE_PREFIX[kind]}{counters[kind]}"
                if isinstance(media, Remote):  # downloaded by read(), into this place
                    pending.append((len(inputs.media) + len(pending), source_id, media))
                    continue
                kind, data, mime, facts, filename = media
                inputs.media.append(MediaInput(source_id, kind, data, mime, param, filename, facts))
        self._targets(body.messages, inputs)
        inputs.pending = pending
        return inputs

    async def read(self, body: ChatCompletionRequest) -> RequestInputs:
        """:meth:`parse`, then download remote media through the SSRF guard, in parallel."""
        inputs = self.parse(body)
        if not inputs.pending:
            return inputs
        fetched = await asyncio.gather(*(self._fetch(r) for _, _, r in inputs.pending))
        for (position, source_id, remote), (data, mime, facts) in zip(
            inputs.pending, fetched, strict=True
        ):
            media = MediaInput(source_id, remote.kind, data, mime, remote.param, None, facts)
            inputs.media.insert(position, media)
            key = remote.kind.value
            inputs.part_counts[key] = inputs.part_counts.get(key, 0) + 1
        inputs.pending = []
        return inputs

    async def _fetch(self, remote: Remote) -> tuple[bytes, str, dict[str, Any]]:
        if self.fetcher is None:
            raise UnprocessableContent(
                f"{remote.param}: remote media is not fetched here", param=remote.param
            )
        data, declared = await self.fetcher.fetch(remote.url, remote.param)
        declared = (declared or "").split(";")[0].strip().lower() or None
        if declared and not declared.startswith("image/"):
            declared = None  # servers label images loosely: the bytes decide
        mime, facts = self._image_bytes(data, declared, remote.param)
        return data, mime, facts

    def _targets(self, messages: list[ChatMessage], inputs: RequestInputs) -> None:
        """URLs to browse and code to run come from the last user message."""
        for message in reversed(messages):
            if message.role != "user":
                continue
            text = message.text()
            limit = self.settings.max_urls
            inputs.urls = find_urls(text, WEB_SCHEMES)[:limit]
            if self.guard is not None:
                inputs.urls = [self.guard.parse(u).url for u in inputs.urls]
            inputs.code = find_code(text)[:1]
            break
        for media in inputs.media:
            inputs.part_counts[media.kind.value] = inputs.part_counts.get(media.kind.value, 0) + 1
        if inputs.urls:
            inputs.part_counts[InputKind.URL.value] = len(inputs.urls)

    # ---------------------------------------------------------------- counts
    def _check_counts(self, messages: list[ChatMessage], inputs: RequestInputs) -> None:
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
        inputs.text_chars = chars
        if len(messages) > s.max_messages:
            raise PayloadTooLarge(
                f"{len(messages)} messages are too many {_limit('max_messages', s.max_messages)}",
                code="too_many_messages",
                param="messages",
            )
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
    def _check_response_format(body: ChatCompletionRequest) -> None:
        fmt = body.response_format
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
        urls = find_urls(text, WEB_SCHEMES)
        if self.enforce and len(urls) > self.settings.max_urls:
            raise PayloadTooLarge(
                f"{len(urls)} URLs in the text are too many "
                f"{_limit('max_urls', self.settings.max_urls)}",
                code="too_many_urls",
                param=param,
            )
        for url in urls:
            self._check_host(url, param)

    def _check_host(self, url: str, param: str) -> None:
        if self.guard is None:
            return
        try:
            target = self.guard.parse(url)
            if _loopback_name(target.host) and not self.guard.policy.host_allowed(target.host):
                raise ForbiddenDestination(
                    f"host {target.host!r} is loopback by name", code="loopback_address"
                )
        except ForbiddenDestination as exc:  # the browse guard's own 403 and code
            raise ForbiddenDestination(
                f"{param}: URL {url[:80]!r} is not fetched: {exc.message} "
                "(allowed hosts: actions.browse.allow_hosts / allow_cidrs)",
                code=exc.code,
                param=param,
            ) from None
        except ServeError as exc:
            raise BadRequest(f"{param}: {exc.message}", code=exc.code, param=param) from None

    def _check_scheme(self, url: str, param: str) -> str:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in self.settings.media_url_schemes:
            raise BadRequest(
                f"{param}: URL scheme {scheme or '(none)'!r} is not accepted; use one of "
                f"{self.settings.media_url_schemes} {_limit('media_url_schemes', '…')}",
                code="unsupported_url_scheme",
                param=param,
            )
        if scheme in WEB_SCHEMES:
            self._check_host(url, param)
        return scheme

    # ----------------------------------------------------------------- media
    def _media(self, part: Any, param: str) -> tuple | None:
        if isinstance(part, ImagePart):
            return self._image(part, param)
        if isinstance(part, AudioPart):
            return self._audio(part, param)
        if isinstance(part, FilePart):
            return self._pdf(part, param)
        return None

    def _max_part_bytes(self) -> int:
        return self.settings.max_part_bytes if self.enforce else 2**62

    def _rejection(self, exc: ServeError, param: str) -> ServeError:
        if isinstance(exc, InputTooLarge):
            return PayloadTooLarge(
                f"{param}: {exc.message} {_limit('max_part_bytes', self.settings.max_part_bytes)}",
                code=exc.code,
                param=param,
            )
        return BadRequest(f"{param}: {exc.message}", code=exc.code, param=param)

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

    def _image(self, part: ImagePart, param: str) -> tuple | Remote:
        url = part.image_url.url
        if self._check_scheme(url, param) != "data":
            return Remote(InputKind.IMAGE, url, param)
        try:
            media = decode_data_url(url, max_bytes=self._max_part_bytes())
        except ServeError as exc:
            raise self._rejection(exc, param) from None
        mime, facts = self._image_bytes(media.data, media.declared_mime, param, media.sniffed_mime)
        return InputKind.IMAGE, media.data, mime, facts, None

    def _image_bytes(
        self, data: bytes, declared: str | None, param: str, sniffed: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The image's real type and size, checked against the limits."""
        s = self.settings
        mime = self._sniff_against(sniffed or sniff_mime(data), declared, param)
        if mime not in s.image_types:
            raise UnprocessableContent(
                f"{param}: {mime} is not an accepted image type; accepted: {s.image_types}",
                code="unsupported_image_type",
                param=param,
            )
        size = image_size(data, mime)
        if size is None:
            raise BadRequest(
                f"{param}: the {mime} header is unreadable (truncated or corrupt image)",
                code="invalid_image",
                param=param,
            )
        width, height = size
        if self.enforce and width * height > s.max_image_pixels:
            raise PayloadTooLarge(
                f"{param}: image of {width}×{height} = {width * height} pixels is too large "
                f"{_limit('max_image_pixels', s.max_image_pixels)}",
                code="image_too_large",
                param=param,
            )
        return mime, {"width": width, "height": height}

    def _audio(self, part: AudioPart, param: str) -> tuple:
        s = self.settings
        fmt = part.input_audio.format.lower()
        declared = AUDIO_FORMAT_MIME.get(fmt)
        if declared is None:
            raise UnprocessableContent(
                f"{param}: input_audio format {fmt!r} is not supported; use one of "
                f"{sorted(AUDIO_FORMAT_MIME)}",
                code="unsupported_audio_format",
                param=param,
            )
        try:
            data = decode_base64(
                part.input_audio.data, max_bytes=self._max_part_bytes(), what=param
            )
        except ServeError as exc:
            raise self._rejection(exc, param) from None
        mime = self._sniff_against(sniff_mime(data), declared, param)
        seconds = audio_seconds(data, mime)
        if self.enforce and seconds is not None and seconds > s.max_audio_seconds:
            raise PayloadTooLarge(
                f"{param}: audio of {seconds:.1f} s is too long "
                f"{_limit('max_audio_seconds', s.max_audio_seconds)}",
                code="audio_too_long",
                param=param,
            )
        return InputKind.AUDIO, data, mime, {"seconds": seconds}, None

    def _pdf(self, part: FilePart, param: str) -> tuple:
        s = self.settings
        if not part.file.file_data:
            raise UnprocessableContent(
                f"{param}: file parts need file_data (a data: URL); file_id is not supported",
                code="file_id_unsupported",
                param=param,
            )
        self._check_scheme(part.file.file_data, param)
        try:
            media = decode_data_url(part.file.file_data, max_bytes=self._max_part_bytes())
        except ServeError as exc:
            raise self._rejection(exc, param) from None
        declared = media.declared_mime
        if declared == "application/octet-stream":
            declared = None
        mime = self._sniff_against(media.sniffed_mime, declared, param)
        if mime != "application/pdf":
            raise UnprocessableContent(
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
        if self.enforce and pages > s.max_pdf_pages:
            raise PayloadTooLarge(
                f"{param}: PDF of {pages} pages is too long "
                f"{_limit('max_pdf_pages', s.max_pdf_pages)}",
                code="pdf_too_many_pages",
                param=param,
            )
        return InputKind.PDF, media.data, mime, {"pages": pages}, part.file.filename
