"""Test audio for the ASR unit tests: espeak-ng speech in several containers, crafted headers."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

SENTENCE = "The meeting starts at ten thirty on Friday."
REFERENCE = "The meeting starts at 10:30 on Friday."


@dataclass(frozen=True)
class Speech:
    """Paths of one spoken sentence in several containers and layouts."""

    folder: Path
    text: str
    reference: str

    def path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def make_speech(folder: Path) -> Speech:
    source = folder / "source.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-g", "2", "-w", str(source), SENTENCE],
        check=True,
    )
    encodings = {
        "speech.wav": ["-ar", "16000", "-c:a", "pcm_s16le"],
        "speech.mp3": ["-ar", "22050", "-c:a", "libmp3lame", "-b:a", "48k"],
        "speech.flac": ["-ar", "16000", "-c:a", "flac"],
        "speech.ogg": ["-ar", "24000", "-c:a", "libvorbis"],
        "speech.m4a": ["-ar", "22050", "-c:a", "aac", "-b:a", "48k"],
        "speech-8k.wav": ["-ar", "8000", "-c:a", "pcm_s16le"],
        "speech-stereo-44k.wav": ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le"],
    }
    for name, args in encodings.items():
        channels = [] if "-ac" in args else ["-ac", "1"]
        ffmpeg("-i", str(source), *channels, *args, str(folder / name))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(folder / "silence.wav"))
    return Speech(folder, SENTENCE, REFERENCE)


def wav_header(
    *, sample_rate: int = 16000, channels: int = 1, bits: int = 16, data_size: int
) -> bytes:
    """A PCM WAV header that declares ``data_size`` bytes of samples."""
    block_align = channels * bits // 8
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_size)
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align, block_align, bits
        )
        + b"data"
        + struct.pack("<I", data_size)
    )


def set_flac_total_samples(data: bytes, total: int) -> bytes:
    """Rewrite the 36-bit total-samples field of a FLAC STREAMINFO block."""
    assert data[:4] == b"fLaC"
    field = int.from_bytes(data[18:26], "big")
    field = (field & ~((1 << 36) - 1)) | total
    return data[:18] + field.to_bytes(8, "big") + data[26:]
