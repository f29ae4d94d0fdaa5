"""Plain-knowledge questions with accepted answers, split into dev and held-out halves.

The questions live in ``questions.yaml``: written for this bench (capitals, authors, elements,
dates, units, simple science, places, people), with varied phrasing and none of the eval's own
knowledge questions. The split was fixed before any run: decoding defaults and prompts may be
tuned on ``dev`` only, and ``held_out`` is the reported figure.

``accept``: any one of these (whole words, case- and accent-insensitive) makes an answer
right. ``reject``: the usual wrong answers; an answer naming one is wrong even if it also
names an accepted one (a hedge between two cities is not an answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

Split = Literal["dev", "held_out"]
SPLIT_NAMES: tuple[Split, ...] = ("dev", "held_out")
QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    question: str
    accepted: tuple[str, ...]
    rejected: tuple[str, ...] = ()


@cache
def load_splits(path: Path = QUESTIONS_FILE) -> dict[Split, tuple[Question, ...]]:
    """Both splits from the YAML file."""
    raw = yaml.safe_load(path.read_text())
    return {
        split: tuple(
            Question(
                id=item["id"],
                topic=item["topic"],
                question=item["q"],
                accepted=tuple(str(a) for a in item["accept"]),
                rejected=tuple(str(r) for r in item.get("reject", ())),
            )
            for item in raw[split]
        )
        for split in SPLIT_NAMES
    }


def questions(split: Split | Literal["all"] = "all") -> list[Question]:
    """The questions of one split (or both, dev first)."""
    splits = load_splits()
    if split == "all":
        return [q for name in SPLIT_NAMES for q in splits[name]]
    return list(splits[split])
