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
from typing import Any

from serve.api.protocol import ChatMessage
from serve.context.tokens import approx_tokens, truncate_to

TRUNCATION_NOTE = "\n[... cut to fit the context budget]"

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


@dataclass
class PromptParts:
    """What the LLM request carries: a prompt or messages, plus extra stop sequences."""

    prompt: str | None
    messages: list[dict[str, str]] | None
    stops: list[str]
    dropped_messages: int
    dropped_blocks: int = 0
    truncated_blocks: int = 0
    tokens: int = 0
    question_cut: int = 0  # tokens cut from the middle of a question too long for the budget


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


def fit_blocks(
    blocks: list[str], budget: int, count: Callable[[str], int]
) -> tuple[list[str], int, int]:
    """Keep context blocks in priority order within ``budget`` tokens.

    A block that does not fit whole is cut (when a useful part fits) and the rest dropped;
    returns (kept, dropped, truncated).
    """
    kept: list[str] = []
    used = dropped = truncated = 0
    for index, block in enumerate(blocks):
        cost = count(block) + 2
        if used + cost <= budget:
            kept.append(block)
            used += cost
            continue
        room = budget - used - count(TRUNCATION_NOTE) - 2
        if room >= 48:
            kept.append(truncate_to(block, room, count) + TRUNCATION_NOTE)
            truncated += 1
            used = budget
        dropped += len(blocks) - index - (1 if room >= 48 else 0)
        break
    return kept, dropped, truncated


def cut_middle(text: str, budget: int, count: Callable[[str], int]) -> str:
    """``text`` within ``budget`` tokens: its beginning and its end (where instructions are),
    with a note where the middle was cut."""
    note = "\n[... the middle of this message was cut to fit the context ...]\n"
    half = max((budget - count(note)) // 2, 1)
    head = truncate_to(text, half, count)
    tail_chars = len(text) - len(head)
    low, high = 0, tail_chars
    while low < high:  # the longest suffix within ``half`` tokens
        mid = (low + high + 1) // 2
        if count(text[len(text) - mid :]) <= half:
            low = mid
        else:
            high = mid - 1
    return f"{head}{note}{text[len(text) - low :]}"


def _chat_message(message: ChatMessage) -> dict[str, Any]:
    """A history message for the model's chat template (tool calls and results kept)."""
    role = message.role if message.role in ("user", "assistant", "tool") else "user"
    out: dict[str, Any] = {"role": role, "content": message.text()}
    if message.tool_calls:
        out["tool_calls"] = [call.model_dump() for call in message.tool_calls]
    if role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
        if message.name:
            out["name"] = message.name
    return out


def _template_text(message: ChatMessage) -> str:
    """A history message as a line of our completion-style prompt."""
    text = message.text().strip()
    for call in message.tool_calls or []:
        text += f"\n[called {call.function.name}({call.function.arguments})]"
    return text.strip()


def build_prompt(
    messages: list[ChatMessage],
    *,
    template: bool,
    budget_tokens: int,
    context_blocks: list[str] | None = None,
    count: Callable[[str], int] = approx_tokens,
    default_system: str | None = None,
) -> PromptParts:
    """Assemble the LLM input by priority within ``budget_tokens``.

    ``default_system`` replaces :data:`DEFAULT_SYSTEM` when the client sends no system message
    (``llm.system_prompt``: a prompt tuned for the served model).

    system > developer > the user's question > tool results (``context_blocks``, quoted as
    data, in the order given) > older history: lower-priority parts are cut or dropped first.
    """
    instructions = [m for m in messages if m.role in ("system", "developer")]
    history = [
        m for m in messages if m.role not in ("system", "developer") and (m.text() or m.tool_calls)
    ]
    system_text = (
        "\n".join(m.text() for m in instructions if m.text()) or default_system or DEFAULT_SYSTEM
    )
    question = history[-1].text() if history else ""
    question_cut = 0
    room = max((budget_tokens - count(system_text) - 32) * 3 // 4, 64)
    if question and count(question) > room:  # a pasted document with an instruction
        shorter = cut_middle(question, room, count)
        question_cut = count(question) - count(shorter)
        history[-1] = history[-1].model_copy(update={"content": shorter})
        question = shorter
    fixed = count(system_text) + count(question) + 32
    blocks, dropped_blocks, truncated = fit_blocks(
        list(context_blocks or []), max(budget_tokens - fixed, 0), count
    )
    context_text = "\n\n".join(blocks)
    fixed += count(context_text)
    kept, dropped = _fit_history(history, max(budget_tokens - fixed, 1), count)

    if not template:
        chat: list[dict[str, Any]] = [{"role": "system", "content": system_text}]
        if context_text:
            chat.append({"role": "system", "content": f"Context:\n{context_text}"})
        chat += [_chat_message(message) for message in kept]
        tokens = sum(count(str(m.get("content") or "")) + 4 for m in chat)
        return PromptParts(None, chat, [], dropped, dropped_blocks, truncated, tokens, question_cut)

    lines = [system_text, ""]
    if context_text:
        lines += ["### Context", context_text, ""]
    lines.append("### Conversation")
    for message in kept:
        lines.append(f"{ROLE_LABELS[message.role]}: {_template_text(message)}")
    lines.append("Assistant:")
    prompt = "\n".join(lines)
    return PromptParts(
        prompt,
        None,
        list(TEMPLATE_STOPS),
        dropped,
        dropped_blocks,
        truncated,
        count(prompt),
        question_cut,
    )
