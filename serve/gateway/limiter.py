"""Where the limit ledger lives: in this process, or in one named Ray actor for all replicas."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
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

    def kill(self) -> None:
        """Remove the actor (tests, teardown); the next backend starts a fresh ledger."""
        import ray

        ray.kill(self._actor)


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
            return RayActorLimitBackend(limits.actor_name, limits.actor_namespace or namespace)
        except Exception as exc:  # no Ray worker here (e.g. local testing mode)
            logger.warning("limits actor unavailable (%s): limits are per replica", exc)
    return InProcessLimitBackend()
