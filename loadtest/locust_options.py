"""Command-line options shared by the locustfile and the shape (no locust import here).

Locust passes unknown ``--ifz-*`` options to both files through ``environment.parsed_options``;
distributed workers receive them from the master, so every process builds the same mix and
schedule.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from loadtest.mix import RequestMix
from loadtest.payloads import Payloads, load_or_build, resolve_urls
from loadtest.settings import DEFAULT_CONFIG, LoadTestConfig, load_loadtest_config
from loadtest.shapes import RateSchedule, schedule_from_settings


def add_options(parser: Any) -> None:
    """Register the ``--ifz-*`` options on locust's parser (an argparse-like object)."""
    parser.add_argument("--ifz-config", default=str(DEFAULT_CONFIG), help="mix.yaml to read")
    parser.add_argument("--ifz-mix", default="local", help="request mix name in mix.yaml")
    parser.add_argument(
        "--ifz-shape", default="", help="shape name in mix.yaml (used with locust_shape.py)"
    )
    parser.add_argument(
        "--ifz-rate", type=float, default=0.0, help="override the shape's peak/steady rps"
    )
    parser.add_argument(
        "--ifz-pace",
        type=float,
        default=0.0,
        help="requests/s per user (0: the shape's rps_per_user, or no pacing without a shape)",
    )
    parser.add_argument(
        "--ifz-url-base", default="", help="page server for url requests (none: url dropped)"
    )
    parser.add_argument("--ifz-request-log", default="", help="CSV of every request")
    parser.add_argument("--ifz-seed", type=int, default=1, help="seed of the category choice")


@dataclass
class RunOptions:
    """What the locust processes need, resolved from the parsed options."""

    config: LoadTestConfig
    mix_name: str
    schedule: RateSchedule | None
    pace_rps: float
    url_base: str | None
    request_log: str | None
    seed: int
    _payloads: Payloads | None = None

    def payloads(self) -> Payloads:
        """The cached payloads, read once per process (URLs resolved)."""
        if self._payloads is None:
            self._payloads = resolve_urls(load_or_build(self.config.payloads), self.url_base)
        return self._payloads

    def request_mix(self, seed_offset: int = 0) -> RequestMix:
        return RequestMix(
            self.config.mix(self.mix_name),
            self.payloads(),
            seed=self.seed * 1_000_003 + seed_offset,
        )


def resolve(options: argparse.Namespace | Any) -> RunOptions:
    config = load_loadtest_config(getattr(options, "ifz_config", None) or DEFAULT_CONFIG)
    shape_name = getattr(options, "ifz_shape", "") or ""
    rate = getattr(options, "ifz_rate", 0.0) or None
    schedule = schedule_from_settings(config.shape(shape_name), rate) if shape_name else None
    pace = getattr(options, "ifz_pace", 0.0) or (schedule.rps_per_user if schedule else 0.0)
    return RunOptions(
        config=config,
        mix_name=getattr(options, "ifz_mix", "local"),
        schedule=schedule,
        pace_rps=pace,
        url_base=getattr(options, "ifz_url_base", "") or None,
        request_log=getattr(options, "ifz_request_log", "") or None,
        seed=getattr(options, "ifz_seed", 1),
    )
