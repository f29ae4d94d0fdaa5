"""The LLM benchmark's ratios against issue #15's targets (pure functions, no Ray, no vLLM)."""

from __future__ import annotations

import json

import pytest

from loadtest.bench_llm import (
    RATIO_TARGETS,
    Result,
    Sample,
    main,
    median_row,
    ratios,
    run_ratios,
)

# the issue's "before" figures: through interfaze-serve, and vLLM alone
BEFORE_IFZ = {"ttft_p50_ms": 295, "concurrent_tok_s": 27.6, "decode_tok_s_p50": 15.9,
              "startup_s": 82}  # fmt: skip
BEFORE_VLLM = {"ttft_p50_ms": 94, "concurrent_tok_s": 53.4, "decode_tok_s_p50": 15.5,
               "startup_s": 40}  # fmt: skip


def by_figure(rows):
    return {r["figure"]: r for r in rows}


def test_the_issues_before_figures_give_its_ratios_and_verdicts():
    rows = by_figure(ratios(BEFORE_IFZ, BEFORE_VLLM))
    assert [r["figure"] for r in ratios(BEFORE_IFZ, BEFORE_VLLM)] == [
        t.label for t in RATIO_TARGETS
    ]
    ttft = rows["time to first token p50"]
    assert ttft["ratio"] == 3.14 and ttft["target"] == "<= 1.3x" and ttft["pass"] is False
    streams = rows["4 concurrent streams"]
    assert streams["ratio"] == 0.52 and streams["target"] == ">= 0.9x" and not streams["pass"]
    decode = rows["single-stream decode"]
    assert decode["ratio"] == 1.03 and decode["pass"] is True
    startup = rows["start-up"]
    assert startup["ratio"] == 2.05 and startup["pass"] is False
    assert ttft["interfaze_serve"] == 295 and ttft["vllm_alone"] == 94


@pytest.mark.parametrize(
    ("figure", "mine", "passed"),
    [
        ("ttft_p50_ms", 130.0, True),  # exactly 1.3x: on the goal passes
        ("ttft_p50_ms", 130.1, False),
        ("concurrent_tok_s", 90.0, True),  # exactly 0.9x
        ("concurrent_tok_s", 89.9, False),
        ("startup_s", 150.0, True),
        ("startup_s", 151.0, False),
    ],
)
def test_the_goal_direction_and_boundary(figure, mine, passed):
    (row,) = ratios({figure: mine}, {figure: 100.0})
    assert row["pass"] is passed


def test_missing_or_zero_figures_are_left_out():
    rows = ratios({"ttft_p50_ms": 100.0, "startup_s": 10.0}, {"ttft_p50_ms": 0, "startup_s": 5.0})
    assert [r["figure"] for r in rows] == ["start-up"]
    assert ratios({}, BEFORE_VLLM) == []


def test_median_row_over_rounds_skips_text_columns():
    rounds = [
        {"target": "interfaze-serve", "startup_s": 80.0, "ttft_p50_ms": 100.0},
        {"target": "interfaze-serve", "startup_s": 60.0, "ttft_p50_ms": 300.0},
        {"target": "interfaze-serve", "startup_s": 70.0},
    ]
    assert median_row(rounds) == {"startup_s": 70.0, "ttft_p50_ms": 200.0}


def test_a_result_row_feeds_the_ratios_and_counts_escalated_answers():
    ifz = Result("interfaze-serve (router)", 90.0)
    ifz.samples = [Sample(0.2, 4.0, 64, 16.0, True), Sample(0.4, 4.0, 64, 15.0, False)]
    ifz.concurrent_tokens_per_s = 45.0
    vllm = Result("vLLM alone", 60.0)
    vllm.samples = [Sample(0.1, 4.0, 64, 16.0), Sample(0.1, 4.0, 64, 16.0)]
    vllm.concurrent_tokens_per_s = 50.0
    assert ifz.row()["escalated"] == "1/2" and "escalated" not in vllm.row()
    rows = by_figure(ratios(ifz.row(), vllm.row()))
    assert rows["time to first token p50"]["ratio"] == 3.0
    assert rows["4 concurrent streams"]["ratio"] == 0.9 and rows["4 concurrent streams"]["pass"]
    assert rows["single-stream decode"]["ratio"] == 0.97
    assert rows["start-up"]["ratio"] == 1.5 and rows["start-up"]["pass"]


def test_run_ratios_take_each_targets_median_over_rounds():
    rows = [
        {"target": "interfaze-serve (router -> vLLM)", "startup_s": 90.0, "ttft_p50_ms": 100.0},
        {"target": "vLLM alone (OpenAI server)", "startup_s": 50.0, "ttft_p50_ms": 100.0},
        {"target": "interfaze-serve (router -> vLLM)", "startup_s": 70.0, "ttft_p50_ms": 140.0},
        {"target": "vLLM alone (OpenAI server)", "startup_s": 50.0, "ttft_p50_ms": 100.0},
    ]
    got = {r["figure"]: r for r in run_ratios(rows)}
    assert got["start-up"]["ratio"] == 1.6 and not got["start-up"]["pass"]
    assert got["time to first token p50"]["ratio"] == 1.2 and got["time to first token p50"]["pass"]
    assert run_ratios(rows[::2]) == []  # one target only: nothing to compare


def test_main_prints_the_ratio_table_and_writes_it(monkeypatch, tmp_path, capsys):
    """The whole report path of ``main`` on stand-in targets (no Ray, no vLLM started)."""
    import loadtest.bench_llm as bench
    import serve.composition

    def fake(name: str, startup_s: float, ttft_s: float, concurrent: float) -> Result:
        result = Result(name, startup_s)
        timings = {"plan": 30.0, "llm": 2000.0} if name.startswith("interfaze") else None
        result.samples = [Sample(ttft_s, 2.0, 32, 16.0, timings_ms=timings)] * 3
        result.concurrent_tokens_per_s = concurrent
        return result

    def fake_ifz(_config, _requests, _max_tokens, bare=False) -> list[Result]:
        ifz = fake("interfaze-serve (router)", 60.0, 0.12, 45.0)
        return [ifz, fake("bare-LLM via interfaze-serve", 60.0, 0.2, 50.0)] if bare else [ifz]

    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_ifz", fake_ifz)
    monkeypatch.setattr(bench, "bench_vllm", lambda *_a: fake("vLLM alone", 40.0, 0.1, 50.0))
    out = tmp_path / "rows.json"
    assert main(["--requests", "3", "--bare", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| time to first token p50 | 120.0 | 100.0 | 1.2x | <= 1.3x | pass |" in printed
    assert "| start-up | 60.0 | 40.0 | 1.5x | <= 1.5x | pass |" in printed
    assert "| time to first token p50 | 200.0 | 100.0 | 2.0x | <= 1.3x | FAIL |" in printed
    assert "{'llm': 2000.0, 'plan': 30.0}" in printed  # the router's step medians
    written = json.loads(out.read_text())
    assert [r["figure"] for r in written["ratios"]] == [t.label for t in RATIO_TARGETS]
    assert written["bare_ratios"][0]["ratio"] == 2.0
    assert len(written["rows"]) == 3


def test_engine_arguments_become_vllm_flags():
    from loadtest.bench_llm import engine_cli_args

    args = engine_cli_args({
        "dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": True, "quantization": None,
        "enable_prefix_caching": False, "stream_interval": 4,
        "structured_outputs_config": {"backend": "xgrammar", "disable_any_whitespace": True},
    })  # fmt: skip
    assert args == [
        "--dtype", "bfloat16", "--max-model-len", "2048", "--enforce-eager",
        "--stream-interval", "4", "--structured-outputs-config",
        '{"backend": "xgrammar", "disable_any_whitespace": true}',
    ]  # fmt: skip


def round_rows(ifz: dict, vllm: dict, target: str = "interfaze-serve (router)") -> list[dict]:
    return [{"target": target, **ifz}, {"target": "vLLM alone (OpenAI server)", **vllm}]


def test_round_ratios_pair_the_targets_of_one_round():
    from loadtest.bench_llm import round_ratios

    rows = round_rows({"ttft_p50_ms": 120.0, "startup_s": 60.0}, {"ttft_p50_ms": 100.0,
                      "startup_s": 40.0})  # fmt: skip
    assert round_ratios(rows, "interfaze-serve") == {"ttft_p50_ms": 1.2, "startup_s": 1.5}
    assert round_ratios(rows, "bare-LLM") == {}  # not measured in that round
    assert round_ratios(rows[:1], "interfaze-serve") == {}  # vLLM alone failed that round
    variant = [*rows, {"target": "interfaze-serve+variant (router)", "startup_s": 45.0}]
    got = round_ratios(variant, "interfaze-serve+variant", base="interfaze-serve")
    assert got == {"startup_s": 0.75}


def test_spread_summary_gives_each_rounds_ratio_their_median_and_range():
    from loadtest.bench_llm import spread_summary

    per_round = [
        {"ttft_p50_ms": 1.2, "startup_s": 1.6, "concurrent_tok_s": 0.95},
        {"ttft_p50_ms": 1.5, "startup_s": 1.4, "concurrent_tok_s": 0.85},
        {"ttft_p50_ms": 1.25, "startup_s": 1.45},  # that round's concurrent run missing
    ]
    got = {r["figure"]: r for r in spread_summary(per_round)}
    ttft = got["time to first token p50"]
    assert ttft["rounds"] == [1.2, 1.5, 1.25] and ttft["median"] == 1.25
    assert (ttft["min"], ttft["max"], ttft["spread"]) == (1.2, 1.5, 0.15)
    assert ttft["pass"] is True and ttft["rounds_passing"] == 2
    streams = got["4 concurrent streams"]
    assert streams["rounds"] == [0.95, 0.85] and streams["median"] == 0.9 and streams["pass"]
    assert got["start-up"]["median"] == 1.45 and got["start-up"]["rounds_passing"] == 2
    assert "single-stream decode" not in got  # no round measured it
    assert spread_summary([]) == []


def test_rounds_alternate_which_target_goes_first():
    from loadtest.bench_llm import round_order, wanted

    kinds = ["ifz", "variant", "vllm"]
    assert [round_order(kinds, i)[0] for i in range(4)] == ["ifz", "vllm", "ifz", "vllm"]
    assert round_order(kinds, 1) == ["vllm", "variant", "ifz"]
    assert [k for k in kinds if wanted(k, None, has_variant=False)] == ["ifz", "vllm"]
    assert [k for k in kinds if wanted(k, "ifz", has_variant=True)] == ["ifz", "variant"]
    assert [k for k in kinds if wanted(k, "vllm", has_variant=True)] == ["vllm"]


def test_main_runs_interleaved_rounds_and_reports_per_round_ratios(monkeypatch, tmp_path, capsys):
    """``--rounds 3 --variant``: every round runs all targets, alternating which goes first;
    the report holds each round's ratios with median and spread (no Ray, no vLLM started)."""
    import loadtest.bench_llm as bench
    import serve.composition

    order: list[str] = []
    startups = iter([60.0, 48.0, 40.0, 40.0, 50.0, 50.0, 64.0, 52.0, 40.0])

    def fake(name: str, ttft_s: float) -> Result:
        order.append(name.split(" ")[0])
        result = Result(name, next(startups))
        result.samples = [Sample(ttft_s, 2.0, 32, 16.0)] * 3
        result.concurrent_tokens_per_s = 45.0
        return result

    def fake_ifz(config, _requests, _max_tokens, bare=False, tag="") -> list[Result]:
        assert (config.llm.max_ongoing_requests == 13) is (tag == "+variant")
        return [fake(f"interfaze-serve{tag} (router)", 0.12)]

    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_ifz", fake_ifz)
    monkeypatch.setattr(bench, "bench_vllm", lambda *_a: fake("vLLM alone", 0.1))
    out = tmp_path / "r.json"
    argv = ["--rounds", "3", "--variant", "llm.max_ongoing_requests=13", "--json", str(out)]
    assert main(argv) == 0
    assert order == [
        "interfaze-serve", "interfaze-serve+variant", "vLLM",
        "vLLM", "interfaze-serve+variant", "interfaze-serve",
        "interfaze-serve", "interfaze-serve+variant", "vLLM",
    ]  # fmt: skip
    report = json.loads(out.read_text())
    assert [len(r) for r in report["rounds"]] == [3, 3, 3]
    per_round = report["per_round_ratios"]
    startup = {r["figure"]: r for r in per_round["interfaze-serve / vLLM alone"]}["start-up"]
    assert startup["rounds"] == [1.5, 1.25, 1.6] and startup["median"] == 1.5
    variant = {r["figure"]: r for r in per_round["interfaze-serve+variant / interfaze-serve"]}
    assert variant["start-up"]["rounds"] == [0.8, 1.0, 0.81]
    printed = capsys.readouterr().out
    assert "| start-up | 1.50, 1.25, 1.60 | 1.500x | 1.25-1.60 | <= 1.5x | pass (2/3 rounds) |" in (
        printed
    )
    assert "| start-up | 0.80, 1.00, 0.81 | 0.812x | 0.80-1.00 |\n" in printed  # no goal
    assert "per-round ratios interfaze-serve / vLLM alone (3 rounds, interleaved):" in printed


def test_the_old_repeat_flag_still_means_rounds(monkeypatch, tmp_path):
    import loadtest.bench_llm as bench
    import serve.composition

    calls: list[str] = []
    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_vllm", lambda *_a: calls.append("vllm") or Result("vLLM", 1))
    assert main(["--only", "vllm", "--startup-only", "--repeat", "2"]) == 0
    assert calls == ["vllm", "vllm"]


def test_the_variant_environment_holds_for_its_target_only(monkeypatch, tmp_path):
    import os

    import loadtest.bench_llm as bench
    import serve.composition

    seen: list[tuple[str, str | None, int]] = []

    def fake_ifz(_config, requests, _max_tokens, bare=False, tag="") -> list[Result]:
        seen.append((tag, os.environ.get("IFZ_BENCH_PROBE"), requests))
        return [Result(f"interfaze-serve{tag} (router)", 50.0)]

    monkeypatch.delenv("IFZ_BENCH_PROBE", raising=False)
    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_ifz", fake_ifz)
    argv = ["--only", "ifz", "--variant-startup-only", "--variant-env", "IFZ_BENCH_PROBE=a=1"]
    assert main(argv) == 0
    assert seen == [("", None, 12), ("+variant", "a=1", 0)]  # the variant: start-up only
    assert "IFZ_BENCH_PROBE" not in os.environ


def test_startup_phase_medians_per_target():
    from loadtest.bench_llm import startup_phase_medians

    def row(target: str, startup_s: float, llm_at: float) -> dict:
        startup = {
            "marks_s": {"ray": 5.0, "ready": startup_s},
            "deployments_healthy_s": {"router": 15.0, "llm": llm_at},
            "vllm": {"engine_init_s": 3.0},
        }
        return {"target": target, "startup_s": startup_s, "startup": startup}

    rows = [
        row("interfaze-serve (router)", 60.0, 59.0),
        row("bare-LLM via interfaze-serve", 60.0, 59.0),
        row("interfaze-serve (router)", 50.0, 49.0),
        row("interfaze-serve (router)", 55.0, 53.0),
        {"target": "vLLM alone", "startup_s": 32.0, "startup": {"vllm": {"weights_s": 1.0}}},
    ]
    got = startup_phase_medians(rows)
    assert set(got) == {"interfaze-serve", "vLLM"}
    assert got["interfaze-serve"] == {
        "at_ray": 5.0, "at_ready": 55.0, "llm_healthy": 53.0, "router_healthy": 15.0,
        "startup_s": 55.0, "vllm_engine_init_s": 3.0,
    }  # fmt: skip
    assert got["vLLM"] == {"startup_s": 32.0, "vllm_weights_s": 1.0}
