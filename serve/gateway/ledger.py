"""Rate-limit state: token buckets and daily budgets per key (plain, synchronous, no Ray).

The same :class:`LimitLedger` runs in-process (one replica, tests) or inside the named Ray
actor that every router replica shares (``limiter.py``).

LLM tokens are charged *after* a request (only escalated requests use the LLM, and their size
is known only then): a key whose token bucket is in debt is refused until it refills. Requests
are charged up front. Budgets reset at UTC midnight.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class KeyLimits:
    """Effective limits of one key (None: unlimited)."""

    requests_per_minute: int | None
    request_burst: int | None
    llm_tokens_per_minute: int | None
    daily_budget: float | None


@dataclass
class Admission:
    """The answer to "may this request start?"."""

    allowed: bool
    limit: str | None = None  # requests_per_minute, llm_tokens_per_minute, daily_budget
    retry_after_s: float = 0.0
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    budget_left: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TokenBucket:
    """A bucket of ``capacity`` refilled at ``rate`` per second; the level may go negative."""

    capacity: float
    rate: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def seconds_until(self, level: float) -> float:
        return max(0.0, (level - self.level) / self.rate)


@dataclass
class KeyState:
    requests: TokenBucket | None = None
    tokens: TokenBucket | None = None
    day: str = ""
    spent: float = 0.0
    usage: dict[str, float] = field(default_factory=dict)


def _day(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")


def seconds_to_midnight(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - moment).total_seconds()


class LimitLedger:
    """Buckets and budgets of every key; all methods take ``now`` (epoch seconds)."""

    def __init__(self) -> None:
        self._keys: dict[str, KeyState] = {}

    def _state(self, key_id: str, limits: KeyLimits, now: float) -> KeyState:
        state = self._keys.setdefault(key_id, KeyState(day=_day(now)))
        state.requests = self._bucket(
            state.requests,
            limits.request_burst or limits.requests_per_minute,
            limits.requests_per_minute,
            now,
        )
        state.tokens = self._bucket(
            state.tokens, limits.llm_tokens_per_minute, limits.llm_tokens_per_minute, now
        )
        today = _day(now)
        if state.day != today:
            state.day, state.spent, state.usage = today, 0.0, {}
        return state

    @staticmethod
    def _bucket(
        bucket: TokenBucket | None, capacity: int | None, per_minute: int | None, now: float
    ) -> TokenBucket | None:
        if not per_minute:
            return None
        rate, size = per_minute / 60.0, float(capacity or per_minute)
        if bucket is None:
            return TokenBucket(size, rate, size, now)
        bucket.capacity, bucket.rate = size, rate  # limits may change (key edited)
        bucket.refill(now)
        return bucket

    def admit(self, key_id: str, limits: KeyLimits, now: float | None = None) -> Admission:
        """Charge one request if every limit allows it; otherwise say which and for how long."""
        now = time.time() if now is None else now
        state = self._state(key_id, limits, now)
        if limits.daily_budget is not None and state.spent >= limits.daily_budget:
            return Admission(False, "daily_budget", seconds_to_midnight(now), budget_left=0.0)
        if state.tokens is not None and state.tokens.level <= 0:
            return Admission(
                False, "llm_tokens_per_minute", state.tokens.seconds_until(1.0), remaining_tokens=0
            )
        if state.requests is not None:
            if state.requests.level < 1:
                return Admission(
                    False,
                    "requests_per_minute",
                    state.requests.seconds_until(1.0),
                    remaining_requests=0,
                )
            state.requests.level -= 1
        state.usage["requests"] = state.usage.get("requests", 0) + 1
        return Admission(
            True,
            remaining_requests=int(state.requests.level) if state.requests else None,
            remaining_tokens=int(state.tokens.level) if state.tokens else None,
            budget_left=(
                None if limits.daily_budget is None else limits.daily_budget - state.spent
            ),
        )

    def lease(
        self,
        key_id: str,
        limits: KeyLimits,
        want: int,
        returned: int = 0,
        now: float | None = None,
    ) -> tuple[Admission, int]:
        """Admit one request and lease up to ``want - 1`` more request permits with it.

        ``returned`` permits of an earlier lease that were not used go back to the bucket
        first. The extra permits are taken out of the request bucket now, so leasing never
        admits more than the limit; a replica spends them without asking again.
        """
        now = time.time() if now is None else now
        state = self._state(key_id, limits, now)
        if returned > 0:  # leased earlier, counted as requests then, never used
            if state.requests is not None:
                level = state.requests.level + returned
                state.requests.level = min(state.requests.capacity, level)
            state.usage["requests"] = max(0, state.usage.get("requests", 0) - returned)
        admission = self.admit(key_id, limits, now)
        extra = 0
        if admission.allowed and want > 1:
            if state.requests is None:
                extra = want - 1  # no request limit: nothing to take
            else:
                extra = max(0, min(want - 1, int(state.requests.level)))
                state.requests.level -= extra
                admission.remaining_requests = int(state.requests.level)
            state.usage["requests"] = state.usage.get("requests", 0) + extra  # until returned
        return admission, extra

    def record(
        self,
        key_id: str,
        limits: KeyLimits,
        *,
        llm_tokens: int,
        cost: float,
        rejected: bool = False,
        now: float | None = None,
    ) -> None:
        """Charge what a finished request used."""
        now = time.time() if now is None else now
        state = self._state(key_id, limits, now)
        if state.tokens is not None:
            state.tokens.level -= llm_tokens
        state.spent += cost
        usage = state.usage
        usage["llm_tokens"] = usage.get("llm_tokens", 0) + llm_tokens
        usage["cost"] = usage.get("cost", 0.0) + cost
        if rejected:
            usage["rejected"] = usage.get("rejected", 0) + 1

    def usage(self, key_id: str | None = None) -> dict[str, dict[str, Any]]:
        """Today's counters per key (what the shared actor knows)."""
        keys = [key_id] if key_id else list(self._keys)
        return {
            k: {"day": self._keys[k].day, "spent": self._keys[k].spent, **self._keys[k].usage}
            for k in keys
            if k in self._keys
        }

    def ping(self) -> bool:
        return True
