"""Expected-answer-type predictor: accuracy on its labelled set (dev) and a held-out set.

    .venv/bin/python -m loadtest.eval.types_eval

Dev is the embedder's own labelled set (``serve/answer/data/answer_types.jsonl``; the vote is
leave-one-out there); held-out is ``loadtest/eval/data/answer_types_heldout.jsonl``, written
before tuning with other phrasings. Printed for the cues alone, the embedding vote alone, and
the two combined (what the small stack uses). Organisation and person count as one answer
class (the checker types both as names).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from serve.answer.types import (
    DATA,
    AnswerType,
    TypeEmbedder,
    load_examples,
    predict_type,
    type_cues,
)

HELDOUT = Path(__file__).parent / "data" / "answer_types_heldout.jsonl"
_NAMES = {AnswerType.ORGANISATION.value, AnswerType.PERSON.value}


def same(predicted: str, label: str) -> bool:
    return predicted == label or {predicted, label} <= _NAMES


class LeaveOneOut:
    """The embedder's vote on its own set with the example itself left out."""

    def __init__(self, embedder: TypeEmbedder) -> None:
        self.embedder = embedder

    def vote(self, position: int) -> AnswerType:
        e = self.embedder
        sims = e.vectors @ e.vectors[position]
        sims[position] = -1.0
        top = np.argsort(-sims)[: e.k]
        weights: dict[AnswerType, float] = {}
        for i in top:
            weights[e.labels[i]] = weights.get(e.labels[i], 0.0) + max(float(sims[i]), 0.0)
        return max(weights, key=weights.get)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print dev mistakes (not held-out)")
    args = parser.parse_args(argv)
    from serve.gateway.injection import MiniLMEmbedder

    embedder = TypeEmbedder(MiniLMEmbedder())
    loo = LeaveOneOut(embedder)
    for name, path in (("dev", DATA), ("heldout", HELDOUT)):
        examples = load_examples(path)
        scores = {"cues": 0, "vote": 0, "combined": 0, "cues decisive": 0}
        for position, e in enumerate(examples):
            cues = type_cues(e["text"])
            vote = loo.vote(position) if name == "dev" else embedder.vote(e["text"])[0]
            combined = predict_type(e["text"], embedder).type
            scores["cues"] += same(cues.type.value, e["label"])
            scores["cues decisive"] += cues.decisive
            scores["vote"] += same(vote.value, e["label"])
            scores["combined"] += same(combined.value, e["label"])
            if args.show and name == "dev" and not same(combined.value, e["label"]):
                print(f"  {e['label']:12} got {combined.value:12} {e['text']}")
        n = len(examples)
        print(f"{name:8} n={n:3}  " + "  ".join(f"{k}={v / n:.3f}" for k, v in scores.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
