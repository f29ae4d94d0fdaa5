"""Audio intake: sniff, probe the header against the limits, then decode to 16 kHz mono.

Everything cheap happens first: size, media type and the duration the container declares
(a WAV header is parsed by hand, other containers by libavformat without decoding), so a file
that claims ten hours is refused in milliseconds. Decoding re-checks the duration as frames
arrive, so a header that lies cannot make a replica decode more than the limit.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np

from deployments.common.errors import (
    InputTooLarge,
    MalformedInput,
    UnsupportedInput,
)
from deployments.common.media import sniff_mime
from deployments.perception.asr.config import AsrSettings

TARGET_SAMPLE_RATE = 16_000

# libavformat demuxer name -> our format name
_CONTAINERS = {
    "wav": "wav",
    "mp3": "mp3",
    "flac": "flac",
    "ogg": "ogg",
    "matroska,webm": "webm",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
}
# Streaming writers (ffmpeg, sox, espeak-ng --stdout) put 0, 0x7FFFF000 or 0xFFFFFFFF in the
# data size when they do not know the length; any real file that large is over max_bytes anyway.
_WAV_UNKNOWN_SIZE_FROM = 0x7FFFF000
# Containers whose header gives the exact length: decoding 10% less means a truncated file.
# Elsewhere the declared length is an estimate, and only half of it counts.
_EXACT_LENGTH_FORMATS = {"wav", "flac"}


@dataclass(frozen=True)
class AudioLimits:
    """What the intake accepts; built from :class:`AsrSettings`."""

    max_bytes: int
    max_duration_s: float
    min_sample_rate: int = 4000
    max_sample_rate: int = 384_000
    max_channels: int = 8
    allowed_formats: tuple[str, ...] = ("wav", "mp3", "flac", "ogg", "webm", "mp4")

    @classmethod
    def from_settings(cls, settings: AsrSettings) -> AudioLimits:
        return cls(
            max_bytes=settings.max_bytes,
            max_duration_s=settings.max_duration_s,
            min_sample_rate=settings.min_sample_rate,
            max_sample_rate=settings.max_sample_rate,
            max_channels=settings.max_channels,
            allowed_formats=tuple(settings.allowed_formats),
        )


@dataclass(frozen=True)
class AudioProbe:
    """What the container header says, before any decoding."""

    format: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None
    size_bytes: int


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples at 16 kHz, ready for Whisper."""

    samples: np.ndarray
    sample_rate: int
    source_sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def sniff_audio(data: bytes) -> str | None:
    """The media type of ``data`` by magic bytes (adds RF64 and bare MP3 frame sync)."""
    mime = sniff_mime(data)
    if mime:
        return mime
    if data[:4] in (b"RF64", b"BW64") and data[8:12] == b"WAVE":
        return "audio/wav"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    return None


def _describe(mime: str | None, filename: str | None) -> str:
    parts = [p for p in (f"'{filename}'" if filename else None, mime) if p]
    return f" ({', '.join(parts)})" if parts else ""


def probe_audio(
    data: bytes,
    limits: AudioLimits,
    *,
    mime: str | None = None,
    filename: str | None = None,
) -> AudioProbe:
    """Check size, type, sample rate and declared duration; raise an InputRejected on failure."""
    what = _describe(mime, filename)
    if not data:
        raise MalformedInput(f"audio file{what} is empty (zero bytes)", code="empty_audio")
    if len(data) > limits.max_bytes:
        raise InputTooLarge(
            f"audio file is {len(data)} bytes, over the limit of {limits.max_bytes} bytes "
            "(max_bytes)",
            code="audio_too_large",
        )
    sniffed = sniff_audio(data)
    if sniffed and not sniffed.startswith("audio/"):
        raise UnsupportedInput(
            f"the file{what} is {sniffed}, not audio", code="unsupported_media_type"
        )
    if sniffed == "audio/wav" and data[:4] == b"RIFF":
        layout = _parse_wav(data, what)  # by hand: a lying header is refused before libav
        probe = _wav_probe(layout, len(data))
        _check_probe(probe, limits)
        _check_wav_complete(layout, len(data), what)
        return probe
    probe = _probe_container(data, what)
    _check_probe(probe, limits)
    return probe


def _check_probe(probe: AudioProbe, limits: AudioLimits) -> None:
    if probe.format not in limits.allowed_formats:
        raise UnsupportedInput(
            f"audio format '{probe.format}' is not accepted; accepted: "
            f"{', '.join(limits.allowed_formats)}",
            code="unsupported_audio_format",
        )
    if probe.duration_s is not None and probe.duration_s > limits.max_duration_s:
        raise InputTooLarge(
            f"audio lasts {probe.duration_s:.1f} s, over the limit of "
            f"{limits.max_duration_s:g} s (max_duration_s)",
            code="audio_too_long",
        )
    if not limits.min_sample_rate <= probe.sample_rate <= limits.max_sample_rate:
        raise UnsupportedInput(
            f"sample rate {probe.sample_rate} Hz is outside the accepted range "
            f"{limits.min_sample_rate}-{limits.max_sample_rate} Hz",
            code="unsupported_sample_rate",
        )
    if not 1 <= probe.channels <= limits.max_channels:
        raise UnsupportedInput(
            f"{probe.channels} audio channels; accepted: 1-{limits.max_channels}",
            code="unsupported_channels",
        )


@dataclass(frozen=True)
class _WavLayout:
    sample_rate: int
    channels: int
    byte_rate: int
    block_align: int
    format_tag: int
    data_offset: int
    data_size: int | None  # None: the header does not know (streaming writer)


def _parse_wav(data: bytes, what: str) -> _WavLayout:
    """Walk the RIFF chunks up to ``data`` (no sample is read)."""
    bad = f"audio file{what} is not a valid WAV file"
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise MalformedInput(f"{bad}: short 'fmt ' chunk", code="malformed_audio")
            fmt = struct.unpack_from("<HHIIH", data, body)
        elif chunk_id == b"data":
            if fmt is None:
                raise MalformedInput(f"{bad}: 'data' before 'fmt '", code="malformed_audio")
            tag, channels, rate, byte_rate, block_align = fmt
            if not (channels and rate and byte_rate and block_align):
                raise MalformedInput(f"{bad}: zero rate or channels", code="malformed_audio")
            return _WavLayout(
                sample_rate=rate,
                channels=channels,
                byte_rate=byte_rate,
                block_align=block_align,
                format_tag=tag,
                data_offset=body,
                data_size=None if size == 0 or size >= _WAV_UNKNOWN_SIZE_FROM else size,
            )
        pos = body + size + (size & 1)
    raise MalformedInput(f"{bad}: no 'fmt '/'data' chunk", code="malformed_audio")


def _wav_probe(layout: _WavLayout, file_size: int) -> AudioProbe:
    """Duration from the declared data size, or from the bytes present when it is unknown."""
    size = layout.data_size
    if size is None:
        size = file_size - layout.data_offset
    return AudioProbe(
        format="wav",
        codec=f"wav-format-{layout.format_tag:#06x}",
        sample_rate=layout.sample_rate,
        channels=layout.channels,
        duration_s=size / layout.byte_rate,
        size_bytes=file_size,
    )


def _check_wav_complete(layout: _WavLayout, file_size: int, what: str) -> None:
    present = file_size - layout.data_offset
    if layout.data_size is not None and layout.data_size > present + layout.block_align:
        raise MalformedInput(
            f"truncated WAV file{what}: the header declares {layout.data_size} bytes of "
            f"audio, the file holds {present}",
            code="truncated_audio",
        )


def _open_container(data: bytes, what: str):
    import av

    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedInput(
            f"audio file{what} could not be read as audio: {_reason(exc)}",
            code="malformed_audio",
        ) from None


def _reason(exc: Exception) -> str:
    """A short cause: libav's message without errno and file name, else the exception's."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _probe_container(data: bytes, what: str) -> AudioProbe:
    container = _open_container(data, what)
    try:
        demuxer = container.format.name
        fmt = _CONTAINERS.get(demuxer)
        if fmt is None:
            raise UnsupportedInput(
                f"audio file{what} is a '{demuxer}' container, not an accepted audio format",
                code="unsupported_audio_format",
            )
        if not container.streams.audio:
            raise UnsupportedInput(f"file{what} has no audio stream", code="unsupported_media_type")
        stream = container.streams.audio[0]
        duration = _declared_duration(container, stream)
        return AudioProbe(
            format=fmt,
            codec=stream.codec_context.name,
            sample_rate=int(stream.codec_context.sample_rate or stream.rate or 0),
            channels=int(stream.codec_context.channels or 0),
            duration_s=duration,
            size_bytes=len(data),
        )
    finally:
        container.close()


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000
    return None


def decode_audio(
    data: bytes, probe: AudioProbe, limits: AudioLimits, *, what: str = ""
) -> DecodedAudio:
    """Decode to 16 kHz mono float32, stopping as soon as the duration limit is passed."""
    import av

    container = _open_container(data, what)
    max_samples = int(limits.max_duration_s * TARGET_SAMPLE_RATE) + TARGET_SAMPLE_RATE // 10
    resampler = av.AudioResampler(format="flt", layout="mono", rate=TARGET_SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            frame.pts = None  # resample by sample count; broken timestamps must not matter
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += len(chunk)
            if total > max_samples:
                raise InputTooLarge(
                    f"audio lasts more than {limits.max_duration_s:g} s, the limit "
                    "(max_duration_s)",
                    code="audio_too_long",
                )
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise MalformedInput(
            f"corrupt audio{what}: decoding failed after {total / TARGET_SAMPLE_RATE:.2f} s "
            f"({_reason(exc)})",
            code="corrupt_audio",
        ) from None
    finally:
        container.close()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    decoded = DecodedAudio(
        samples=samples.astype(np.float32, copy=False),
        sample_rate=TARGET_SAMPLE_RATE,
        source_sample_rate=probe.sample_rate,
    )
    exact = probe.format in _EXACT_LENGTH_FORMATS or (
        probe.format == "mp3" and mp3_has_frame_count(data)
    )
    _check_decoded(decoded, probe, what, exact_length=exact)
    return decoded


def mp3_has_frame_count(data: bytes) -> bool:
    """Whether an MP3 carries a Xing/Info/VBRI header (an exact frame count)."""
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6:10]
        start = 10 + (size[0] << 21 | size[1] << 14 | size[2] << 7 | size[3])
    first_frame = data[start : start + 192]
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


def _check_decoded(
    decoded: DecodedAudio, probe: AudioProbe, what: str, *, exact_length: bool
) -> None:
    if decoded.samples.size == 0:
        raise MalformedInput(f"audio file{what} holds no decodable audio", code="empty_audio")
    declared = probe.duration_s
    if declared is None:
        return
    ratio = 0.9 if exact_length else 0.5
    if decoded.duration_s < declared * ratio - 0.25:
        raise MalformedInput(
            f"truncated or corrupt {probe.format} file{what}: the header declares "
            f"{declared:.2f} s, only {decoded.duration_s:.2f} s could be decoded",
            code="truncated_audio",
        )


def load_audio(
    data: bytes,
    limits: AudioLimits,
    *,
    mime: str | None = None,
    filename: str | None = None,
) -> tuple[AudioProbe, DecodedAudio]:
    """Probe then decode; the one call the deployment makes."""
    probe = probe_audio(data, limits, mime=mime, filename=filename)
    return probe, decode_audio(data, probe, limits, what=_describe(mime, filename))
