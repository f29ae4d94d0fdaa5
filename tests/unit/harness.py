"""The router's services composed over fake handles, behind a TestClient (no Ray)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from serve.api.app import create_app
from serve.composition import RouterServices, compose
from serve.config.loader import deep_merge, load_config
from serve.config.schema import AppConfig
from tests.unit.fakes import FakeLLMHandle


class StaticMetrics:
    async def scrape(self) -> str:
        return "ray_serve_num_http_requests_total 1\n"


@dataclass
class Harness:
    client: TestClient
    llm: FakeLLMHandle | None
    services: RouterServices
    config: AppConfig

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        return self.services.lifecycle.traces.get(trace_id)

    def ask(self, content: Any, model: str = "interfaze", **body: Any):
        return self.client.post(
            "/v1/chat/completions",
            json={"model": model, "messages": [{"role": "user", "content": content}], **body},
        )


def make_harness(
    handles: dict[str, Any] | None = None,
    *,
    llm_handle: FakeLLMHandle | bool | None = True,
    with_gateway: Any = None,
    config: AppConfig | None = None,
    **overrides: Any,
) -> Harness:
    """``llm_handle=True`` gives a fake LLM answering "Answer."; ``False`` deploys none."""
    base = {"router": {"intent_embeddings": False, "shared_traces": False}}
    config = config or load_config("local", deep_merge(base, overrides))
    llm = FakeLLMHandle("Answer.") if llm_handle is True else llm_handle
    services = compose(
        config,
        llm_handle=llm or None,
        handles=handles,
        gateway=with_gateway,
        metrics_relay=StaticMetrics(),
    )
    return Harness(TestClient(create_app(services)), llm or None, services, config)
