"""The one Ray module of the gateway tests: limits shared by replicas through a named actor."""

import asyncio
import tempfile

import pytest

from serve.gateway.ledger import KeyLimits

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session():
    if ray.is_initialized():  # the session's shared app already runs Ray: use it
        yield
        return
    ray.init(
        num_cpus=1,
        include_dashboard=False,
        log_to_driver=False,
        namespace="gateway-tests",
        _temp_dir=tempfile.mkdtemp(prefix="ifzgw-", dir="/tmp"),
    )
    yield
    ray.shutdown()


async def test_two_replicas_share_one_bucket(ray_session):
    from serve.gateway.limiter import RayActorLimitBackend

    limits = KeyLimits(requests_per_minute=4, request_burst=None, llm_tokens_per_minute=50,
                       daily_budget=None)  # fmt: skip
    replica_a = RayActorLimitBackend("limits-test", "gateway-tests")
    replica_b = RayActorLimitBackend("limits-test", "gateway-tests")  # finds the same actor
    try:
        results = await asyncio.gather(
            *[(replica_a if i % 2 else replica_b).admit("k", limits) for i in range(6)]
        )
        assert sum(r.allowed for r in results) == 4
        denied = [r for r in results if not r.allowed]
        assert all(r.limit == "requests_per_minute" and r.retry_after_s > 0 for r in denied)
        await replica_a.record("k", limits, llm_tokens=80, cost=0.1, rejected=False)
        for _ in range(50):  # record is fire-and-forget: wait until it lands
            usage = await replica_b.usage("k")
            if usage["k"].get("llm_tokens"):
                break
            await asyncio.sleep(0.05)
        assert usage["k"]["llm_tokens"] == 80 and usage["k"]["requests"] == 4
        denied = await replica_b.admit("k", limits)
        assert not denied.allowed
    finally:
        replica_a.kill()


async def test_leased_replicas_over_the_actor_keep_the_limit(ray_session):
    from serve.gateway.limiter import LeasedLimitBackend, RayActorLimitBackend

    limits = KeyLimits(requests_per_minute=600, request_burst=25, llm_tokens_per_minute=None,
                       daily_budget=None)  # fmt: skip
    shared = RayActorLimitBackend("limits-lease-test", "gateway-tests")
    replicas = [LeasedLimitBackend(shared, lease_s=5.0) for _ in range(2)]
    try:
        results = await asyncio.gather(*[replicas[i % 2].admit("k", limits) for i in range(60)])
        assert 25 <= sum(r.allowed for r in results) <= 27  # the burst (+ refill meanwhile)
        usage = await shared.usage("k")
        assert usage["k"]["requests"] <= 27
    finally:
        shared.kill()
