"""Speech fact cases: questions about facts in voicemails, with DEV and HELD-OUT splits.

The clips come from :func:`loadtest.perception.gen_speech.voicemail`; the held-out split has
other voices, speeds, noise, phone-line audio, templates, values *and* question phrasings,
fixed before tuning. Report both splits; trust the held-out figure.

    .venv/bin/python -m loadtest.eval.speech_cases --split dev --count 4   # print a sample
"""

from __future__ import annotations

import argparse
import base64
import random
import tempfile
from pathlib import Path

from loadtest.eval.cases import Case
from loadtest.eval.heldout import phrasings as heldout_phrasings
from loadtest.perception.gen_speech import SPLITS, profiles, render_voicemail, voicemail

CATEGORY = "speech"

# Question phrasings per fact slot and split.
QUESTIONS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "city": [
            "Which city will the order ship from, according to this voicemail?",
            "Which city is mentioned in the message?",
            "In which city is the caller's warehouse or office?",
        ],
        "caller": ["Who called?", "What is the caller's name?", "Who is calling?"],
        "company": [
            "Which company is the caller from?",
            "What company does the caller work for?",
            "What's the name of the company?",
        ],
        "order": ["What is the order number?", "Which order or invoice number is mentioned?"],
        "time": [
            "What time is mentioned in the voicemail?",
            "At what time?",
            "What time does the caller give?",
        ],
        "qty": ["How many items are mentioned?", "How many are ready?"],
        "amount": [
            "What is the total amount?",
            "How much money is mentioned?",
            "How much does it cost?",
        ],
        "date": ["What date is mentioned?", "On which date?"],
        "weekday": ["On which day of the week?"],
    },
    "heldout": heldout_phrasings.SPEECH_QUESTIONS,
}


def _audio_part(path: Path) -> dict:
    data = base64.b64encode(path.read_bytes()).decode()
    return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}


def speech_fact_cases(
    count: int, rng: random.Random, split: str, questions_per_clip: int = 3
) -> list[Case]:
    """``count`` voicemails of ``split``, ``questions_per_clip`` fact questions each."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="ifz-eval-voicemail-") as tmp:
        for index in range(count):
            mail = voicemail(rng, split, index)
            profile = profiles(split)[index % len(profiles(split))]
            wav = Path(tmp) / f"{index}.wav"
            render_voicemail(mail.spoken, profile, wav, rng)
            part = _audio_part(wav)
            slots = sorted(mail.answers)
            for slot in rng.sample(slots, min(questions_per_clip, len(slots))):
                question = rng.choice(QUESTIONS[split][slot])
                meta = {
                    "split": split,
                    "slot": slot,
                    "template": mail.template,
                    "voice": profile.voice,
                    "noise": profile.noise,
                    "telephone": profile.telephone,
                    "reference": mail.written,
                }
                cases.append(
                    Case(
                        f"speech-{split}-{index}-{slot}",
                        CATEGORY,
                        [{"role": "user", "content": [part, {"type": "text", "text": question}]}],
                        mail.answers[slot],
                        question,
                        meta,
                    )
                )
    return cases


def build(count: int, seed: int, split: str) -> list[Case]:
    """About ``count`` cases of ``split`` (three questions per voicemail)."""
    clips = max(1, -(-count // 3))
    return speech_fact_cases(clips, random.Random(f"speech-{split}-{seed}"), split)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--count", type=int, default=3, help="voicemails")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(f"speech-{args.split}-{args.seed}")
    for case in speech_fact_cases(args.count, rng, args.split):
        print(f"{case.id:28} {case.question!r} -> {case.expected}  [{case.meta['voice']}]")


if __name__ == "__main__":
    main()
