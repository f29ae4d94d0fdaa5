"""The LLM benchmark's third target, Ray Serve LLM alone: which rounds run it, and the ratios
against it and of it (pure functions and ``main`` on stand-in targets: no Ray, no vLLM)."""

from __future__ import annotations

import json

from loadtest.bench_llm import (
    KINDS,
    RAY_LLM,
    RAY_LLM_TARGET,
    Result,
    Sample,
    has_goals,
    main,
    pair_title,
    ratio_pairs,
    reference_settings,
    round_order,
    round_ratios,
    run_ratios,
    startup_ratio_lines,
    wanted,
)


def test_ray_llm_alone_runs_only_when_asked_and_sits_between_the_others():
    def kinds(only=None, variant=False, ray_llm=False):
        return [k for k in KINDS if wanted(k, only, variant, ray_llm=ray_llm)]

    assert kinds() == ["ifz", "vllm"]  # opt-in: the default run is as before
    assert kinds(ray_llm=True) == ["ifz", "ray-llm", "vllm"]
    assert kinds(variant=True, ray_llm=True) == ["ifz", "variant", "ray-llm", "vllm"]
    assert kinds(only="ray-llm", ray_llm=True) == ["ray-llm"]
    assert kinds(only="vllm", ray_llm=True) == ["vllm"]
    # next to interfaze-serve and to vLLM alone in every round, whichever goes first
    assert round_order(kinds(ray_llm=True), 1) == ["vllm", "ray-llm", "ifz"]


def test_the_pairs_and_which_of_them_carry_the_issues_goals():
    pairs = ratio_pairs()
    assert (RAY_LLM, "vLLM") in pairs and ("interfaze-serve", RAY_LLM) in pairs
    assert ("bare-LLM", RAY_LLM) in pairs
    assert pair_title(RAY_LLM, "vLLM") == "Ray-Serve-LLM / vLLM alone"
    assert pair_title("interfaze-serve", RAY_LLM) == "interfaze-serve / Ray-Serve-LLM alone"
    assert pair_title("interfaze-serve+variant", "interfaze-serve") == (
        "interfaze-serve+variant / interfaze-serve"
    )
    assert has_goals("Ray-Serve-LLM / vLLM alone")
    assert not has_goals("interfaze-serve / Ray-Serve-LLM alone")
    assert not has_goals("interfaze-serve+variant / interfaze-serve")


def rows_of(ifz: float, ray: float, vllm: float) -> list[dict]:
    return [
        {"target": "interfaze-serve (router)", "ttft_p50_ms": ifz, "startup_s": 2 * ifz},
        {"target": RAY_LLM_TARGET, "ttft_p50_ms": ray, "startup_s": 2 * ray},
        {"target": "vLLM alone (OpenAI server)", "ttft_p50_ms": vllm, "startup_s": 2 * vllm},
    ]


def test_ratios_against_ray_llm_alone_per_round_and_over_rounds():
    one = rows_of(60.0, 50.0, 40.0)
    assert round_ratios(one, RAY_LLM) == {"ttft_p50_ms": 1.25, "startup_s": 1.25}
    assert round_ratios(one, "interfaze-serve", base=RAY_LLM) == {
        "ttft_p50_ms": 1.2,
        "startup_s": 1.2,
    }
    assert round_ratios(one[::2], "interfaze-serve", base=RAY_LLM) == {}  # it failed that round
    rows = [*one, *rows_of(70.0, 60.0, 40.0)]  # medians 65 / 55 / 40
    got = {r["figure"]: r for r in run_ratios(rows, base=RAY_LLM)}
    ttft = got["time to first token p50"]
    assert (ttft["interfaze_serve"], ttft["vllm_alone"], ttft["ratio"]) == (65.0, 55.0, 1.18)
    assert run_ratios(rows, mine=RAY_LLM)[0]["ratio"] == 1.38  # 55 / 40


def test_startup_ratio_lines_name_the_goal_only_against_vllm_alone():
    lines = startup_ratio_lines({"interfaze-serve": 45.0, RAY_LLM: 36.0, "vLLM": 30.0})
    assert lines == [
        "start-up ratio interfaze-serve / vLLM alone: 1.50x (target <= 1.5x)",
        "start-up ratio Ray-Serve-LLM / vLLM alone: 1.20x (target <= 1.5x)",
        "start-up ratio interfaze-serve / Ray-Serve-LLM alone: 1.25x",
    ]
    assert startup_ratio_lines({"interfaze-serve": 45.0, "vLLM": 30.0}) == lines[:1]


def test_the_reference_llm_settings_are_ours_with_the_startup_priority_left_normal():
    from deployments.llm.builder import engine_env
    from deployments.llm.config import LLMSettings

    ours = LLMSettings(model_source="/models/x", device="cpu", env_vars={"A": "1"})
    reference = reference_settings(ours)
    assert engine_env(ours)["IFZ_LLM_STARTUP_NICE"] == "-5"
    assert engine_env(reference) == {**engine_env(ours), "IFZ_LLM_STARTUP_NICE": "0"}
    assert reference.engine_kwargs == ours.engine_kwargs and reference.model_id == ours.model_id
    assert ours.env_vars == {"A": "1"}  # ours unchanged


def test_main_with_ray_llm_reports_its_ratios_in_every_round(monkeypatch, tmp_path, capsys):
    """``--rounds 3 --ray-llm``: each round runs the three targets (alternating order); the
    report holds Ray Serve LLM alone / vLLM alone and interfaze-serve / Ray Serve LLM alone."""
    import loadtest.bench_llm as bench
    import serve.composition

    order: list[str] = []
    ttft = {"interfaze-serve": iter([0.06, 0.066, 0.063]), RAY_LLM: iter([0.05, 0.05, 0.045]),
            "vLLM": iter([0.04, 0.044, 0.04])}  # fmt: skip
    startup = {"interfaze-serve": 45.0, RAY_LLM: 36.0, "vLLM": 30.0}

    def fake(name: str) -> Result:
        key = name.split(" ")[0]
        order.append(key)
        result = Result(name, startup[key])
        result.samples = [Sample(next(ttft[key]), 2.0, 32, 16.0)] * 3
        result.concurrent_tokens_per_s = 45.0
        return result

    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_ifz", lambda *_a, **_k: [fake("interfaze-serve (router)")])
    monkeypatch.setattr(bench, "bench_ray_llm", lambda *_a: fake(RAY_LLM_TARGET))
    monkeypatch.setattr(bench, "bench_vllm", lambda *_a: fake("vLLM alone"))
    out = tmp_path / "r.json"
    assert main(["--rounds", "3", "--ray-llm", "--json", str(out)]) == 0
    assert order == ["interfaze-serve", RAY_LLM, "vLLM", "vLLM", RAY_LLM, "interfaze-serve",
                     "interfaze-serve", RAY_LLM, "vLLM"]  # fmt: skip
    report = json.loads(out.read_text())
    per_round = report["per_round_ratios"]
    ray = {r["figure"]: r for r in per_round["Ray-Serve-LLM / vLLM alone"]}
    assert ray["time to first token p50"]["rounds"] == [1.25, 1.14, 1.12]
    assert ray["time to first token p50"]["median"] == 1.136 and ray["start-up"]["pass"]
    mine = {r["figure"]: r for r in per_round["interfaze-serve / Ray-Serve-LLM alone"]}
    assert mine["time to first token p50"]["rounds"] == [1.2, 1.32, 1.4]
    assert (mine["time to first token p50"]["min"], mine["time to first token p50"]["max"]) == (
        1.2,
        1.4,
    )
    assert report["ratios_vs_ray_llm"][0]["ratio"] == 1.26  # 63 / 50 (medians)
    assert report["ray_llm_ratios"][0]["ratio"] == 1.25  # 50 / 40
    assert "bare_ratios_vs_ray_llm" in report and report["bare_ratios_vs_ray_llm"] == []
    printed = capsys.readouterr().out
    assert "start-up ratio interfaze-serve / Ray-Serve-LLM alone: 1.25x\n" in printed
    assert "ratios interfaze-serve / Ray-Serve-LLM alone (medians of 3 rounds' figures):" in printed
    assert "| figure | interfaze-serve | Ray-Serve-LLM alone | ratio |\n" in printed  # no goal
    assert "| figure | Ray-Serve-LLM | vLLM alone | ratio | target | result |" in printed
    assert "| time to first token p50 | 1.20, 1.32, 1.40 | 1.320x | 1.20-1.40 |\n" in printed
    assert (
        "| time to first token p50 | 1.25, 1.14, 1.12 | 1.136x | 1.12-1.25 | <= 1.3x | pass "
        "(3/3 rounds) |" in printed
    )


def test_a_failed_ray_llm_round_leaves_the_others_measured(monkeypatch, tmp_path, capsys):
    import loadtest.bench_llm as bench
    import serve.composition

    def failing(*_a):
        raise RuntimeError("application 'ray-llm-alone' failed to deploy")

    stopped: list[bool] = []
    monkeypatch.setattr(serve.composition, "local_model_dir", lambda _config: str(tmp_path))
    monkeypatch.setattr(bench, "bench_ray_llm", failing)
    monkeypatch.setattr(bench, "bench_vllm", lambda *_a: Result("vLLM alone", 30.0))
    monkeypatch.setattr(bench, "stop_quietly", lambda: stopped.append(True))
    assert main(["--only", "ray-llm", "--startup-only"]) == 0
    assert "round 1: ray-llm failed" in capsys.readouterr().out
    assert stopped == []  # it stops its own Ray; a second shutdown would start one
