"""Locust ``LoadTestShape`` driven by a rate schedule from ``mix.yaml`` (``--ifz-shape``).

Load it beside the locustfile: ``locust -f loadtest/locustfile.py,loadtest/locust_shape.py``.
Every second the shape sets the user count to ``round(rps(t) / rps_per_user)``; users pace
themselves at ``rps_per_user``. The run stops when the schedule ends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `loadtest.*`

from locust import LoadTestShape

from loadtest.locust_options import resolve
from loadtest.shapes import RateSchedule, spawn_rate


class ScheduleShape(LoadTestShape):
    """Follows ``--ifz-shape`` (and ``--ifz-rate``) from the parsed options."""

    _schedule: RateSchedule | None = None

    def schedule(self) -> RateSchedule:
        if self._schedule is None:
            options = resolve(self.runner.environment.parsed_options)
            if options.schedule is None:
                raise SystemExit("locust_shape.py needs --ifz-shape NAME (a shape in mix.yaml)")
            self._schedule = options.schedule
        return self._schedule

    def tick(self) -> tuple[int, float] | None:
        schedule = self.schedule()
        t = self.get_run_time()
        users = schedule.users_at(t)
        if users is None:
            return None
        upcoming = schedule.users_at(t + 1.0)
        target = max(users, upcoming or 0)  # ticks come once a second: lead by one tick
        current: Any = self.get_current_user_count()
        return target, spawn_rate(current, target)
