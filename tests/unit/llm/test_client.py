"""LLMClient: a replica that died makes new requests fail fast (retryable 503) until one
answers again, instead of queueing for the replacement."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from ray.exceptions import RayActorError

from deployments.common.errors import Overloaded
from deployments.llm.protocol import GenerationRequest
from serve.llm.client import LLMClient
from tests.unit.fakes import FakeLLMHandle, _Method


class DyingResponse:
    """A stream whose replica dies after the first chunk."""

    def __init__(self) -> None:
        self.sent = False
        self.cancelled = False

    def __aiter__(self):
        return self

    async def __anext__(self) -> dict[str, Any]:
        if not self.sent:
            self.sent = True
            return {"kind": "delta", "text": "Par"}
        raise RayActorError()

    def cancel(self) -> None:
        self.cancelled = True


class RestartingHandle(FakeLLMHandle):
    """The first generation dies; stats hang while ``restarting`` (no replica to take it)."""

    def __init__(self) -> None:
        super().__init__("Paris is the capital.")
        self.restarting = True
        self.dead_once = False
        self.probes = 0

    def _generate(self, request: dict[str, Any]) -> Any:
        if not self.dead_once:
            self.dead_once = True
            self.requests.append(request)
            return DyingResponse()
        return super()._generate(request)

    @property
    def stats(self) -> _Method:
        async def _stats() -> dict[str, Any]:
            self.probes += 1
            if self.restarting:
                await asyncio.sleep(3600)  # queued in Serve until a replica is up
            return {"model_id": "fake"}

        return _Method(_stats)


async def drain(client: LLMClient, rid: str) -> str:
    text = ""
    async for chunk in client.stream(GenerationRequest(request_id=rid, prompt="q"), timeout_s=30):
        text += chunk.text or ""
    return text


async def test_requests_after_a_replica_death_get_a_fast_503_until_one_answers():
    handle = RestartingHandle()
    client = LLMClient(handle, "fake", probe_timeout_s=0.2)
    with pytest.raises(Overloaded) as died:
        await drain(client, "r1")
    assert died.value.code == "llm_replica_unavailable" and died.value.retry_after == 5
    assert len(handle.requests) == 1

    started = time.monotonic()
    results = await asyncio.gather(*(drain(client, f"r{i}") for i in range(2, 6)),
                                   return_exceptions=True)  # fmt: skip
    assert time.monotonic() - started < 1.0  # not a minute in Serve's queue
    assert all(isinstance(r, Overloaded) and r.status == 503 for r in results)
    assert handle.probes == 1  # one probe shared by the concurrent callers
    assert len(handle.requests) == 1  # none of them was sent to the queue

    handle.restarting = False
    assert await drain(client, "r6") == "Paris is the capital."
    assert client.replica_lost_at is None
    assert await drain(client, "r7") == "Paris is the capital."
    assert handle.probes == 2  # healthy again: no more probes


async def test_no_probe_while_no_replica_has_died():
    handle = RestartingHandle()
    handle.dead_once = True
    client = LLMClient(handle, "fake")
    assert await drain(client, "r1") == "Paris is the capital."
    assert handle.probes == 0
