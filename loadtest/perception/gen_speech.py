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

Voicemails (:func:`voicemail`, :func:`render_voicemail`) carry facts to ask about (city, caller,
company, order number, time, quantity, amount, date), split into a DEV part (voices, speeds,
noise, templates and values tuned on) and a HELD-OUT part with other voices, speeds, noise,
templates and values, fixed before tuning:

    .venv/bin/python -m loadtest.perception.gen_speech --voicemails --split dev --out /tmp/vm
"""

from __future__ import annotations

import argparse
import json
import random
import re
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


# ----------------------------------------------------------------------------- voicemails
SPLITS = ("dev", "heldout")


@dataclass(frozen=True)
class VoiceProfile:
    """How a clip is spoken and degraded: espeak voice, speed and word gap, noise, channel."""

    voice: str
    speed: int
    gap: int
    noise: str  # "none", "white" or "brown"
    snr_db: float
    telephone: bool  # 300-3400 Hz band and 8 kHz sampling, like a phone line


DEV_PROFILES = [
    VoiceProfile("en-us", 150, 2, "none", 0.0, False),
    VoiceProfile("en-gb", 165, 1, "white", 30.0, False),
    VoiceProfile("en-gb-x-rp", 140, 2, "none", 0.0, False),
    VoiceProfile("en-us+f2", 160, 1, "white", 25.0, False),
    # added after the first held-out run, to tune on more variety (still none held out)
    VoiceProfile("en-us+m3", 135, 2, "brown", 24.0, False),
    VoiceProfile("en-gb+f4", 180, 0, "none", 0.0, True),
    VoiceProfile("en-us+f3", 170, 1, "white", 20.0, True),
    VoiceProfile("en-gb-x-rp+m5", 128, 3, "brown", 28.0, False),
]
HELDOUT_PROFILES = [
    VoiceProfile("en-gb-scotland+m3", 130, 2, "brown", 22.0, False),
    VoiceProfile("en-029", 175, 1, "none", 0.0, True),
    VoiceProfile("en-us-nyc+f4", 185, 0, "white", 20.0, False),
    VoiceProfile("en-gb-x-gbcwmd", 125, 3, "brown", 25.0, True),
    VoiceProfile("en-gb-x-gbclan+f3", 155, 1, "none", 0.0, False),
]

_POOLS = {
    "dev": {
        "city": ["Denver", "Chicago", "Boston", "Seattle", "Atlanta", "Dallas", "Phoenix",
                 "Portland", "Houston", "Detroit", "Manchester", "Liverpool"],
        "first": ["John", "Sarah", "Michael", "Emma", "David", "Laura", "Peter", "Anna"],
        "last": ["Carter", "Miller", "Thompson", "Walker", "Harris", "Bennett", "Wright"],
        "company": ["Northwind Traders", "Blue Harbor Logistics", "Acme Supplies",
                    "Granite Partners", "Summit Office Supply", "Redwood Industrial"],
        "unit": ["boxes", "cartons", "crates"],
    },
    "heldout": {
        "city": ["Sacramento", "Milwaukee", "Nashville", "Toronto", "Glasgow", "Leeds",
                 "Hamburg", "Rotterdam", "Adelaide", "Baltimore", "Pittsburgh", "Edinburgh"],
        "first": ["Rachel", "Thomas", "Olivia", "James", "Sophie", "Daniel", "Karen", "Mark"],
        "last": ["Robinson", "Fletcher", "Morgan", "Sullivan", "Hughes", "Palmer", "Cooper"],
        "company": ["Silverline Packaging", "Orchard Foods", "Keystone Electrical",
                    "Harbourside Print", "Maple Leaf Hardware", "Pioneer Freight"],
        "unit": ["pallets", "units", "crates of parts"],
    },
}  # fmt: skip

# Templates: text with {slot}s; the slots each template says something about.
_TEMPLATES = {
    "dev": [
        "Hi, this is {caller} from {company}. I'm calling about order number {order}. The order "
        "will ship from {city} on {weekday}, and the driver will arrive at {time}. Please call "
        "me back.",
        "Hello, {caller} here with {company}. We have {qty} {unit} ready for you in our {city} "
        "warehouse. The total comes to {amount}. The pickup is at {time} on {date}.",
        "Good morning, my name is {caller}, I work for {company}. Your invoice {order} for "
        "{amount} is due on {date}. Our office in {city} opens at {time}.",
        "Hi, it's {caller} calling from {company}. Your {qty} {unit} will be shipped from our "
        "{city} facility on {date}. The invoice total is {amount}, and our driver should be "
        "there around {time}.",
        "Good afternoon, this is {company}, {caller} speaking, with an update on reference "
        "{order}. The delivery leaves {city} on {weekday} at {time}, and the charge is {amount}.",
    ],
    "heldout": [
        "Hey, it's {caller} at {company}. Quick update on order {order}: it leaves our {city} "
        "depot on {weekday} morning and should reach you by {time}.",
        "This message is for the purchasing team. {caller} from {company} calling. We can "
        "deliver {qty} {unit} from {city} for a total of {amount}. Let me know before {time} on "
        "{date}.",
        "Hi there, {company} calling, {caller} speaking. The shipment with reference {order} "
        "was sent from {city} on {date}. It contains {qty} {unit} and the freight cost is "
        "{amount}.",
    ],
}


@dataclass(frozen=True)
class Voicemail:
    """A voicemail: what is written and spoken, and the answers per fact slot."""

    template: int
    written: str
    spoken: str
    answers: dict[str, list[str]]  # slot -> accepted answer texts


_DIGITS = "zero one two three four five six seven eight nine".split()


def _time_fact(rng: random.Random, split: str) -> tuple[str, str, list[str]]:
    hour, minute = rng.randint(7, 17), rng.choice([0, 15, 30, 45])
    h12, half = (hour - 1) % 12 + 1, "a.m." if hour < 12 else "p.m."
    written = f"{h12}:{minute:02d} {half}"
    accepted = [f"{h12}:{minute:02d}", f"{h12}.{minute:02d}"]
    if minute == 0:
        accepted += [f"{h12} {half}", f"{h12} o'clock", f"{h12}{half.replace('.', '')}"]
    if split == "heldout" and minute in (15, 30, 45):
        phrase = {15: "quarter past", 30: "half past", 45: "quarter to"}[minute]
        shown = h12 if minute != 45 else h12 % 12 + 1
        spoken = f"{phrase} {number_words(shown)}"
        accepted += [f"{phrase} {number_words(shown)}", f"{phrase} {shown}"]
        return written, spoken, accepted
    spoken_minute = "" if minute == 0 else f" {number_words(minute)}"
    if minute == 0:
        return written, f"{number_words(h12)} o'clock {half}", accepted
    return written, f"{number_words(h12)}{spoken_minute} {half}", accepted


def voicemail(rng: random.Random, split: str, index: int) -> Voicemail:
    """One voicemail of ``split`` (templates and value pools differ between splits)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    pool = _POOLS[split]
    template_index = index % len(_TEMPLATES[split])
    template = _TEMPLATES[split][template_index]
    caller = f"{rng.choice(pool['first'])} {rng.choice(pool['last'])}"
    order_digits = str(rng.randint(10_000, 999_999))
    qty = rng.randint(3, 480)
    cash, day, clock_ = amount(rng, 40, 9000), date(rng), _time_fact(rng, split)
    month, day_word = day.written.split()[0], day.written.split()[1].rstrip(",")
    day_number = "".join(c for c in day_word if c.isdigit())
    values = {
        "caller": (caller, caller, [caller, caller.split()[-1]]),
        "company": (c := rng.choice(pool["company"]), c, [c]),
        "city": (city := rng.choice(pool["city"]), city, [city]),
        "order": (order_digits, " ".join(_DIGITS[int(d)] for d in order_digits), [order_digits]),
        "weekday": (w := rng.choice(WEEKDAYS), w, [w]),
        "time": clock_,
        "qty": (f"{qty:,}", number_words(qty), [str(qty)]),
        "unit": (u := rng.choice(pool["unit"]), u, []),
        "amount": (cash.written, cash.spoken, [cash.written]),
        "date": (
            day.written,
            day.spoken,
            [f"{month} {day_number}", f"{month} {day_word}", f"{day_number} {month}"],
        ),
    }
    slots = re.findall(r"\{(\w+)\}", template)
    written = template.format(**{k: v[0] for k, v in values.items()}).replace("..", ".")
    spoken = template.format(**{k: v[1] for k, v in values.items()}).replace("..", ".")
    answers = {s: values[s][2] for s in slots if values[s][2]}
    if "caller" in answers:  # "who called" is right with the full name or the surname
        answers["caller"] = [caller, caller.split()[-1]]
    return Voicemail(template_index, written, spoken, answers)


def profiles(split: str) -> list[VoiceProfile]:
    return DEV_PROFILES if split == "dev" else HELDOUT_PROFILES


def _add_noise(path: Path, kind: str, snr_db: float, rng: random.Random) -> None:
    import numpy as np
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32")
    gen = np.random.default_rng(rng.randrange(2**32))
    noise = gen.standard_normal(len(samples)).astype("float32")
    if kind == "brown":
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(801) / 801, mode="same")  # keep it centred
    power = float(np.mean(samples**2)) or 1e-9
    noise *= np.sqrt(power / (10 ** (snr_db / 10)) / (float(np.mean(noise**2)) or 1e-9))
    mixed = np.clip(samples + noise, -1.0, 1.0)
    soundfile.write(str(path), mixed, rate)


def render_voicemail(
    text: str, profile: VoiceProfile, target: Path, rng: random.Random, sample_rate: int = 16000
) -> None:
    """Speak ``text`` with ``profile`` into a mono WAV at ``target`` (noise and phone line)."""
    with tempfile.TemporaryDirectory(prefix="vm-") as tmp:
        raw = Path(tmp) / "raw.wav"
        synthesize(text, profile.voice, profile.speed, profile.gap, raw)
        if profile.noise != "none":
            _add_noise(raw, profile.noise, profile.snr_db, rng)
        args = ["-c:a", "pcm_s16le"]
        if profile.telephone:
            phone = Path(tmp) / "phone.wav"
            encode(raw, phone, 8000, ["-af", "highpass=f=300,lowpass=f=3400", *args])
            raw = phone
        encode(raw, target, sample_rate, args)


def generate_voicemails(out: Path, split: str, count_: int = 12, seed: int = 7) -> list[dict]:
    """Write ``count_`` voicemail WAVs of ``split`` and ``manifest.json`` into ``out``."""
    rng = random.Random(f"voicemail-{split}-{seed}")
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for index in range(count_):
        mail = voicemail(rng, split, index)
        profile = profiles(split)[index % len(profiles(split))]
        name = f"voicemail-{split}-{index:03d}.wav"
        render_voicemail(mail.spoken, profile, out / name, rng)
        items.append({"file": name, **asdict(mail), "profile": asdict(profile)})
    manifest = {"seed": seed, "split": split, "voicemails": items}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/asr-corpus"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--voicemails", action="store_true", help="voicemails with facts")
    parser.add_argument("--split", choices=SPLITS, default="dev")
    args = parser.parse_args(argv)
    if args.voicemails:
        items = generate_voicemails(args.out, args.split, args.count, args.seed)
        print(f"{len(items)} {args.split} voicemails in {args.out}")
        return
    clips = generate(args.out, args.count, args.seed)
    total = sum(c.duration_s for c in clips)
    print(f"{len(clips)} clips, {total:.0f} s of speech in {args.out}")


if __name__ == "__main__":
    main()
