"""Shared fixtures: one local Ray Serve app per test session, started on first use."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ops.cli.serve_cmd import free_port
from serve.config.loader import load_config
from serve.config.schema import AppConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class RunningApp:
    config: AppConfig
    base_url: str

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"


def make_test_config(**overrides) -> AppConfig:
    """The local profile on free ports, sized for a 2-core CI machine."""
    base = {
        "port": free_port(),
        "local_cluster": {"metrics_export_port": free_port()},
        "router": {"autoscaling_config": {"min_replicas": 1, "max_replicas": 1}},
        "llm": {"engine_kwargs": {"max_model_len": 1024}, "context_tokens": 768},
        # One setting decides which hosts browse may reach (the gateway checks URLs with it).
        "actions": {"browse": {"allow_hosts": ["127.0.0.1"]}},
    }
    from serve.config.loader import deep_merge

    return load_config("local", deep_merge(base, overrides))


@pytest.fixture(scope="session")
def running_app() -> Iterator[RunningApp]:
    """The real application (router + vLLM on CPU) on 127.0.0.1, shared by all tests."""
    from ops.cli.serve_cmd import run_app, stop_app

    config = make_test_config()
    temp_dir = tempfile.mkdtemp(prefix="ifzt-", dir="/tmp")
    try:
        base_url = run_app(config, temp_dir=temp_dir)
        yield RunningApp(config=config, base_url=base_url)
    finally:
        stop_app()
