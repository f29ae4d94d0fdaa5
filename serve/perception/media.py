"""Pull media out of chat content parts, decode it, and check its real type."""

from __future__ import annotations

from dataclasses import dataclass

from deployments.common.errors import InputRejected, UnsupportedInput
from deployments.common.media import decode_base64, decode_data_url, sniff_mime
from serve.api.protocol import AudioPart, ChatMessage, FilePart, ImagePart
from serve.config.schema import InputKind

AUDIO_FORMAT_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "webm": "audio/webm",
}


@dataclass
class MediaItem:
    """One decoded media part of the request, named for citations (doc1, img1, audio1)."""

    source_id: str
    kind: InputKind
    data: bytes
    mime: str
    filename: str | None = None


def _expect(kind: str, sniffed: str | None, declared: str | None, prefix: str) -> str:
    if sniffed is None:
        raise UnsupportedInput(
            f"{kind} part: the bytes are not a recognised {prefix.rstrip('/')} format"
            + (f" (declared {declared})" if declared else ""),
            code="unsupported_media_type",
        )
    if not sniffed.startswith(prefix):
        raise UnsupportedInput(
            f"{kind} part: declared {declared or 'no type'} but the bytes are {sniffed}",
            code="media_type_mismatch",
        )
    return sniffed


def collect_media(messages: list[ChatMessage], *, max_bytes: int) -> list[MediaItem]:
    """Decode every media part of user messages, in order; raises InputRejected on bad media."""
    items: list[MediaItem] = []
    counters = {"doc": 0, "img": 0, "audio": 0}

    def next_id(prefix: str) -> str:
        counters[prefix] += 1
        return f"{prefix}{counters[prefix]}"

    for message in messages:
        if message.role != "user" or not isinstance(message.content, list):
            continue
        for part in message.content:
            if isinstance(part, ImagePart):
                url = part.image_url.url
                if not url.startswith("data:"):
                    raise UnsupportedInput(
                        "image_url must be a data: URL (remote image URLs are not fetched)",
                        code="remote_media_unsupported",
                    )
                media = decode_data_url(url, max_bytes=max_bytes)
                mime = _expect("image_url", media.sniffed_mime, media.declared_mime, "image/")
                items.append(MediaItem(next_id("img"), InputKind.IMAGE, media.data, mime))
            elif isinstance(part, AudioPart):
                declared = AUDIO_FORMAT_MIME.get(part.input_audio.format.lower())
                if declared is None:
                    raise UnsupportedInput(
                        f"input_audio format {part.input_audio.format!r} is not supported; "
                        f"use one of {sorted(AUDIO_FORMAT_MIME)}",
                        code="unsupported_audio_format",
                    )
                data = decode_base64(part.input_audio.data, max_bytes=max_bytes, what="input_audio")
                mime = _expect("input_audio", sniff_mime(data), declared, "audio/")
                items.append(MediaItem(next_id("audio"), InputKind.AUDIO, data, mime))
            elif isinstance(part, FilePart):
                if not part.file.file_data:
                    raise UnsupportedInput(
                        "file parts need file_data (a data: URL); file_id uploads are not stored",
                        code="file_id_unsupported",
                    )
                media = decode_data_url(part.file.file_data, max_bytes=max_bytes)
                if media.sniffed_mime != "application/pdf":
                    raise UnsupportedInput(
                        f"file part: only PDF is read; the bytes are "
                        f"{media.sniffed_mime or 'of unknown type'}",
                        code="unsupported_media_type",
                    )
                items.append(
                    MediaItem(
                        next_id("doc"),
                        InputKind.PDF,
                        media.data,
                        "application/pdf",
                        part.file.filename,
                    )
                )
    return items


__all__ = ["InputRejected", "MediaItem", "collect_media"]
