"""Turn detector scores into verdicts with the action the configured policy names."""

from __future__ import annotations

from dataclasses import dataclass

from serve.gateway.config import GuardAction, Policies
from serve.gateway.context import Verdict
from serve.gateway.detectors import Finding
from serve.gateway.injection import InjectionScore

MIN_REPORTED_SCORE = 0.2  # weaker signals are not worth an audit entry


@dataclass
class Policy:
    """Per category, ordered thresholds; the strongest action reached applies."""

    policies: Policies

    def action(self, category: str, score: float) -> GuardAction:
        reached = [s.action for s in self.policies.get(category, []) if score >= s.min_score]
        return max(reached, key=lambda a: a.rank, default=GuardAction.ALLOW)

    def verdicts(
        self,
        source: str,
        stage: str,
        injection: InjectionScore | None,
        findings: list[Finding],
        text: str,
    ) -> list[Verdict]:
        """One verdict per category with a score worth reporting."""
        out: list[Verdict] = []
        if injection is not None:
            for category, score in injection.scores.items():
                if score >= MIN_REPORTED_SCORE:
                    out.append(
                        Verdict(
                            category,
                            score,
                            self.action(category, score),
                            source,
                            stage,
                            injection.evidence(category),
                        )
                    )
        by_category: dict[str, list[Finding]] = {}
        for finding in findings:
            by_category.setdefault(finding.category, []).append(finding)
        for category, group in by_category.items():
            score = max(f.score for f in group)
            evidence = [f"{f.kind}:{f.masked(text)}" for f in group]
            out.append(
                Verdict(category, score, self.action(category, score), source, stage, evidence)
            )
        return out
