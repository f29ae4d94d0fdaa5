"""Leave-one-out evaluation of the injection detector on its labelled set.

    python -m serve.gateway.evaluate [--mode cued|always] [--dataset PATH]

Each example is scored by the rules and by the embedding against all *other* examples, as the
detector combines them; prints true/false positive rates at the policy thresholds.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from serve.gateway.config import InjectionSettings, InputGuardSettings
from serve.gateway.injection import (
    ATTACK_LABELS,
    CUE_WORDS,
    LabelledSet,
    MiniLMEmbedder,
    noisy_or,
    rule_hits,
    rule_scores,
    similarity_scores,
)


def leave_one_out(settings: InjectionSettings) -> list[tuple[str, float, float, float, str]]:
    """(label, rules, embedding, combined, text) per example."""
    examples = LabelledSet.load(settings.dataset_path)
    vectors = MiniLMEmbedder(settings.model_path).encode(examples.texts)
    labels = np.array(examples.labels)
    sims = vectors @ vectors.T
    rows = []
    for i, text in enumerate(examples.texts):
        keep = np.arange(len(labels)) != i
        rules = rule_scores(rule_hits(text))
        embedding = {c: 0.0 for c in ATTACK_LABELS}
        if settings.embedding_mode == "always" or CUE_WORDS.search(text):
            embedding = similarity_scores(sims[i : i + 1, keep], labels[keep], settings)
        combined = max(noisy_or([rules[c], embedding[c]]) for c in ATTACK_LABELS)
        rows.append((labels[i], max(rules.values()), max(embedding.values()), combined, text))
    return rows


def rates(rows, column: int, threshold: float) -> dict[str, float]:
    attacks = [r[column] >= threshold for r in rows if r[0] != "benign"]
    benign = [r[column] >= threshold for r in rows if r[0] == "benign"]
    return {"tpr": round(float(np.mean(attacks)), 3), "fpr": round(float(np.mean(benign)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["cued", "always"], default="cued")
    parser.add_argument("--dataset", default=None)
    args = parser.parse_args()
    settings = InjectionSettings(embedding_mode=args.mode, dataset_path=args.dataset)
    policy = InputGuardSettings().policies["injection"]
    thresholds = sorted({step.min_score for step in policy})
    rows = leave_one_out(settings)
    report = {
        "examples": len(rows),
        "attacks": sum(r[0] != "benign" for r in rows),
        **{
            f"{name}@{t}": rates(rows, column, t)
            for t in thresholds
            for name, column in (("rules", 1), ("embedding", 2), ("combined", 3))
        },
        "false_positives@0.5": [r[4] for r in rows if r[0] == "benign" and r[3] >= 0.5],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
