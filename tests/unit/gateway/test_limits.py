import pytest

from deployments.common.errors import RateLimited
from serve.api.errors import error_response
from serve.gateway.config import LimitSettings
from serve.gateway.context import KeyIdentity, RequestContext
from serve.gateway.keys import KeyStore
from serve.gateway.ledger import KeyLimits, LimitLedger, seconds_to_midnight
from serve.gateway.limiter import InProcessLimitBackend, LimitBackend
from serve.gateway.limits import LimitsHook
from serve.gateway.pricing import CostEstimator
from serve.gateway.usage import UsageRecorder
from tests.unit.records import finished

LIMITS = KeyLimits(requests_per_minute=2, request_burst=None, llm_tokens_per_minute=100,
                   daily_budget=1.0)  # fmt: skip


def test_request_bucket_refills_at_its_rate():
    ledger = LimitLedger()
    assert ledger.admit("k", LIMITS, now=0).allowed
    assert ledger.admit("k", LIMITS, now=0).allowed
    denied = ledger.admit("k", LIMITS, now=1)
    assert not denied.allowed and denied.limit == "requests_per_minute"
    assert denied.retry_after_s == pytest.approx(29, abs=0.01)  # 2/min: one every 30 s
    assert ledger.admit("k", LIMITS, now=30.5).allowed
    assert ledger.admit("other", LIMITS, now=1).allowed  # per key


def test_llm_tokens_are_charged_after_and_debt_blocks():
    ledger = LimitLedger()
    limits = KeyLimits(None, None, llm_tokens_per_minute=60, daily_budget=None)
    assert ledger.admit("k", limits, now=0).allowed
    ledger.record("k", limits, llm_tokens=90, cost=0, now=0)  # 30 tokens of debt
    denied = ledger.admit("k", limits, now=10)  # refilled 10, still -20
    assert not denied.allowed and denied.limit == "llm_tokens_per_minute"
    assert denied.retry_after_s == pytest.approx(21, abs=0.01)
    assert ledger.admit("k", limits, now=31).allowed


def test_daily_budget_resets_at_utc_midnight():
    ledger = LimitLedger()
    day = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    ledger.admit("k", LIMITS, now=day)
    ledger.record("k", LIMITS, llm_tokens=0, cost=1.5, now=day)
    denied = ledger.admit("k", LIMITS, now=day + 1)
    assert denied.limit == "daily_budget"
    assert denied.retry_after_s == pytest.approx(seconds_to_midnight(day + 1))
    assert ledger.admit("k", LIMITS, now=day + seconds_to_midnight(day) + 120).allowed
    assert ledger.usage("k")["k"]["spent"] == 0


def test_unlimited_when_none():
    ledger = LimitLedger()
    free = KeyLimits(None, None, None, None)
    assert all(ledger.admit("k", free, now=0).allowed for _ in range(1000))


async def test_hook_raises_429_with_retry_after_and_headers():
    hook = LimitsHook(LimitSettings(requests_per_minute=1), InProcessLimitBackend())
    ctx = RequestContext(request_id="a")
    await hook.on_request(ctx)
    assert ctx.response_headers["x-ratelimit-limit-requests"] == "1"
    assert ctx.response_headers["x-ratelimit-remaining-requests"] == "0"
    with pytest.raises(RateLimited) as err:
        await hook.on_request(RequestContext(request_id="b"))
    error = err.value
    assert error.status == 429 and error.code == "rate_limit_requests"
    assert "1 requests per minute" in error.message
    assert error_response(error).headers["Retry-After"] == "60"


async def test_key_overrides_beat_defaults():
    hook = LimitsHook(LimitSettings(requests_per_minute=1000), InProcessLimitBackend())
    identity = KeyIdentity("k1", requests_per_minute=1, daily_budget=0.0)
    limits = hook.limits_for(identity)
    assert limits.requests_per_minute == 1 and limits.daily_budget == 0.0
    with pytest.raises(RateLimited) as err:
        await hook.on_request(RequestContext(request_id="a", identity=identity))
    assert err.value.code == "daily_budget_exceeded"


class _Down(LimitBackend):
    async def admit(self, key_id, limits):
        raise ConnectionError("actor died")

    async def record(self, *a, **k):
        raise ConnectionError("actor died")

    async def usage(self, key_id=None):
        return {}


async def test_unreachable_backend_fails_open_or_closed():
    await LimitsHook(LimitSettings(fail_open=True), _Down()).on_request(RequestContext("a"))
    with pytest.raises(ConnectionError):
        await LimitsHook(LimitSettings(fail_open=False), _Down()).on_request(RequestContext("b"))


def test_cost_estimate_uses_prices_and_stage_costs():
    settings = LimitSettings.model_validate(
        {
            "prices": {"big-llm": {"prompt_per_1k": 0.5, "completion_per_1k": 1.5}},
            "stage_costs": {"ocr": 0.01},
            "default_stage_cost": 0.001,
        }
    )
    record = finished(
        200, prompt_tokens=2000, completion_tokens=1000, llm_model="big-llm",
        stages=(("plan", 1), ("ocr", 1), ("ocr", 1), ("answer", 1), ("llm", 1)),
    )  # fmt: skip
    # Pipeline steps (plan, answer, context) are not deployment calls: no stage cost.
    assert CostEstimator(settings).estimate(record) == pytest.approx(1 + 1.5 + 0.02)


async def test_usage_is_charged_and_written_to_the_key_store(tmp_path):
    store = KeyStore(tmp_path / "k.db")
    backend = InProcessLimitBackend()
    settings = LimitSettings.model_validate(
        {"llm_tokens_per_minute": 100, "default_price": {"completion_per_1k": 1.0}}
    )
    hook = LimitsHook(settings, backend, recorder=UsageRecorder(store, flush_s=0))
    ctx = RequestContext("a", identity=KeyIdentity("k1"))
    await hook.on_request(ctx)
    record = finished(200, prompt_tokens=50, completion_tokens=100)
    record.cost_usd = CostEstimator(settings).estimate(record)  # priced once, by the lifecycle
    await hook.on_complete(ctx, record)
    assert ctx.cost == pytest.approx(0.1)
    with pytest.raises(RateLimited) as err:  # 150 tokens > 100/min: in debt
        await hook.on_request(RequestContext("b", identity=KeyIdentity("k1")))
    assert err.value.code == "rate_limit_tokens"
    await hook.close()
    [row] = store.usage("k1")
    assert (row.requests, row.prompt_tokens, row.completion_tokens) == (1, 50, 100)
    assert row.cost == pytest.approx(0.1)
    assert (await backend.usage("k1"))["k1"]["llm_tokens"] == 150


def test_actor_backend_falls_back_without_ray(tmp_path, monkeypatch):
    import ray

    from serve.gateway.gateway import Gateway
    from tests.unit.gateway.conftest import settings

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # even if another test started it
    config = settings(
        limits={"backend": "ray_actor"}, input_guard={"injection": {"embedding": False}}
    )
    gateway = Gateway.from_settings(config, data_dir=tmp_path)
    assert isinstance(gateway.hook("limits").backend, InProcessLimitBackend)
