"""Rate schedules: spike and steady shapes, user counts."""

from __future__ import annotations

import pytest

from loadtest.settings import SpikeShapeSettings, SteadyShapeSettings
from loadtest.shapes import RateSchedule, spawn_rate, spike_schedule, steady_schedule, users_for

SPIKE = SpikeShapeSettings(
    base_rps=10, peak_rps=100, baseline_s=5, ramp_s=10, hold_s=20, drop_s=2, cool_s=8
)


def test_spike_goes_baseline_ramp_hold_drop_cool():
    s = spike_schedule(SPIKE)
    assert s.duration_s == 45
    assert s.rps_at(0) == 10 and s.rps_at(4.9) == 10
    assert s.rps_at(10) == pytest.approx(55)  # half way up the ramp
    assert s.rps_at(15) == 100 and s.rps_at(34.9) == 100
    assert s.rps_at(36) == pytest.approx(55)
    assert s.rps_at(40) == 10
    assert s.rps_at(45) is None and s.users_at(45) is None
    assert [p.name for p in s.phases] == ["baseline", "ramp", "hold", "drop", "cool"]
    assert s.phase("hold").start_s == 15 and s.phase("hold").end_s == 35
    assert s.peak_rps == 100


def test_peak_override_and_users_per_rate():
    s = spike_schedule(SPIKE.model_copy(update={"rps_per_user": 2.0}), peak_rps=40)
    assert s.peak_rps == 40
    assert s.users_at(20) == 20
    assert users_for(0, 1) == 0
    assert users_for(0.2, 1) == 1  # any positive rate gets a user
    assert users_for(1000, 1) == 1000


def test_steady_with_warmup_and_total_requests():
    s = steady_schedule(SteadyShapeSettings(rps=20, warmup_s=10, duration_s=30))
    assert s.rps_at(0) == 0 and s.rps_at(5) == 10 and s.rps_at(25) == 20
    assert s.duration_s == 40
    assert s.expected_requests() == pytest.approx(10 * 10 + 20 * 30)
    flat = steady_schedule(SteadyShapeSettings(rps=5, duration_s=4))
    assert flat.rps_at(0) == 5 and flat.expected_requests() == 20


def test_invalid_schedules_are_rejected():
    with pytest.raises(ValueError):
        RateSchedule(((0, 1),))
    with pytest.raises(ValueError):
        RateSchedule(((1, 1), (2, 1)))
    with pytest.raises(ValueError):
        RateSchedule(((0, 1), (2, 1), (1, 1)))
    with pytest.raises(ValueError):
        RateSchedule(((0, -1), (2, 1)))


def test_spawn_rate_reaches_target_within_a_tick():
    assert spawn_rate(10, 60) == 50
    assert spawn_rate(60, 10) == 50
    assert spawn_rate(5, 5) == 1
