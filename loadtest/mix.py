"""Weighted choice of request categories and round-robin choice of their payloads."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Any

from loadtest.settings import CATEGORIES


def normalise(weights: Mapping[str, float], available: set[str] | None = None) -> dict[str, float]:
    """Weights as fractions summing to 1, keeping only positive (and available) categories.

    Raises ValueError when nothing is left, naming what was asked for and what exists.
    """
    kept = {
        name: float(w)
        for name, w in weights.items()
        if w > 0 and (available is None or name in available)
    }
    total = sum(kept.values())
    if total <= 0:
        raise ValueError(
            f"no category of the mix {dict(weights)} has payloads; available: {sorted(available)}"
            if available is not None
            else f"mix {dict(weights)} has no positive weight"
        )
    ordered = sorted(
        kept, key=lambda n: CATEGORIES.index(n) if n in CATEGORIES else len(CATEGORIES)
    )
    return {name: kept[name] / total for name in ordered}


class RequestMix:
    """Picks a category by weight, then the next payload of that category (round-robin)."""

    def __init__(
        self,
        weights: Mapping[str, float],
        payloads: Mapping[str, Sequence[Any]],
        *,
        seed: int | None = None,
    ) -> None:
        available = {name for name, items in payloads.items() if items}
        self.weights = normalise(weights, available)
        self.dropped = sorted(n for n, w in weights.items() if w > 0 and n not in self.weights)
        self._names = list(self.weights)
        self._cumulative = list(itertools.accumulate(self.weights.values()))
        self._cycles = {name: itertools.cycle(payloads[name]) for name in self._names}
        self._rng = random.Random(seed)

    def category(self) -> str:
        point = self._rng.random() * self._cumulative[-1]
        index = bisect.bisect_right(self._cumulative, point)
        return self._names[min(index, len(self._names) - 1)]

    def next(self) -> tuple[str, Any]:
        """``(category, payload)`` for the next request."""
        name = self.category()
        return name, next(self._cycles[name])
