"""Leased request permits: the shared ledger without an actor round trip per request."""

from __future__ import annotations

import asyncio

from serve.gateway.ledger import KeyLimits, LimitLedger
from serve.gateway.limiter import LeasedLimitBackend


class CountingLedger:
    """The shared ledger as the actor serves it (one LimitLedger), counting the calls."""

    def __init__(self) -> None:
        self.ledger = LimitLedger()
        self.calls = 0

    async def lease(self, key_id, limits, want, returned=0):
        self.calls += 1
        return self.ledger.lease(key_id, limits, want, returned)

    async def record(self, key_id, limits, *, llm_tokens, cost, rejected):
        self.ledger.record(key_id, limits, llm_tokens=llm_tokens, cost=cost, rejected=rejected)

    async def usage(self, key_id=None):
        return self.ledger.usage(key_id)


def limits(rpm: int | None = 600, tokens: int | None = None) -> KeyLimits:
    return KeyLimits(
        requests_per_minute=rpm, request_burst=None, llm_tokens_per_minute=tokens, daily_budget=None
    )


def test_two_replicas_never_admit_more_than_the_bucket_and_rarely_ask():
    shared = CountingLedger()
    replicas = [LeasedLimitBackend(shared, lease_s=5.0) for _ in range(2)]
    key = limits(rpm=120)  # 120 in the bucket, 2/s refill: leases of 10

    async def run():
        return await asyncio.gather(*[replicas[i % 2].admit("k", key) for i in range(200)])

    results = asyncio.run(run())
    allowed = sum(r.allowed for r in results)
    assert 110 <= allowed <= 121  # never past the bucket (+ refill while running)
    assert shared.calls < 40  # vs 200 round trips without leases
    denied = [r for r in results if not r.allowed]
    assert denied and all(r.limit == "requests_per_minute" for r in denied)


def test_unused_permits_go_back_with_the_next_lease(monkeypatch):
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=1.0)
    key = limits(rpm=600)  # 10 per lease
    now = [100.0]
    monkeypatch.setattr("serve.gateway.limiter.time.monotonic", lambda: now[0])
    assert asyncio.run(backend.admit("k", key)).allowed
    state = shared.ledger._keys["k"]
    assert round(state.requests.level) == 600 - 10  # one admitted, nine held by the lease
    now[0] += 2.0  # the lease expired unused
    assert asyncio.run(backend.admit("k", key)).allowed
    assert shared.calls == 2
    assert round(state.requests.level) >= 600 - 10 - 10 + 9  # the nine came back first


def test_a_key_in_token_debt_is_refused_once_its_lease_ends(monkeypatch):
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=1.0)
    key = limits(rpm=600, tokens=100)
    now = [0.0]
    monkeypatch.setattr("serve.gateway.limiter.time.monotonic", lambda: now[0])
    assert asyncio.run(backend.admit("k", key)).allowed
    asyncio.run(backend.record("k", key, llm_tokens=500, cost=0.0, rejected=False))
    assert asyncio.run(backend.admit("k", key)).allowed  # from the lease: at most lease_s late
    now[0] += 1.5
    refused = asyncio.run(backend.admit("k", key))
    assert not refused.allowed and refused.limit == "llm_tokens_per_minute"


def test_lease_zero_asks_the_ledger_for_every_request():
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=0)
    for _ in range(5):
        assert asyncio.run(backend.admit("k", limits())).allowed
    assert shared.calls == 5


def test_changed_limits_start_a_new_lease():
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=60.0)
    assert asyncio.run(backend.admit("k", limits(rpm=600))).allowed
    assert asyncio.run(backend.admit("k", limits(rpm=600))).allowed
    assert shared.calls == 1
    assert asyncio.run(backend.admit("k", limits(rpm=60))).allowed  # key edited
    assert shared.calls == 2


def test_remaining_requests_counts_the_permits_this_replica_holds():
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=1.0)
    first = asyncio.run(backend.admit("k", limits(rpm=600)))
    second = asyncio.run(backend.admit("k", limits(rpm=600)))
    assert first.remaining_requests == 599 and second.remaining_requests == 598


def test_usage_counts_leased_permits_until_they_come_back(monkeypatch):
    shared = CountingLedger()
    backend = LeasedLimitBackend(shared, lease_s=1.0)
    now = [0.0]
    monkeypatch.setattr("serve.gateway.limiter.time.monotonic", lambda: now[0])
    for _ in range(3):
        assert asyncio.run(backend.admit("k", limits(rpm=600))).allowed
    now[0] += 2.0
    assert asyncio.run(backend.admit("k", limits(rpm=600))).allowed  # returns 7, leases 9
    assert shared.ledger.usage("k")["k"]["requests"] == 4 + 9


def test_warm_up_reaches_the_shared_ledger_once():
    class Pinged(CountingLedger):
        pings = 0

        def warm_up(self):
            self.pings += 1

    shared = Pinged()
    LeasedLimitBackend(shared).warm_up()
    assert shared.pings == 1 and shared.calls == 0
