"""Prompt assembly for the final LLM.

``template`` format is our own completion-style prompt for base models without a chat
template (the local Gemma 3 270M); ``chat`` format hands role-tagged messages to the model's
own template. Both keep the highest-priority blocks and drop the oldest history first to fit
the budget. The distilled-context builder (observations with provenance) plugs in as the
``context_blocks`` argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from serve.api.protocol import ChatMessage

DEFAULT_SYSTEM = (
    "You are a helpful, precise assistant. Answer the user's last question. "
    "Use the context when it is given; say so when it does not contain the answer."
)
ROLE_LABELS = {
    "system": "System",
    "developer": "Developer",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool",
}
TEMPLATE_STOPS = ["\nUser:", "\nAssistant:", "\nSystem:", "\n### "]


def approx_tokens(text: str) -> int:
    """A cheap upper-leaning token estimate (~4 characters a token)."""
    return (len(text) + 3) // 4


@dataclass
class PromptParts:
    """What the LLM request carries: a prompt or messages, plus extra stop sequences."""

    prompt: str | None
    messages: list[dict[str, str]] | None
    stops: list[str]
    dropped_messages: int


def _fit_history(
    history: list[ChatMessage], budget: int, count: Callable[[str], int]
) -> tuple[list[ChatMessage], int]:
    """Keep the newest messages that fit ``budget`` tokens; the last one is always kept."""
    kept: list[ChatMessage] = []
    used = 0
    for message in reversed(history):
        cost = count(message.text()) + 4
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return kept, len(history) - len(kept)


def build_prompt(
    messages: list[ChatMessage],
    *,
    template: bool,
    budget_tokens: int,
    context_blocks: list[str] | None = None,
    count: Callable[[str], int] = approx_tokens,
) -> PromptParts:
    """Assemble the LLM input by priority: system/developer > context > conversation."""
    instructions = [m for m in messages if m.role in ("system", "developer")]
    history = [m for m in messages if m.role not in ("system", "developer") and m.text()]
    system_text = "\n".join(m.text() for m in instructions if m.text()) or DEFAULT_SYSTEM
    context_text = "\n\n".join(context_blocks or [])
    fixed = count(system_text) + count(context_text) + 16
    kept, dropped = _fit_history(history, max(budget_tokens - fixed, 1), count)

    if not template:
        chat: list[dict[str, str]] = [{"role": "system", "content": system_text}]
        if context_text:
            chat.append({"role": "system", "content": f"Context:\n{context_text}"})
        for message in kept:
            role = message.role if message.role in ("user", "assistant") else "user"
            chat.append({"role": role, "content": message.text()})
        return PromptParts(None, chat, [], dropped)

    lines = [system_text, ""]
    if context_text:
        lines += ["### Context", context_text, ""]
    lines.append("### Conversation")
    for message in kept:
        lines.append(f"{ROLE_LABELS[message.role]}: {message.text().strip()}")
    lines.append("Assistant:")
    return PromptParts("\n".join(lines), None, list(TEMPLATE_STOPS), dropped)
