"""Answers from a sandboxed run: what the user's code printed."""

from __future__ import annotations

from serve.answer.base import Answer
from serve.context.observations import Observation


class ExecutionAnswerer:
    """The stdout of a successful run is the exact answer to "what does this print?"."""

    name = "execution"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        runs = [o for o in observations if o.kind == "execution"]
        if not runs:
            return None
        run = runs[-1]
        stdout = str(run.data.get("stdout") or "").strip()
        ok = run.data.get("exit_code") == 0 and not run.data.get("limits_hit")
        if not ok or not stdout:
            return None
        confidence = 0.99 if not run.data.get("truncated") else 0.6
        return Answer(stdout, confidence, self.name, [run.citation or "code1"], {})
