"""Turn detector scores into verdicts with the action the configured policy names."""

from __future__ import annotations

from dataclasses import dataclass

from serve.gateway.config import GuardAction, Policies
from serve.gateway.context import Verdict
from serve.gateway.detectors import Finding, FindingGroup, summarize
from serve.gateway.injection import InjectionScore

MIN_REPORTED_SCORE = 0.2  # weaker signals are not worth an audit entry


@dataclass
class Policy:
    """Per category, ordered thresholds; the strongest action reached applies."""

    policies: Policies

    def action(self, category: str, score: float) -> GuardAction:
        reached = [s.action for s in self.policies.get(category, []) if score >= s.min_score]
        return max(reached, key=lambda a: a.rank, default=GuardAction.ALLOW)

    def redact_categories(self, groups: list[FindingGroup]) -> set[str]:
        """Categories of secrets/PII whose policy redacts them at the scores found."""
        return {
            g.category for g in groups if self.action(g.category, g.score) is GuardAction.REDACT
        }

    def verdicts(
        self,
        source: str,
        stage: str,
        injection: InjectionScore | None,
        findings: list[Finding],
        text: str,
    ) -> list[Verdict]:
        """One verdict per category with a score worth reporting."""
        return self.verdicts_for(source, stage, injection, summarize(findings))

    def verdicts_for(
        self,
        source: str,
        stage: str,
        injection: InjectionScore | None,
        groups: list[FindingGroup],
    ) -> list[Verdict]:
        """Like :meth:`verdicts`, from findings already summarised per category."""
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
        for g in groups:
            action = self.action(g.category, g.score)
            out.append(Verdict(g.category, g.score, action, source, stage, list(g.evidence)))
        return out
