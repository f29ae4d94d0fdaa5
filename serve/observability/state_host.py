"""One detached Ray actor for the router replicas' small shared stores.

Request traces, stored ``/v1/responses`` and the limits ledger are each a few dicts behind
one-call-at-a-time methods. As separate actors each cost a worker process (its memory and
~6-9 ms/s of idle CPU for the core worker's loops). Instead each store is a named *slot* of
one host actor (:data:`STATE_ACTOR`): the first call to a slot builds its store from an
import path and arguments the caller sends along, so a restarted host (``max_restarts=-1``)
starts fresh stores without help, and callers need no set-up step or call ordering.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

STATE_ACTOR = "interfaze-state"


@dataclass(frozen=True)
class Slot:
    """A store in the host: its name, ``module:Class`` and constructor arguments."""

    name: str
    factory: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Any:
        module, _, qualname = self.factory.partition(":")
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
        return target(*self.args, **self.kwargs)


class StateHost:
    """The actor: one store per slot name, built on first use."""

    def __init__(self) -> None:
        self._stores: dict[str, Any] = {}

    def call(self, slot: Slot, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        store = self._stores.get(slot.name)
        if store is None:
            store = self._stores[slot.name] = slot.build()
        return getattr(store, method)(*args, **kwargs)

    def slots(self) -> list[str]:
        return sorted(self._stores)

    def ping(self) -> bool:
        return True


class HostedStore:
    """A store's methods as actor calls to its slot: ``store.remote("get", key)`` → ObjectRef.

    Every process and store asking for the same ``name`` and ``namespace`` reaches the same
    detached actor (created on first use, no CPU reserved, restarted if it dies).
    """

    def __init__(self, slot: Slot, namespace: str, name: str = STATE_ACTOR) -> None:
        import ray

        actor_cls = ray.remote(num_cpus=0, max_restarts=-1)(StateHost)
        self.actor = actor_cls.options(
            name=name, namespace=namespace, lifetime="detached", get_if_exists=True
        ).remote()
        self.slot = slot

    def remote(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.actor.call.remote(self.slot, method, args, kwargs)

    def ping(self, timeout_s: float = 60.0) -> bool:
        import ray

        return ray.get(self.actor.ping.remote(), timeout=timeout_s)

    def kill(self) -> None:
        """Remove the host (tests, teardown): every slot in it goes with it."""
        import ray

        ray.kill(self.actor)
