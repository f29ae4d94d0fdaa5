"""Load shapes as rate schedules: requests/s over time, and the locust user counts that give it.

Pure (no locust import): :mod:`loadtest.locust_shape` adapts a :class:`RateSchedule` to
locust's ``LoadTestShape``. Each locust user paces itself at ``rps_per_user`` requests/s, so
``users = round(rps / rps_per_user)``; this also holds with distributed workers.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from itertools import pairwise

from loadtest.settings import ShapeSettings, SpikeShapeSettings, SteadyShapeSettings


@dataclass(frozen=True)
class Phase:
    """A named interval of the schedule (for reports: when the ramp began, when it dropped)."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class RateSchedule:
    """Piecewise-linear requests/s through ``points`` ``(t_s, rps)``; ends at the last point."""

    points: tuple[tuple[float, float], ...]
    rps_per_user: float = 1.0
    phases: tuple[Phase, ...] = ()

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError("a schedule needs at least two points")
        times = [t for t, _ in self.points]
        if times[0] != 0 or any(b < a for a, b in pairwise(times)):
            raise ValueError(f"times must start at 0 and never decrease: {times}")
        if any(r < 0 for _, r in self.points):
            raise ValueError("rates must be >= 0")
        if self.rps_per_user <= 0:
            raise ValueError("rps_per_user must be > 0")

    @property
    def duration_s(self) -> float:
        return self.points[-1][0]

    @property
    def peak_rps(self) -> float:
        return max(r for _, r in self.points)

    def rps_at(self, t: float) -> float | None:
        """The target rate at ``t`` seconds, or None once the schedule is over."""
        if t < 0:
            return self.points[0][1]
        if t >= self.duration_s:
            return None
        times = [p[0] for p in self.points]
        i = bisect.bisect_right(times, t) - 1
        (t0, r0), (t1, r1) = self.points[i], self.points[i + 1]
        if t1 == t0:
            return r1
        return r0 + (r1 - r0) * (t - t0) / (t1 - t0)

    def users_at(self, t: float) -> int | None:
        """Locust users needed at ``t`` (at least 1 while the rate is > 0); None when over."""
        rps = self.rps_at(t)
        if rps is None:
            return None
        return users_for(rps, self.rps_per_user)

    def expected_requests(self) -> float:
        """Requests the schedule asks for in total (trapezoid rule)."""
        total = 0.0
        for (t0, r0), (t1, r1) in pairwise(self.points):
            total += (r0 + r1) / 2 * (t1 - t0)
        return total

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)


def users_for(rps: float, rps_per_user: float) -> int:
    if rps <= 0:
        return 0
    return max(1, round(rps / rps_per_user))


def spike_schedule(s: SpikeShapeSettings, peak_rps: float | None = None) -> RateSchedule:
    """baseline → linear ramp to the peak → hold → drop to baseline → cool down."""
    peak = peak_rps if peak_rps is not None else s.peak_rps
    t1 = s.baseline_s
    t2 = t1 + s.ramp_s
    t3 = t2 + s.hold_s
    t4 = t3 + s.drop_s
    t5 = t4 + s.cool_s
    points = [(0.0, s.base_rps), (t1, s.base_rps), (t2, peak), (t3, peak), (t4, s.base_rps)]
    if t5 > t4:
        points.append((t5, s.base_rps))
    phases = (
        Phase("baseline", 0.0, t1),
        Phase("ramp", t1, t2),
        Phase("hold", t2, t3),
        Phase("drop", t3, t4),
        Phase("cool", t4, t5),
    )
    return RateSchedule(tuple(points), s.rps_per_user, phases)


def steady_schedule(s: SteadyShapeSettings, rps: float | None = None) -> RateSchedule:
    """Linear warm-up from 0, then a constant rate for ``duration_s``."""
    rate = rps if rps is not None else s.rps
    points = [(0.0, rate if s.warmup_s == 0 else 0.0)]
    if s.warmup_s:
        points.append((s.warmup_s, rate))
    points.append((s.warmup_s + s.duration_s, rate))
    phases = (Phase("warmup", 0.0, s.warmup_s), Phase("steady", s.warmup_s, points[-1][0]))
    return RateSchedule(tuple(points), s.rps_per_user, phases)


def schedule_from_settings(settings: ShapeSettings, rate: float | None = None) -> RateSchedule:
    """The schedule of a shape from ``mix.yaml``; ``rate`` overrides its peak/steady rps."""
    if isinstance(settings, SpikeShapeSettings):
        return spike_schedule(settings, rate)
    return steady_schedule(settings, rate)


def spawn_rate(users_now: int, users_next: int, tick_s: float = 1.0) -> float:
    """Users per second to reach the next count within one tick (never below 1)."""
    return max(1.0, math.ceil(abs(users_next - users_now) / tick_s))
