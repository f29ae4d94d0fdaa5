"""`ifz loadtest run|report|ingress` parse and dispatch (the lead registers it in main.py)."""

from __future__ import annotations

import argparse

import pytest

from ops.cli import loadtest_cmd


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ifz")
    loadtest_cmd.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_run_arguments():
    args = _parser().parse_args(
        [
            "loadtest",
            "run",
            "--host",
            "http://127.0.0.1:8000",
            "--shape",
            "spike-local",
            "--mix",
            "router",
            "--rate",
            "30",
        ]
    )
    assert args.func is loadtest_cmd.cmd_run
    assert (args.host, args.shape, args.mix, args.rate) == (
        "http://127.0.0.1:8000",
        "spike-local",
        "router",
        30.0,
    )
    with pytest.raises(SystemExit):
        _parser().parse_args(["loadtest", "run", "--host", "h", "--start-app"])


def test_run_needs_a_target(capsys):
    args = _parser().parse_args(["loadtest", "run", "--shape", "spike-local"])
    assert args.func(args) == 2
    assert "--host" in capsys.readouterr().err


def test_report_dispatches_to_build_report(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(
        "loadtest.report.build_report", lambda d, b: seen.update(d=d, b=b) or {"requests": 0}
    )
    args = _parser().parse_args(["loadtest", "report", str(tmp_path), "--bin", "2"])
    assert args.func(args) == 0
    assert seen == {"d": str(tmp_path), "b": 2.0}
