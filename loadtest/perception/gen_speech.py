"""Labelled synthetic speech for the ASR benchmark: espeak-ng voices reading invoice-like facts
(numbers, dates, amounts, percentages, times) and plain business sentences, alternately, as WAV,
MP3, FLAC and OGG at several sample rates.

    .venv/bin/python -m loadtest.perception.gen_speech --out /tmp/asr-corpus --count 40

Each clip has a *written* reference ("$1,250.75 on March 3, 2024") and a *spoken* form that
espeak-ng reads ("one thousand two hundred fifty dollars and seventy five cents on March third,
two thousand twenty four"), so the benchmark also tests the number normaliser. Writes the clips
and ``manifest.json`` (file, category, reference, spoken, voice, speed, format, sample rate,
duration).
Seeded: the same arguments give the same corpus. Needs espeak-ng and ffmpeg (Debian).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

VOICES = ["en-us", "en-gb", "en-gb-x-rp"]
# (words per minute, extra gap between words in 10 ms units)
SPEEDS = [(140, 2), (165, 1)]
# (format, sample rate, extra ffmpeg output arguments)
ENCODINGS: list[tuple[str, int, list[str]]] = [
    ("wav", 22050, ["-c:a", "pcm_s16le"]),
    ("mp3", 44100, ["-c:a", "libmp3lame", "-b:a", "64k"]),
    ("flac", 16000, ["-c:a", "flac"]),
    ("ogg", 48000, ["-c:a", "libvorbis", "-q:a", "4"]),
]

MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday".split()
COMPANIES = ["Northwind Traders", "Blue Harbor", "Acme Supplies", "Granite Partners"]
ITEMS = ["steel brackets", "office chairs", "printer cartridges", "network cables", "desk lamps"]
PLAIN = [
    "Please send the signed contract to the finance department.",
    "The delivery was delayed because of heavy snow in the mountains.",
    "Remember to save your files before installing the update.",
    "Our support team will contact you as soon as possible.",
    "The new warehouse opens next week near the central station.",
    "Thank you for your order, we appreciate your business.",
    "The quarterly report shows strong growth in every region.",
    "Please confirm the delivery address before the end of the day.",
    "The board approved the budget for the new marketing campaign.",
    "Our office will be closed during the public holiday.",
    "The customer asked for a refund because the parcel was damaged.",
    "We are looking for an experienced engineer to join the team.",
]

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def number_words(n: int) -> str:
    """English words for 0 <= n < 10**9 ('one thousand two hundred fifty')."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f" {_UNITS[unit]}" if unit else "")
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            high, rest = divmod(n, size)
            return f"{number_words(high)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise ValueError(n)


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


@dataclass(frozen=True)
class Fact:
    written: str
    spoken: str


def amount(rng: random.Random, low: int = 5, high: int = 5000) -> Fact:
    dollars = rng.randint(low, high)
    cents = rng.choice([0, 0, rng.randint(1, 99)])
    written = f"${dollars:,}" + (f".{cents:02d}" if cents else "")
    spoken = f"{number_words(dollars)} dollars" + (
        f" and {number_words(cents)} cents" if cents else ""
    )
    return Fact(written, spoken)


def date(rng: random.Random) -> Fact:
    month, day, year = rng.choice(MONTHS), rng.randint(1, 28), rng.randint(2019, 2026)
    return Fact(
        f"{month} {day}{_ordinal_suffix(day)}, {year}",
        f"{month} {ordinal_words(day)}, {number_words(year)}",
    )


def count(rng: random.Random, low: int = 2, high: int = 900) -> Fact:
    n = rng.randint(low, high)
    return Fact(f"{n:,}", number_words(n))


def percent(rng: random.Random) -> Fact:
    n = rng.choice([5, 10, 12, 15, 20, 25, 30, 40])
    return Fact(f"{n}%", f"{number_words(n)} percent")


def clock(rng: random.Random) -> Fact:
    hour, minute = rng.randint(8, 11), rng.choice([15, 30, 45])
    return Fact(f"{hour}:{minute:02d} a.m.", f"{number_words(hour)} {number_words(minute)} a.m.")


def _numeric_templates(rng: random.Random) -> list:
    return [
        lambda: (
            "Invoice {0} was issued on {1} for a total of {2}.",
            [count(rng, 1000, 9999), date(rng), amount(rng)],
        ),
        lambda: ("Please pay {0} by {1}.", [amount(rng), date(rng)]),
        lambda: (
            "The order contains {0} " + rng.choice(ITEMS) + " at {1} each.",
            [count(rng), amount(rng, 2, 90)],
        ),
        lambda: (
            "The meeting with " + rng.choice(COMPANIES) + " starts at {0} on "
            + rng.choice(WEEKDAYS) + ".",
            [clock(rng)],
        ),
        lambda: ("We offer a discount of {0} on orders above {1}.", [percent(rng), amount(rng)]),
        lambda: ("The shipment of {0} boxes arrived on {1}.", [count(rng), date(rng)]),
        lambda: (
            "Sales grew by {0} to {1} last quarter.",
            [percent(rng), amount(rng, 10_000, 900_000)],
        ),
    ]  # fmt: skip


def sentence(rng: random.Random, index: int) -> tuple[str, Fact]:
    """A (category, sentence) pair: even indexes carry numbers, odd ones are plain text."""
    if index % 2:
        text = PLAIN[(index // 2) % len(PLAIN)]
        return "plain", Fact(text, text)
    templates = _numeric_templates(rng)
    template, facts = templates[(index // 2) % len(templates)]()
    return "numeric", Fact(
        template.format(*(f.written for f in facts)),
        template.format(*(f.spoken for f in facts)),
    )


@dataclass(frozen=True)
class Clip:
    file: str
    category: str
    reference: str
    spoken: str
    voice: str
    speed: int
    format: str
    sample_rate: int
    duration_s: float


def synthesize(text: str, voice: str, speed: int, gap: int, wav_path: Path) -> None:
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-g", str(gap), "-w", str(wav_path), text],
        check=True,
        capture_output=True,
    )


def encode(source: Path, target: Path, sample_rate: int, args: list[str]) -> None:
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-ac", "1"),
            *("-ar", str(sample_rate), *args, str(target)),
        ],
        check=True,
        capture_output=True,
    )


def wav_duration(path: Path) -> float:
    import soundfile

    info = soundfile.info(str(path))
    return info.frames / info.samplerate


def generate(out: Path, count_: int = 40, seed: int = 7) -> list[Clip]:
    """Write ``count_`` clips and ``manifest.json`` into ``out``; returns the clips."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    clips: list[Clip] = []
    with tempfile.TemporaryDirectory(prefix="asr-gen-") as tmp:
        for i in range(count_):
            category, fact = sentence(rng, i)
            voice = VOICES[i % len(VOICES)]
            speed, gap = SPEEDS[(i // len(VOICES)) % len(SPEEDS)]
            fmt, rate, args = ENCODINGS[(i + i // 2) % len(ENCODINGS)]  # every format, both kinds
            raw = Path(tmp) / f"{i}.wav"
            synthesize(fact.spoken, voice, speed, gap, raw)
            name = f"clip-{i:03d}.{fmt}"
            encode(raw, out / name, rate, args)
            clips.append(
                Clip(
                    name,
                    category,
                    fact.written,
                    fact.spoken,
                    voice,
                    speed,
                    fmt,
                    rate,
                    wav_duration(raw),
                )
            )
    manifest = {"seed": seed, "clips": [asdict(c) for c in clips]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return clips


def load_manifest(folder: Path) -> list[Clip]:
    data = json.loads((folder / "manifest.json").read_text())
    return [Clip(**clip) for clip in data["clips"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/asr-corpus"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    clips = generate(args.out, args.count, args.seed)
    total = sum(c.duration_s for c in clips)
    print(f"{len(clips)} clips, {total:.0f} s of speech in {args.out}")


if __name__ == "__main__":
    main()
