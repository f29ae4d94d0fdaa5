"""Audio intake: every container decodes to 16 kHz mono; bad input gets a clear 4xx."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.asr.audio import (
    TARGET_SAMPLE_RATE,
    AudioLimits,
    decode_audio,
    load_audio,
    mp3_has_frame_count,
    probe_audio,
)

from .samples import set_flac_total_samples, wav_header

LIMITS = AudioLimits(max_bytes=5 * 1024 * 1024, max_duration_s=60)


@pytest.mark.parametrize(
    ("name", "fmt", "rate"),
    [
        ("speech.wav", "wav", 16000),
        ("speech.mp3", "mp3", 22050),
        ("speech.flac", "flac", 16000),
        ("speech.ogg", "ogg", 24000),
        ("speech.m4a", "mp4", 22050),
        ("speech-8k.wav", "wav", 8000),
        ("speech-stereo-44k.wav", "wav", 44100),
    ],
)
def test_every_container_decodes_to_16k_mono(speech, name, fmt, rate):
    probe, audio = load_audio(speech.read(name), LIMITS, filename=name)
    assert (probe.format, probe.sample_rate) == (fmt, rate)
    assert probe.duration_s == pytest.approx(audio.duration_s, abs=0.15)
    assert audio.sample_rate == TARGET_SAMPLE_RATE and audio.source_sample_rate == rate
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert 1.5 < audio.duration_s < 6 and 0.1 < np.abs(audio.samples).max() <= 1.0


def test_stereo_is_mixed_to_mono(speech):
    probe, audio = load_audio(speech.read("speech-stereo-44k.wav"), LIMITS)
    _, mono = load_audio(speech.read("speech.wav"), LIMITS)
    assert probe.channels == 2
    assert len(audio.samples) == pytest.approx(len(mono.samples), rel=0.01)


def test_streamed_wav_with_unknown_length_is_accepted(speech):
    data = bytearray(speech.read("speech.wav"))
    size_at = data.index(b"data") + 4
    data[size_at : size_at + 4] = (0x7FFFF000).to_bytes(4, "little")  # espeak-ng/sox to a pipe
    probe, audio = load_audio(bytes(data), LIMITS)
    assert probe.duration_s == pytest.approx(audio.duration_s, abs=0.05)


def test_zero_bytes_is_400():
    with pytest.raises(MalformedInput, match="empty") as info:
        probe_audio(b"", LIMITS, mime="audio/wav", filename="a.wav")
    assert info.value.status == 400


def test_text_labelled_as_wav_is_400():
    with pytest.raises(MalformedInput, match="could not be read as audio") as info:
        probe_audio(b"this is plain text, not audio " * 20, LIMITS, mime="audio/wav")
    assert info.value.status == 400 and "audio/wav" in info.value.message


@pytest.mark.parametrize(
    ("data", "kind"),
    [(b"%PDF-1.7\n" + b"0" * 500, "application/pdf"), (b"\x89PNG\r\n\x1a\n" + b"0" * 500, "png")],
)
def test_other_media_named_as_audio_is_415(data, kind):
    with pytest.raises(UnsupportedInput, match=kind) as info:
        probe_audio(data, LIMITS, mime="audio/wav", filename="voice.wav")
    assert info.value.status == 415


def test_riff_without_chunks_is_400():
    with pytest.raises(MalformedInput, match="not a valid WAV"):
        probe_audio(b"RIFF\x00\x00\x00\x00WAVE" + b"junk" * 50, LIMITS)


def test_truncated_wav_is_400(speech):
    data = speech.read("speech.wav")
    with pytest.raises(MalformedInput, match="truncated WAV") as info:
        probe_audio(data[: len(data) // 3], LIMITS)
    assert info.value.code == "truncated_audio"


@pytest.mark.parametrize("name", ["speech.flac", "speech.mp3"])
def test_truncated_compressed_file_is_400(speech, name):
    data = speech.read(name)
    with pytest.raises(MalformedInput) as info:
        load_audio(data[: len(data) // 3], LIMITS)
    assert info.value.status == 400


def test_mp3_from_ffmpeg_carries_a_frame_count(speech):
    assert mp3_has_frame_count(speech.read("speech.mp3"))


def test_corrupt_frames_are_400(speech):
    data = speech.read("speech.flac")
    corrupt = data[:9000] + bytes(range(256)) * 40
    with pytest.raises(MalformedInput) as info:
        load_audio(corrupt, LIMITS)
    assert info.value.code in {"corrupt_audio", "truncated_audio"}


def test_ten_hour_wav_header_is_413_before_decoding():
    ten_hours = 10 * 3600 * 16000 * 2
    data = wav_header(data_size=ten_hours) + bytes(32000)
    with pytest.raises(InputTooLarge, match=r"36000\.0 s.*60 s \(max_duration_s\)") as info:
        probe_audio(data, LIMITS, filename="long.wav")
    assert info.value.status == 413 and info.value.code == "audio_too_long"


def test_ten_hour_flac_header_is_413(speech):
    data = set_flac_total_samples(speech.read("speech.flac"), 10 * 3600 * 16000)
    with pytest.raises(InputTooLarge, match="max_duration_s"):
        probe_audio(data, LIMITS)


def test_decoding_stops_at_the_limit_when_the_header_gives_no_length(speech):
    data = set_flac_total_samples(speech.read("speech.flac"), 0)  # 0 = unknown in FLAC
    limits = dataclasses.replace(LIMITS, max_duration_s=1.0)
    probe = probe_audio(data, limits)
    with pytest.raises(InputTooLarge, match="max_duration_s"):
        decode_audio(data, probe, limits)


def test_duration_over_limit_from_container_header(speech):
    with pytest.raises(InputTooLarge, match=r"limit of 1 s"):
        probe_audio(speech.read("speech.ogg"), dataclasses.replace(LIMITS, max_duration_s=1))


def test_bytes_over_limit_is_413():
    limits = dataclasses.replace(LIMITS, max_bytes=1024)
    with pytest.raises(InputTooLarge, match="1024 bytes") as info:
        probe_audio(wav_header(data_size=4000) + bytes(4000), limits)
    assert info.value.code == "audio_too_large"


def test_sample_rate_below_minimum_is_415():
    data = wav_header(sample_rate=1000, data_size=2000) + bytes(2000)
    with pytest.raises(UnsupportedInput, match="1000 Hz") as info:
        probe_audio(data, LIMITS)
    assert info.value.code == "unsupported_sample_rate"


def test_too_many_channels_is_415():
    data = wav_header(channels=12, data_size=24000) + bytes(24000)
    with pytest.raises(UnsupportedInput, match="12 audio channels"):
        probe_audio(data, LIMITS)


def test_format_outside_allowed_list_is_415(speech):
    limits = dataclasses.replace(LIMITS, allowed_formats=("wav",))
    with pytest.raises(UnsupportedInput, match="'mp3' is not accepted"):
        probe_audio(speech.read("speech.mp3"), limits)


def test_silence_decodes(speech):
    _, audio = load_audio(speech.read("silence.wav"), LIMITS)
    assert audio.duration_s == pytest.approx(2.0, abs=0.01) and not audio.samples.any()
