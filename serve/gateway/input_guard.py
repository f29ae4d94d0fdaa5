"""Input guard hook: injection, jailbreak, secrets and PII in request text and in the text that
perception and action stages extract (documents, web pages, transcripts).

Request text can be redacted, restrict tools, or be refused. Extracted text is data, not
instructions: by default an injection found there removes the tools (execute, browse) for the
rest of the request and the offending sentences are replaced by a marker before the LLM sees
them; it does not refuse the user, who did not write it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass

from serve.api.protocol import TextPart
from serve.context.observations import Observation
from serve.gateway.config import INJECTION, JAILBREAK, GuardAction, InputGuardSettings
from serve.gateway.context import RequestContext, Verdict
from serve.gateway.errors import PolicyRefusal
from serve.gateway.hook import GatewayHook
from serve.gateway.injection import InjectionDetector, InjectionScore, text_digest
from serve.gateway.offload import Offloader
from serve.gateway.policy import Policy
from serve.gateway.screening import ScreenSpec, TextScreen, screen_text

CACHED_SCREEN_CHARS = 64 * 1024  # longer texts are screened again when they come back


# Plain-text request fields screened like messages (other endpoints' bodies).
PLAIN_TEXT_FIELDS = ("prompt", "input")


@dataclass
class FieldText:
    """A text held in a body field (or one item of a list field), rewritten on redaction."""

    body: object
    field: str
    index: int | None

    def set(self, text: str) -> None:
        if self.index is None:
            setattr(self.body, self.field, text)
        else:
            getattr(self.body, self.field)[self.index] = text


class InputGuardHook(GatewayHook):
    """Scores request text and observations; applies the policy's actions.

    The scanning (rules, secrets/PII, rewrites) of small inputs runs inline; of large ones
    (``offloader.min_chars`` characters or more in one call) in worker processes, so a big
    document never stalls the event loop other requests share.
    """

    name = "input_guard"

    def __init__(
        self,
        settings: InputGuardSettings,
        detector: InjectionDetector,
        offloader: Offloader | None = None,
    ) -> None:
        self.settings = settings
        self.detector = detector
        self.offloader = offloader or detector.offloader
        self.request_policy = Policy(settings.policies)
        self.observation_policy = Policy(settings.observation_policies)
        self._screens: OrderedDict[tuple[bool, str], TextScreen] = OrderedDict()
        self._screens_lock = threading.Lock()

    # --------------------------------------------------------------- request
    def _texts(self, ctx: RequestContext) -> list[tuple[str, object, str]]:
        """(source, holder, text): holder is the message or TextPart to rewrite on redaction."""
        found: list[tuple[str, object, str]] = []
        for field in PLAIN_TEXT_FIELDS:  # /v1/completions prompts, /v1/embeddings inputs
            value = getattr(ctx.body, field, None)
            if isinstance(value, str):
                found.append((field, FieldText(ctx.body, field, None), value))
            elif isinstance(value, list):
                found += [
                    (f"{field}.{i}", FieldText(ctx.body, field, i), v)
                    for i, v in enumerate(value)
                    if isinstance(v, str) and v
                ]
        if not hasattr(ctx.body, "messages"):  # no chat body (documents, audio, the above)
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

    async def _screen(
        self, texts: list[str], policy: Policy
    ) -> list[tuple[TextScreen, InjectionScore]]:
        """Screens and injection scores of ``texts`` (worker processes when they are long).

        Screens of texts up to ``CACHED_SCREEN_CHARS`` are remembered, so a conversation's
        earlier messages, sent again with every turn, are not scanned again.
        """
        keys = [(policy is self.request_policy, text_digest(t)) for t in texts]
        screens: list[TextScreen | None] = [self._cached_screen(k) for k in keys]
        todo = [i for i, screen in enumerate(screens) if screen is None]
        spec = ScreenSpec(self.detector.settings, self.detector.embeds, policy)
        fresh = await self.offloader.map(screen_text, [texts[i] for i in todo], spec)
        for i, screen in zip(todo, fresh, strict=True):
            screens[i] = screen
            if len(texts[i]) <= CACHED_SCREEN_CHARS and self.detector.settings.cache_size:
                with self._screens_lock:
                    self._screens[keys[i]] = screen
                    while len(self._screens) > self.detector.settings.cache_size:
                        self._screens.popitem(last=False)
        scores = await self.detector.ascore_prepared([s.prepared for s in screens])
        return list(zip(screens, scores, strict=True))

    def _cached_screen(self, key: tuple[bool, str]) -> TextScreen | None:
        with self._screens_lock:
            screen = self._screens.get(key)
            if screen is not None:
                self._screens.move_to_end(key)
            return screen

    async def on_request(self, ctx: RequestContext) -> None:
        if not self.settings.enabled:
            return
        texts = self._texts(ctx)
        screened = await self._screen([t for _, _, t in texts], self.request_policy)
        verdicts: list[Verdict] = []
        for (source, holder, text), (screen, injection) in zip(texts, screened, strict=True):
            found = self.request_policy.verdicts_for(source, "input", injection, screen.sensitive)
            verdicts.extend(found)
            cleaned = screen.text(text, neutralize=self._neutralize(found, observation=False))
            if cleaned != text:
                if isinstance(holder, TextPart):
                    holder.text = cleaned
                elif isinstance(holder, FieldText):
                    holder.set(cleaned)
                else:
                    holder.content = cleaned
        self._apply(ctx, verdicts)

    # ----------------------------------------------------------- observations
    async def on_observations(
        self, ctx: RequestContext, observations: list[Observation]
    ) -> list[Observation]:
        if not self.settings.enabled or not observations:
            return observations
        screened_texts = await self._screen([o.text for o in observations], self.observation_policy)
        verdicts: list[Verdict] = []
        screened = []
        for observation, (screen, injection) in zip(observations, screened_texts, strict=True):
            found = self.observation_policy.verdicts_for(
                observation.citation or observation.source_id,
                "observation",
                injection,
                screen.sensitive,
            )
            verdicts.extend(found)
            text = screen.text(
                observation.text, neutralize=self._neutralize(found, observation=True)
            )
            if text != observation.text:
                observation = dataclasses.replace(
                    observation, data={**observation.data, "guard": "rewritten"}, text=text
                )
            screened.append(observation)
        self._apply(ctx, verdicts)
        return screened

    # ---------------------------------------------------------------- actions
    def _neutralize(self, found: list[Verdict], *, observation: bool) -> bool:
        """Whether injected sentences are replaced by a marker: when the strongest attack
        verdict is ``redact``, or (observations, ``neutralize_observations``) anything
        stronger — the user did not write that text, so it is rewritten, never just kept."""
        strongest = max(
            (v.action.rank for v in found if v.category in (INJECTION, JAILBREAK)), default=0
        )
        if strongest == GuardAction.REDACT.rank:
            return True
        return (
            observation
            and self.settings.neutralize_observations
            and strongest >= GuardAction.REDACT.rank
        )

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
