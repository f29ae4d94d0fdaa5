"""Where the limit ledger lives: in this process, or in one named Ray actor for all replicas."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any

from serve.gateway.ledger import Admission, KeyLimits, LimitLedger

logger = logging.getLogger(__name__)


class LimitBackend(ABC):
    """Admits requests and records what they used, for every key."""

    @abstractmethod
    async def admit(self, key_id: str, limits: KeyLimits) -> Admission: ...

    @abstractmethod
    async def record(
        self, key_id: str, limits: KeyLimits, *, llm_tokens: int, cost: float, rejected: bool
    ) -> None: ...

    @abstractmethod
    async def usage(self, key_id: str | None = None) -> dict[str, dict[str, Any]]: ...

    def warm_up(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Blocking, at replica start (a warm-up thread): make the first admission fast."""


class InProcessLimitBackend(LimitBackend):
    """One ledger per process: exact for one replica, per-replica limits otherwise."""

    def __init__(self, ledger: LimitLedger | None = None) -> None:
        self.ledger = ledger or LimitLedger()

    async def admit(self, key_id: str, limits: KeyLimits) -> Admission:
        return self.ledger.admit(key_id, limits)

    async def record(
        self, key_id: str, limits: KeyLimits, *, llm_tokens: int, cost: float, rejected: bool
    ) -> None:
        self.ledger.record(key_id, limits, llm_tokens=llm_tokens, cost=cost, rejected=rejected)

    async def usage(self, key_id: str | None = None) -> dict[str, dict[str, Any]]:
        return self.ledger.usage(key_id)


class RayActorLimitBackend(LimitBackend):
    """The ledger inside one detached named actor shared by every router replica.

    ``admit`` is one actor round trip on the request path; ``record`` is fire-and-forget.
    The actor is created on first use (``get_if_exists``), needs no CPU reservation, and
    processes calls one at a time, so buckets stay consistent across replicas.
    """

    def __init__(self, name: str, namespace: str) -> None:
        import ray

        if not ray.is_initialized():  # never start a Ray instance implicitly
            raise RuntimeError("Ray is not initialized in this process")
        actor_cls = ray.remote(num_cpus=0, max_restarts=-1)(LimitLedger)
        self._actor = actor_cls.options(
            name=name, namespace=namespace, lifetime="detached", get_if_exists=True
        ).remote()

    async def admit(self, key_id: str, limits: KeyLimits) -> Admission:
        return await self._actor.admit.remote(key_id, limits)

    async def record(
        self, key_id: str, limits: KeyLimits, *, llm_tokens: int, cost: float, rejected: bool
    ) -> None:
        self._actor.record.remote(
            key_id, limits, llm_tokens=llm_tokens, cost=cost, rejected=rejected
        )

    async def usage(self, key_id: str | None = None) -> dict[str, dict[str, Any]]:
        return await self._actor.usage.remote(key_id)

    def warm_up(self) -> None:
        """One call now: the first request would otherwise wait for the actor's creation
        and this replica's first connection to it (~30 ms measured)."""
        import ray

        ray.get(self._actor.ping.remote(), timeout=60)

    async def lease(
        self, key_id: str, limits: KeyLimits, want: int, returned: int = 0
    ) -> tuple[Admission, int]:
        return await self._actor.lease.remote(key_id, limits, want, returned)

    def kill(self) -> None:
        """Remove the actor (tests, teardown); the next backend starts a fresh ledger."""
        import ray

        ray.kill(self._actor)


@dataclass
class _Lease:
    limits: KeyLimits
    permits: int  # requests this replica may still admit without asking
    granted: Admission  # the ledger's answer when the lease was taken
    expires: float  # monotonic


class LeasedLimitBackend(LimitBackend):
    """The shared ledger without a round trip per request: request permits leased in batches.

    A lease holds what the key's request rate allows in ``lease_s`` (at most
    ``max_permits``); requests admitted from it cost no actor call. The permits are taken
    out of the shared bucket when leased, so the replicas together never admit more than the
    limit; unused ones go back with the next lease. A refusal is kept until its retry time
    (at most ``lease_s``), so a key hammering past its limit does not hammer the actor.
    Token and budget limits are read when a lease is taken, so a key that runs out is
    refused at most ``lease_s`` late (its usage is charged after each request anyway).
    ``lease_s = 0``: one round trip per request.
    """

    def __init__(self, shared: Any, *, lease_s: float = 1.0, max_permits: int = 32) -> None:
        self.shared = shared
        self.lease_s = lease_s
        self.max_permits = max_permits
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def want(self, limits: KeyLimits) -> int:
        if self.lease_s <= 0:
            return 1
        if limits.requests_per_minute is None:
            return self.max_permits
        per_lease = math.floor(limits.requests_per_minute / 60.0 * self.lease_s)
        return max(1, min(self.max_permits, per_lease))

    def _take(self, key_id: str, limits: KeyLimits) -> Admission | None:
        """An answer from what this replica holds: a permit, or a refusal still in force."""
        lease, now = self._leases.get(key_id), time.monotonic()
        if lease is None or lease.limits != limits or now >= lease.expires:
            return None
        if not lease.granted.allowed:  # refused a moment ago: no need to ask again yet
            return replace(lease.granted, retry_after_s=round(lease.expires - now, 3))
        if lease.permits <= 0:
            return None
        lease.permits -= 1
        return replace(lease.granted, remaining_requests=_remaining(lease.granted, lease.permits))

    async def admit(self, key_id: str, limits: KeyLimits) -> Admission:
        if (admission := self._take(key_id, limits)) is not None:
            return admission
        async with self._locks.setdefault(key_id, asyncio.Lock()):
            if (admission := self._take(key_id, limits)) is not None:
                return admission  # another request renewed the lease meanwhile
            old = self._leases.pop(key_id, None)
            returned = old.permits if old is not None and old.limits == limits else 0
            want = self.want(limits)
            admission, extra = await self.shared.lease(key_id, limits, want, returned)
            now = time.monotonic()
            if admission.allowed and extra > 0:
                self._leases[key_id] = _Lease(limits, extra, admission, now + self.lease_s)
            elif not admission.allowed and self.lease_s > 0:  # a key over its limit that
                hold = min(admission.retry_after_s, self.lease_s)  # keeps asking costs no calls
                self._leases[key_id] = _Lease(limits, 0, admission, now + hold)
            return replace(admission, remaining_requests=_remaining(admission, extra))

    async def record(
        self, key_id: str, limits: KeyLimits, *, llm_tokens: int, cost: float, rejected: bool
    ) -> None:
        await self.shared.record(
            key_id, limits, llm_tokens=llm_tokens, cost=cost, rejected=rejected
        )

    async def usage(self, key_id: str | None = None) -> dict[str, dict[str, Any]]:
        return await self.shared.usage(key_id)

    def warm_up(self) -> None:
        warm_up = getattr(self.shared, "warm_up", None)
        if warm_up is not None:
            warm_up()


def _remaining(admission: Admission, permits: int) -> int | None:
    """Requests left to the key: the bucket's level plus what this replica holds."""
    if admission.remaining_requests is None:
        return None
    return admission.remaining_requests + permits


def select_limit_backend(limits: Any, namespace: str, *, router_replicas: int) -> LimitBackend:
    """The ledger for ``limits`` (a ``LimitSettings``) when up to ``router_replicas`` routers run.

    A per-process ledger is exact only while one router replica can run; as soon as autoscaling
    may start a second one, every replica shares the named actor (``backend: memory`` is then
    upgraded, with a warning), or a key would get its limit once per replica. Outside Ray (unit
    tests, local testing mode) the ledger stays in-process.
    """
    shared = limits.enabled and (limits.backend == "ray_actor" or router_replicas > 1)
    if shared:
        if limits.backend != "ray_actor":
            logger.warning(
                "gateway.limits.backend=%s but up to %d router replicas may run: limits use the "
                "shared ray_actor ledger instead",
                limits.backend,
                router_replicas,
            )
        try:
            shared_ledger = RayActorLimitBackend(
                limits.actor_name, limits.actor_namespace or namespace
            )
            return LeasedLimitBackend(shared_ledger, lease_s=limits.lease_s)
        except Exception as exc:  # no Ray worker here (e.g. local testing mode)
            logger.warning("limits actor unavailable (%s): limits are per replica", exc)
    return InProcessLimitBackend()
