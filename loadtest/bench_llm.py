"""LLM path benchmark: start-up, first-token latency and tokens/s, through interfaze-serve
and through vLLM's own OpenAI server on the same model folder, in one run.

    .venv/bin/python -m loadtest.bench_llm            # both targets, prints a table
    .venv/bin/python -m loadtest.bench_llm --only ifz --requests 20
    .venv/bin/python -m loadtest.bench_llm --startup-only   # start-up breakdown and ratio only

It prints the ratios issue #15 targets (interfaze-serve / vLLM alone, each with its goal and
pass/fail): TTFT p50 <= 1.3x, 4-stream throughput >= 0.9x, single-stream decode >= 0.9x
("within 10%"), start-up <= 1.5x. The ``interfaze`` model is driven with general questions the
router escalates to the LLM (the run counts the answers the stream marked as escalated).

Each target is started by the benchmark itself (so start-up is measured), driven with the
official `openai` client (streaming), then stopped. Loopback only. Both serve the same model
folder (the profile's ``llm.model_source``) with the same engine arguments.

By default interfaze-serve deploys the router and the LLM only (the LLM path); ``--stages all``
deploys the whole profile. Start-up breakdown: for interfaze-serve, when Ray and Serve were
up, when Serve reported each deployment healthy and when ``/healthz`` said ready (router
warm-ups included); for both, the vLLM phases from the engine's own log lines (weights, model
load, engine init = profile + KV cache + warm-up).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai

PROMPTS = [
    "Write a short paragraph about the history of lighthouses.",
    "Describe how a bicycle works.",
    "Tell a story about a cat who learns to sail.",
    "Explain why the sky looks blue.",
]


@dataclass
class Sample:
    ttft_s: float
    total_s: float
    completion_tokens: int
    decode_tokens_per_s: float | None
    escalated: bool | None = None  # the ``interfaze`` stream's own mark; None: not reported
    timings_ms: dict[str, float] | None = None  # the router's per-step timings, if reported


@dataclass(frozen=True)
class RatioTarget:
    """One figure of issue #15: interfaze-serve / vLLM alone against a goal."""

    figure: str  # key of :meth:`Result.row`
    label: str
    goal: float
    at_least: bool  # True: the ratio must be >= goal (throughput); False: <= goal (latency)


RATIO_TARGETS = (
    RatioTarget("ttft_p50_ms", "time to first token p50", 1.3, at_least=False),
    RatioTarget("concurrent_tok_s", "4 concurrent streams", 0.9, at_least=True),
    RatioTarget("decode_tok_s_p50", "single-stream decode", 0.9, at_least=True),
    RatioTarget("startup_s", "start-up", 1.5, at_least=False),
)


def median_row(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The median of each numeric figure over ``rows`` (one target's rounds)."""
    keys = {k for row in rows for k, v in row.items() if isinstance(v, int | float)}
    return {
        k: statistics.median(row[k] for row in rows if isinstance(row.get(k), int | float))
        for k in sorted(keys)
    }


def ratios(
    ifz: Mapping[str, Any], vllm: Mapping[str, Any], targets: Sequence[RatioTarget] = RATIO_TARGETS
) -> list[dict[str, Any]]:
    """interfaze-serve / vLLM alone for each target figure both rows have (vLLM's > 0)."""
    out = []
    for target in targets:
        mine, theirs = ifz.get(target.figure), vllm.get(target.figure)
        if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
            continue
        if theirs <= 0:
            continue
        ratio = mine / theirs
        passed = ratio >= target.goal if target.at_least else ratio <= target.goal
        out.append({
            "figure": target.label,
            "interfaze_serve": mine,
            "vllm_alone": theirs,
            "ratio": round(ratio, 2),
            "target": f"{'>=' if target.at_least else '<='} {target.goal}x",
            "pass": passed,
        })  # fmt: skip
    return out


def run_ratios(
    rows: Sequence[Mapping[str, Any]], mine: str = "interfaze-serve"
) -> list[dict[str, Any]]:
    """The ratios of one run's rows: the target named ``mine`` (first word) / vLLM alone, any
    number of rounds (medians per target); empty unless both targets were measured."""
    by_target: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_target.setdefault(str(row["target"]).split(" ")[0], []).append(row)
    if not {mine, "vLLM"} <= set(by_target):
        return []
    return ratios(median_row(by_target[mine]), median_row(by_target["vLLM"]))


def print_ratios(rows: list[dict[str, Any]]) -> None:
    """The ratio table (markdown)."""
    print("| figure | interfaze-serve | vLLM alone | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        result = "pass" if r["pass"] else "FAIL"
        print(
            f"| {r['figure']} | {r['interfaze_serve']} | {r['vllm_alone']} | {r['ratio']}x "
            f"| {r['target']} | {result} |"
        )


# vLLM's own start-up log lines (v1 engine): phase -> pattern with the seconds
VLLM_PHASES = {
    "weights_s": re.compile(r"Loading weights took ([\d.]+) seconds"),
    "model_load_s": re.compile(r"Model loading took [\d.]+ GiB memory and ([\d.]+) seconds"),
    "engine_init_s": re.compile(
        r"init engine \(profile, create kv cache, warmup model\) took ([\d.]+)"
    ),
}


def vllm_phases(text: str) -> dict[str, float]:
    """The first value of each vLLM start-up phase found in ``text``."""
    found = {}
    for name, pattern in VLLM_PHASES.items():
        match = pattern.search(text)
        if match:
            found[name] = round(float(match.group(1)), 2)
    return found


def phases_in_logs(folder: Path) -> dict[str, float]:
    """vLLM phases from any log under ``folder`` (a Ray session's logs)."""
    found: dict[str, float] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".log", ".out", ".err"):
            for name, value in vllm_phases(path.read_text(errors="replace")).items():
                found.setdefault(name, value)
    return found


@dataclass
class Result:
    target: str
    startup_s: float
    samples: list[Sample] = field(default_factory=list)
    concurrent_tokens_per_s: float = 0.0
    startup: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, float | str]:
        ttft = sorted(s.ttft_s for s in self.samples)
        rates = [s.decode_tokens_per_s for s in self.samples if s.decode_tokens_per_s]
        row: dict[str, float | str] = {"target": self.target, "startup_s": round(self.startup_s, 1)}
        if ttft:
            row.update({
                "ttft_p50_ms": round(statistics.median(ttft) * 1000, 1),
                "ttft_p95_ms": round(ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))] * 1000, 1),
                "decode_tok_s_p50": round(statistics.median(rates), 1) if rates else 0.0,
                "concurrent_tok_s": round(self.concurrent_tokens_per_s, 1),
                "requests": len(self.samples),
            })  # fmt: skip
            marks = [s.escalated for s in self.samples if s.escalated is not None]
            if marks:
                row["escalated"] = f"{sum(marks)}/{len(self.samples)}"
        return row

    def timing_medians(self) -> dict[str, float]:
        """Median ms of each router step over the sequential requests (``llm`` includes the
        whole generation; the steps before it are what the first token waits for)."""
        keys = {k for s in self.samples for k in s.timings_ms or {}}
        return {
            k: round(statistics.median(s.timings_ms[k] for s in self.samples
                                       if s.timings_ms and k in s.timings_ms), 1)
            for k in sorted(keys)
        }  # fmt: skip


def stream_once(client: openai.OpenAI, kind: str, model: str, prompt: str, max_tokens: int):
    """One streamed request; returns a Sample."""
    start = time.perf_counter()
    arrivals: list[float] = []
    tokens = 0
    escalated = None
    timings = None
    if kind == "chat":
        stream = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            max_tokens=max_tokens,
            temperature=0.8,
            seed=1,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.perf_counter())
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
            meta = (chunk.model_extra or {}).get("interfaze")
            if isinstance(meta, dict) and "escalated" in meta:
                escalated = bool(meta["escalated"])
                timings = meta.get("timings_ms") or None
    else:
        stream = client.completions.create(
            model=model,
            prompt=prompt,
            max_tokens=max_tokens,
            temperature=0.8,
            seed=1,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].text:
                arrivals.append(time.perf_counter())
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
    end = time.perf_counter()
    if not arrivals:
        return Sample(end - start, end - start, tokens, None, escalated, timings)
    span = arrivals[-1] - arrivals[0]
    rate = (tokens - 1) / span if tokens > 1 and span > 0 else None
    return Sample(arrivals[0] - start, end - start, tokens, rate, escalated, timings)


def drive(
    result: Result, client, kind: str, model: str, requests: int, max_tokens: int, prompt_of
) -> None:
    stream_once(client, kind, model, prompt_of(0), 8)  # warm-up
    for i in range(requests):
        result.samples.append(stream_once(client, kind, model, prompt_of(i), max_tokens))
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        samples = list(
            pool.map(lambda i: stream_once(client, kind, model, prompt_of(i), max_tokens), range(8))
        )
    result.concurrent_tokens_per_s = sum(s.completion_tokens for s in samples) / (
        time.perf_counter() - started
    )


def bench_ifz(config: Any, requests: int, max_tokens: int, bare: bool = False) -> list[Result]:
    """The ``interfaze`` model through the router; with ``bare`` also the LLM's own model id
    through the same app (the fewest hops: no pipeline), after it."""
    from ops.cli.serve_cmd import run_app, stop_app
    from ops.cli.startup import StartupTimeline

    temp_dir = tempfile.mkdtemp(prefix="ifzb-", dir="/tmp")
    timeline = StartupTimeline()
    base_url = run_app(config, temp_dir=temp_dir, log=lambda _: None, timeline=timeline)
    result = Result("interfaze-serve (router -> ray.serve.llm vLLM)", timeline.elapsed())
    result.startup = {
        **timeline.as_dict(),
        "vllm": phases_in_logs(Path(temp_dir) / "session_latest" / "logs"),
    }
    results = [result]
    try:
        if requests:
            client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="bench", max_retries=0)
            drive(
                result, client, "chat", "interfaze", requests, max_tokens,
                lambda i: PROMPTS[i % 4],
            )  # fmt: skip
            if bare:
                model_id = config.llm.model_id
                direct = Result(
                    f"bare-LLM via interfaze-serve (model {model_id})", result.startup_s
                )
                drive(direct, client, "chat", model_id, requests, max_tokens,
                      lambda i: PROMPTS[i % 4])  # fmt: skip
                results.append(direct)
    finally:
        stop_app()
    return results


def engine_cli_args(engine_kwargs: Mapping[str, Any]) -> list[str]:
    """The LLM deployment's vLLM engine arguments as ``vllm serve`` flags (the same engine on
    both sides): ``True`` is a bare flag, ``False``/``None`` is left out, dicts go as JSON."""
    args: list[str] = []
    for name, value in engine_kwargs.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, dict | list):
            args += [flag, json.dumps(value)]
        else:
            args += [flag, str(value)]
    return args


def bench_vllm(config: Any, requests: int, max_tokens: int, model_dir: str) -> Result:
    from ops.cli.serve_cmd import free_port
    from serve.api.protocol import ChatMessage
    from serve.context.prompt import build_prompt

    port = free_port()
    llm = config.llm
    env = dict(os.environ, HF_HUB_OFFLINE="1", **{k: str(v) for k, v in llm.env_vars.items()})
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", model_dir, "--served-model-name", "bench",
        "--host", "127.0.0.1", "--port", str(port),
        *engine_cli_args({"dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": True,
                          **llm.engine_kwargs}),
    ]  # fmt: skip
    fd, log_path = tempfile.mkstemp(prefix="vllm-bench-", suffix=".log")
    started = time.perf_counter()
    with os.fdopen(fd, "w") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"vllm exited with {process.returncode}; log: {log_path}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("vllm did not start in 600 s")
            time.sleep(1)
        result = Result("vLLM alone (OpenAI server)", time.perf_counter() - started)
        result.startup = {"vllm": vllm_phases(Path(log_path).read_text(errors="replace"))}
        if not requests:
            return result
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        if llm.prompt_format.value == "chat":  # the model's own chat template, as the router
            drive(result, client, "chat", "bench", requests, max_tokens, lambda i: PROMPTS[i % 4])
            return result

        def prompt_of(i: int) -> str:  # the very prompt the router would send
            message = ChatMessage(role="user", content=PROMPTS[i % 4])
            return build_prompt([message], template=True, budget_tokens=llm.context_tokens).prompt

        drive(result, client, "completion", "bench", requests, max_tokens, prompt_of)
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def print_startup(results: list[Result]) -> None:
    """The start-up breakdown of each target and the ratio the issue targets (<= 1.5x)."""
    for result in results:
        startup = result.startup
        print(f"start-up {result.target}: {result.startup_s:.1f} s")
        if startup.get("marks_s"):
            print(f"  marks: {startup['marks_s']}")
            print(f"  deployments healthy at: {startup['deployments_healthy_s']}")
            print(f"  router warm-ups: {startup.get('router_warm_ups') or {}}")
        print(f"  vLLM phases: {startup.get('vllm') or 'not found in the logs'}")
    by_target = {r.target.split(" ")[0]: r.startup_s for r in results}
    if {"interfaze-serve", "vLLM"} <= set(by_target):
        ratio = by_target["interfaze-serve"] / by_target["vLLM"]
        print(f"start-up ratio interfaze-serve / vLLM alone: {ratio:.2f}x (target <= 1.5x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["ifz", "vllm"], default=None)
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--profile", default="local")
    parser.add_argument(
        "--stages",
        default="",
        help="stages deployed beside the router and the LLM: a comma list, or 'all' for the "
        "whole profile (default: none, the LLM path alone)",
    )
    parser.add_argument("--startup-only", action="store_true", help="start each target, no traffic")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of both targets (start-up medians)"
    )
    parser.add_argument(
        "--bare",
        action="store_true",
        help="also drive the LLM's own model id through the router (no pipeline) in the same run",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="K=V",
        help="app config override for both targets, e.g. llm.engine_kwargs.stream_interval=4",
    )
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ops.cli.serve_cmd import free_port
    from serve.composition import local_model_dir
    from serve.config.loader import deep_merge, load_config, parse_overrides

    overrides: dict[str, Any] = {}
    if args.stages != "all":
        from loadtest.local_app import stage_overrides

        overrides = stage_overrides({s for s in args.stages.split(",") if s}, llm=True)
        overrides["embed"] = {"enabled": "embed" in args.stages.split(",")}
        overrides["router"] = {"embeddings": "router"}  # no embed deployment: a local MiniLM
    overrides.update(port=free_port(), local_cluster={"metrics_export_port": free_port()})
    overrides = deep_merge(overrides, parse_overrides(args.overrides))
    config = load_config(args.profile, overrides)
    model_dir = local_model_dir(config)
    if model_dir is None:
        raise SystemExit(f"{config.llm.model_source} is not prepared: run `ifz models prepare`")
    requests = 0 if args.startup_only else args.requests
    results: list[Result] = []
    bare: list[Result] = []
    rounds: list[dict[str, float]] = []
    for _ in range(args.repeat):  # alternate the targets: a shared box's load hits both
        round_results = []
        if args.only in (None, "ifz"):
            ifz, *direct = bench_ifz(config, requests, args.max_tokens, bare=args.bare)
            round_results.append(ifz)
            bare.extend(direct)
        if args.only in (None, "vllm"):
            round_results.append(bench_vllm(config, requests, args.max_tokens, model_dir))
        results.extend(round_results)
        rounds.append({r.target.split(" ")[0]: r.startup_s for r in round_results})
    if args.repeat > 1:
        startup_ratios = [r["interfaze-serve"] / r["vLLM"] for r in rounds if len(r) == 2]
        print(f"start-up rounds: {rounds}")
        if startup_ratios:
            median = statistics.median(startup_ratios)
            print(f"start-up ratio, median of {len(startup_ratios)}: {median:.2f}x")
    rows = [r.row() for r in [*results, *bare]]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))
    print_startup(results)
    for result in results[:1] + bare[:1]:
        if result.timing_medians():
            print(f"router steps, median ms ({result.target}): {result.timing_medians()}")
    ratio_rows = run_ratios(rows)
    note = f" (medians of {args.repeat} rounds)" if args.repeat > 1 else ""
    if ratio_rows:
        print(f"ratios interfaze-serve (model interfaze, escalated) / vLLM alone{note}:")
        print_ratios(ratio_rows)
    bare_ratios = run_ratios(rows, mine="bare-LLM")
    if bare_ratios:
        print(f"ratios bare-LLM via interfaze-serve / vLLM alone{note}:")
        print_ratios(bare_ratios)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "rows": [{**r.row(), "startup": r.startup} for r in [*results, *bare]],
                    "ratios": ratio_rows,
                    "bare_ratios": bare_ratios,
                    "router_steps_ms": {r.target: r.timing_medians() for r in [*results, *bare]},
                },
                handle,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
