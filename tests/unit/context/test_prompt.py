from serve.api.protocol import ChatMessage
from serve.context.prompt import DEFAULT_SYSTEM, TEMPLATE_STOPS, build_prompt


def msgs(*pairs):
    return [ChatMessage(role=r, content=c) for r, c in pairs]


def test_template_prompt_ends_with_assistant_cue_and_has_stops():
    parts = build_prompt(msgs(("user", "Capital of France?")), template=True, budget_tokens=500)
    assert parts.prompt.startswith(DEFAULT_SYSTEM)
    assert parts.prompt.rstrip().endswith("User: Capital of France?\nAssistant:")
    assert parts.messages is None and parts.stops == TEMPLATE_STOPS


def test_system_message_replaces_default_and_context_is_included():
    parts = build_prompt(
        msgs(("system", "Be terse."), ("user", "Total?")),
        template=True,
        budget_tokens=500,
        context_blocks=["[doc1] Total: 42 EUR"],
    )
    assert parts.prompt.startswith("Be terse.")
    assert DEFAULT_SYSTEM not in parts.prompt
    assert "### Context\n[doc1] Total: 42 EUR" in parts.prompt


def test_oldest_history_dropped_first_and_last_turn_kept():
    history = msgs(
        ("user", "old " * 200),
        ("assistant", "older answer " * 50),
        ("user", "the newest question"),
    )
    parts = build_prompt(history, template=True, budget_tokens=120)
    assert "the newest question" in parts.prompt
    assert "old old" not in parts.prompt
    assert parts.dropped_messages >= 1


def test_chat_format_returns_messages():
    parts = build_prompt(
        msgs(("user", "hi"), ("assistant", "hello"), ("user", "bye")),
        template=False,
        budget_tokens=500,
        context_blocks=["fact"],
    )
    assert parts.prompt is None
    assert [m["role"] for m in parts.messages] == ["system", "system", "user", "assistant", "user"]
    assert parts.messages[1]["content"] == "Context:\nfact"


def test_context_blocks_are_fitted_by_priority_and_the_question_survives():
    blocks = [f"[doc1 p.{i}]\n" + ("word " * 400) for i in range(1, 6)]
    parts = build_prompt(
        msgs(("user", "older turn " * 100), ("assistant", "ok"), ("user", "What is the total?")),
        template=True,
        budget_tokens=600,
        context_blocks=blocks,
    )
    assert parts.tokens <= 600
    assert "What is the total?" in parts.prompt and "[doc1 p.1]" in parts.prompt
    assert "[doc1 p.5]" not in parts.prompt
    assert parts.dropped_blocks >= 3 and parts.truncated_blocks <= 1
    assert "older turn" not in parts.prompt  # history goes before tool results


def test_real_tokenizer_counts_and_truncation():
    from serve.context.tokens import approx_tokens, counter_for, truncate_to

    assert counter_for(None) is approx_tokens
    text = "alpha beta gamma delta " * 50
    cut = truncate_to(text, 20, approx_tokens)
    assert approx_tokens(cut) <= 20 and text.startswith(cut)


def test_model_default_system_applies_only_when_the_client_sends_none():
    question = [ChatMessage(role="user", content="Capital of France?")]
    parts = build_prompt(question, template=False, budget_tokens=256, default_system="Be brief.")
    assert parts.messages[0] == {"role": "system", "content": "Be brief."}
    own = [ChatMessage(role="system", content="Mine."), *question]
    parts = build_prompt(own, template=False, budget_tokens=256, default_system="Be brief.")
    assert parts.messages[0] == {"role": "system", "content": "Mine."}
    parts = build_prompt(question, template=False, budget_tokens=256)
    assert parts.messages[0] == {"role": "system", "content": DEFAULT_SYSTEM}
