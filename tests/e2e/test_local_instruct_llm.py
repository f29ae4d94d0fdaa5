"""End-to-end: the local instruct LLM (SmolLM2 135M, chat template) answers plain questions.

Through the official `openai` client against the shared app: the bare LLM (greedy) and the
`interfaze` pipeline (the server's default decoding) both name Paris, and generation ends on
the template's end-of-turn token (finish reason `stop`, a short answer) instead of running to
`max_tokens`. The model's system prompt (`llm.system_prompt`) matters: with the router's
generic one, greedy SmolLM2 answers this question in broken French.
"""

import openai
import pytest

from deployments.llm.config import PromptFormat

pytestmark = pytest.mark.e2e

QUESTION = "What is the capital of France?"


@pytest.fixture(scope="module")
def client(running_app):
    if running_app.config.llm.prompt_format is not PromptFormat.CHAT:
        pytest.skip("the app's LLM is not a chat model (llm.model_source names a base model)")
    return openai.OpenAI(base_url=running_app.openai_base_url, api_key="test", max_retries=0)


def ask(client, model, content=QUESTION, **kwargs):
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], **kwargs
    )


def test_bare_llm_answers_and_stops_at_end_of_turn(client, running_app):
    max_tokens = 64
    model = running_app.config.llm.model_id
    response = ask(client, model, max_tokens=max_tokens, temperature=0)
    choice = response.choices[0]
    assert "paris" in choice.message.content.lower(), choice.message.content
    assert choice.finish_reason == "stop", choice  # <|im_end|> ended the turn
    assert response.usage.completion_tokens < max_tokens // 2
    assert "<|im_end|>" not in choice.message.content


def test_interfaze_answers_a_capital_question(client):
    response = ask(client, "interfaze", max_tokens=64, seed=3)
    text = response.choices[0].message.content
    assert "paris" in text.lower(), (text, response.model_extra.get("interfaze"))
    assert response.choices[0].finish_reason == "stop"


def test_a_second_fact_with_server_default_decoding(client, running_app):
    response = ask(client, running_app.config.llm.model_id, "What is the chemical symbol for iron?")
    assert "Fe" in response.choices[0].message.content, response.choices[0].message.content
