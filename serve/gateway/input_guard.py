"""Input guard hook: injection, jailbreak, secrets and PII in request text and in the text that
perception and action stages extract (documents, web pages, transcripts).

Request text can be redacted, restrict tools, or be refused. Extracted text is data, not
instructions: by default an injection found there removes the tools (execute, browse) for the
rest of the request and the offending sentences are replaced by a marker before the LLM sees
them; it does not refuse the user, who did not write it.
"""

from __future__ import annotations

import dataclasses

from serve.api.protocol import TextPart
from serve.context.observations import Observation
from serve.gateway.config import INJECTION, JAILBREAK, GuardAction, InputGuardSettings
from serve.gateway.context import RequestContext, Verdict
from serve.gateway.detectors import find_sensitive, redact
from serve.gateway.errors import PolicyRefusal
from serve.gateway.hook import GatewayHook
from serve.gateway.injection import InjectionDetector, InjectionScore, neutralize
from serve.gateway.policy import Policy


class InputGuardHook(GatewayHook):
    """Scores request text and observations; applies the policy's actions."""

    name = "input_guard"

    def __init__(self, settings: InputGuardSettings, detector: InjectionDetector) -> None:
        self.settings = settings
        self.detector = detector
        self.request_policy = Policy(settings.policies)
        self.observation_policy = Policy(settings.observation_policies)

    # --------------------------------------------------------------- request
    def _texts(self, ctx: RequestContext) -> list[tuple[str, object, str]]:
        """(source, holder, text): holder is the message or TextPart to rewrite on redaction."""
        found = []
        if ctx.body is None:
            return found
        for i, message in enumerate(ctx.body.messages):
            if message.role not in self.settings.scan_roles or not message.content:
                continue
            if isinstance(message.content, str):
                found.append((f"messages.{i}", message, message.content))
                continue
            for j, part in enumerate(message.content):
                if isinstance(part, TextPart) and part.text:
                    found.append((f"messages.{i}.content.{j}", part, part.text))
        return found

    async def on_request(self, ctx: RequestContext) -> None:
        if not self.settings.enabled:
            return
        texts = self._texts(ctx)
        scores = await self.detector.ascore_many([t for _, _, t in texts])
        verdicts: list[Verdict] = []
        for (source, holder, text), injection in zip(texts, scores, strict=True):
            findings = find_sensitive(text)
            found = self.request_policy.verdicts(source, "input", injection, findings, text)
            verdicts.extend(found)
            cleaned = self._clean(text, found, injection, neutralize_injection=False)
            if cleaned != text:
                if isinstance(holder, TextPart):
                    holder.text = cleaned
                else:
                    holder.content = cleaned
        self._apply(ctx, verdicts)

    # ----------------------------------------------------------- observations
    async def on_observations(
        self, ctx: RequestContext, observations: list[Observation]
    ) -> list[Observation]:
        if not self.settings.enabled or not observations:
            return observations
        scores = await self.detector.ascore_many([o.text for o in observations])
        verdicts: list[Verdict] = []
        screened = []
        for observation, injection in zip(observations, scores, strict=True):
            text = observation.text
            findings = find_sensitive(text)
            found = self.observation_policy.verdicts(
                observation.citation or observation.source_id,
                "observation",
                injection,
                findings,
                text,
            )
            verdicts.extend(found)
            text = self._clean(
                text, found, injection, neutralize_injection=self.settings.neutralize_observations
            )
            if text != observation.text:
                observation = dataclasses.replace(
                    observation, data={**observation.data, "guard": "rewritten"}, text=text
                )
            screened.append(observation)
        self._apply(ctx, verdicts)
        return screened

    # ---------------------------------------------------------------- actions
    @staticmethod
    def _clean(
        text: str, found: list[Verdict], injection: InjectionScore, *, neutralize_injection: bool
    ) -> str:
        """Neutralise flagged injected sentences (``redact`` always, restrict/refuse when
        ``neutralize_injection``), then redact the secrets/PII whose policy says so."""
        attack = [v for v in found if v.category in (INJECTION, JAILBREAK)]
        strongest = max((v.action.rank for v in attack), default=0)
        if strongest == GuardAction.REDACT.rank or (
            neutralize_injection and strongest >= GuardAction.REDACT.rank
        ):
            text = neutralize(text, injection.rule_hits)
        categories = {
            v.category for v in found if v.action is GuardAction.REDACT and v not in attack
        }
        if categories:
            text = redact(text, find_sensitive(text), categories)
        return text

    def _apply(self, ctx: RequestContext, verdicts: list[Verdict]) -> None:
        ctx.add_verdicts(verdicts)
        restrict = [v for v in verdicts if v.action is GuardAction.RESTRICT_TOOLS]
        if restrict:
            reason = ", ".join(sorted({f"{v.category}@{v.source}" for v in restrict}))
            ctx.deny_tools(self.settings.restricted_tools, reason)
        refused = [v for v in verdicts if v.action is GuardAction.REFUSE]
        if refused:
            ctx.deny_tools(self.settings.restricted_tools, "refused")
            categories = sorted({v.category for v in refused})
            ctx.refusal = self.settings.refusal_message
            raise PolicyRefusal(
                f"the request was refused by the content policy ({', '.join(categories)})",
                refusal=self.settings.refusal_message,
                categories=categories,
                as_message=self.settings.refuse_with == "message",
            )
