"""Fixtures shared by the end-to-end tests: the official openai client on the shared app."""

from __future__ import annotations

import openai
import pytest


@pytest.fixture(scope="module")
def client(running_app):
    return openai.OpenAI(base_url=running_app.openai_base_url, api_key="test", max_retries=0)


@pytest.fixture(scope="module")
def llm_id(running_app):
    return running_app.config.llm.model_id
