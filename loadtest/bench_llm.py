"""LLM path benchmark: start-up, first-token latency and tokens/s, through interfaze-serve
and through vLLM's own OpenAI server on the same model folder, in one run.

    .venv/bin/python -m loadtest.bench_llm            # both targets, prints a table
    .venv/bin/python -m loadtest.bench_llm --only ifz --requests 20
    .venv/bin/python -m loadtest.bench_llm --startup-only   # start-up breakdown and ratio only
    .venv/bin/python -m loadtest.bench_llm --rounds 5 --bare --json r.json  # interleaved rounds
    .venv/bin/python -m loadtest.bench_llm --rounds 3 --variant K=V   # before/after in one run
    .venv/bin/python -m loadtest.bench_llm --rounds 3 --ray-llm  # + Ray Serve LLM alone

It prints the ratios issue #15 targets (interfaze-serve / vLLM alone, each with its goal and
pass/fail): TTFT p50 <= 1.3x, 4-stream throughput >= 0.9x, single-stream decode >= 0.9x
("within 10%"), start-up <= 1.5x. On a shared, noisy machine one run does not separate a 10%
effect: ``--rounds N`` measures every target back to back in each round, in alternating order,
and reports each round's own ratios with their median and spread (a load spike then hits one
round's pair, not one target). The ``interfaze`` model is driven with general questions the
router escalates to the LLM (the run counts the answers the stream marked as escalated).

Each target is started by the benchmark itself (so start-up is measured), driven with the
official `openai` client (streaming), then stopped. Loopback only. Both serve the same model
folder (the profile's ``llm.model_source``) with the same engine arguments.

By default interfaze-serve deploys the router and the LLM only (the LLM path); ``--stages all``
deploys the whole profile. Start-up breakdown: for interfaze-serve, when Ray and Serve were
up, when Serve reported each deployment healthy and when ``/healthz`` said ready (router
warm-ups included); for both, the vLLM phases from the engine's own log lines (weights, model
load, engine init = profile + KV cache + warm-up).

``--ray-llm`` adds a third target, Ray Serve LLM's own OpenAI app (``build_openai_app`` ->
``OpenAiIngress`` -> stock ``LLMServer``) on the LLMConfig our builder makes, in the same Ray
set-up (loopback, ingress): what Ray Serve LLM's hops cost without ours. The report then also
gives Ray Serve LLM alone / vLLM alone and interfaze-serve / Ray Serve LLM alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
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
    rows: Sequence[Mapping[str, Any]], mine: str = "interfaze-serve", base: str = "vLLM"
) -> list[dict[str, Any]]:
    """The ratios of one run's rows: the target named ``mine`` (first word) / ``base`` (vLLM
    alone unless named), any number of rounds (medians per target); empty unless both targets
    were measured. The rows' keys stay ``interfaze_serve`` (``mine``), ``vllm_alone``
    (``base``)."""
    by_target: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_target.setdefault(str(row["target"]).split(" ")[0], []).append(row)
    if not {mine, base} <= set(by_target):
        return []
    return ratios(median_row(by_target[mine]), median_row(by_target[base]))


def print_ratios(
    rows: list[dict[str, Any]],
    mine: str = "interfaze-serve",
    base: str = "vLLM alone",
    goals: bool = True,
) -> None:
    """The ratio table (markdown); ``goals``: with the issue's goal and verdict (ratios to
    vLLM alone), else the ratios alone."""
    tail = " target | result |" if goals else ""
    print(f"| figure | {mine} | {base} | ratio |{tail}")
    print("|---|---|---|---|" + ("---|---|" if goals else ""))
    for r in rows:
        line = f"| {r['figure']} | {r['interfaze_serve']} | {r['vllm_alone']} | {r['ratio']}x |"
        if goals:
            line += f" {r['target']} | {'pass' if r['pass'] else 'FAIL'} |"
        print(line)


def target_key(target: str) -> str:
    """A row's target as the ratios name it: its first word (``vLLM``, ``interfaze-serve``)."""
    return str(target).split(" ")[0]


def round_ratios(
    rows: Sequence[Mapping[str, Any]],
    mine: str,
    base: str = "vLLM",
    targets: Sequence[RatioTarget] = RATIO_TARGETS,
) -> dict[str, float]:
    """One round's ratios ``mine`` / ``base`` (vLLM alone) by figure key, from that round's
    rows only; empty unless both were measured."""
    by_target = {target_key(row["target"]): row for row in rows}
    if mine not in by_target or base not in by_target:
        return {}
    found = ratios(by_target[mine], by_target[base], targets)
    keys = {t.label: t.figure for t in targets}
    return {keys[r["figure"]]: r["interfaze_serve"] / r["vllm_alone"] for r in found}


def spread_summary(
    per_round: Sequence[Mapping[str, float]], targets: Sequence[RatioTarget] = RATIO_TARGETS
) -> list[dict[str, Any]]:
    """Each figure's per-round ratios, their median and spread (min, max, and the half-range
    around the median), and the verdict of the median against the goal.

    Rounds interleave the targets, so a load spike on the shared box hits one round's pair
    rather than one target: the median of per-round ratios is what tells a 10% effect apart.
    """
    out = []
    for target in targets:
        values = [r[target.figure] for r in per_round if target.figure in r]
        if not values:
            continue
        values = [round(v, 6) for v in values]  # 0.95 and 0.85 have the median 0.9, not less
        median = round(statistics.median(values), 6)
        passed = median >= target.goal if target.at_least else median <= target.goal
        out.append({
            "figure": target.label,
            "rounds": [round(v, 2) for v in values],
            "median": round(median, 3),
            "min": round(min(values), 2),
            "max": round(max(values), 2),
            "spread": round((max(values) - min(values)) / 2, 2),
            "target": f"{'>=' if target.at_least else '<='} {target.goal}x",
            "pass": passed,
            "rounds_passing": sum(
                (v >= target.goal) if target.at_least else (v <= target.goal) for v in values
            ),
        })  # fmt: skip
    return out


def print_spread(rows: list[dict[str, Any]], goals: bool = True) -> None:
    """The per-round ratio table (markdown); ``goals``: with the issue's goal and verdict
    (ratios to vLLM alone), else the ratios alone (a variant against the base)."""
    tail = " target | result (median) |" if goals else ""
    print(f"| figure | ratio per round | median | min-max |{tail}")
    print("|---|---|---|---|" + ("---|---|" if goals else ""))
    for r in rows:
        per_round = ", ".join(f"{v:.2f}" for v in r["rounds"])
        line = (
            f"| {r['figure']} | {per_round} | {r['median']:.3f}x | {r['min']:.2f}-{r['max']:.2f} |"
        )
        if goals:
            result = "pass" if r["pass"] else "FAIL"
            n = f"{r['rounds_passing']}/{len(r['rounds'])} rounds"
            line += f" {r['target']} | {result} ({n}) |"
        print(line)


def startup_phases(startup: Mapping[str, Any]) -> dict[str, float]:
    """One start-up's phases in seconds since the start: Ray, Serve, each deployment healthy,
    ready, and vLLM's own (weights, engine init) where its log said."""
    phases = {f"at_{k}": v for k, v in (startup.get("marks_s") or {}).items()}
    phases.update(
        {f"{k}_healthy": v for k, v in (startup.get("deployments_healthy_s") or {}).items()}
    )
    phases.update({f"vllm_{k}": v for k, v in (startup.get("vllm") or {}).items()})
    return phases


def startup_phase_medians(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Per target (bare-LLM rows left out: same start), the median of each start-up phase."""
    by_target: dict[str, list[dict[str, float]]] = {}
    for row in rows:
        key = target_key(row["target"])
        if not key.startswith("bare-LLM"):
            phases = {"startup_s": row["startup_s"], **startup_phases(row.get("startup") or {})}
            by_target.setdefault(key, []).append(phases)
    return {key: median_row(values) for key, values in by_target.items()}


def round_order(kinds: Sequence[str], index: int) -> list[str]:
    """The targets of round ``index`` in order: as given on even rounds, reversed on odd ones
    (so neither side always runs first, on a cold or a warm box)."""
    return list(kinds) if index % 2 == 0 else list(reversed(kinds))


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


def bench_ifz(
    config: Any, requests: int, max_tokens: int, bare: bool = False, tag: str = ""
) -> list[Result]:
    """The ``interfaze`` model through the router; with ``bare`` also the LLM's own model id
    through the same app (the fewest hops: no pipeline), after it. ``tag`` suffixes the
    targets' names (``interfaze-serve+variant``) when two configs are compared."""
    from ops.cli.serve_cmd import run_app, stop_app
    from ops.cli.startup import StartupTimeline

    temp_dir = tempfile.mkdtemp(prefix="ifzb-", dir="/tmp")
    timeline = StartupTimeline()
    base_url = run_app(config, temp_dir=temp_dir, log=lambda _: None, timeline=timeline)
    result = Result(f"interfaze-serve{tag} (router -> ray.serve.llm vLLM)", timeline.elapsed())
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
                    f"bare-LLM{tag} via interfaze-serve (model {model_id})", result.startup_s
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
        if requests:
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0
            )
            drive_llm(result, client, llm, "bench", requests, max_tokens)
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def drive_llm(
    result: Result, client: openai.OpenAI, llm: Any, model: str, requests: int, max_tokens: int
) -> None:
    """Drive an OpenAI server of the LLM alone (vLLM, Ray Serve LLM) as the router drives the
    LLM: a chat model through its own chat template, a base model with the very prompt the
    router would send (completions)."""
    from serve.api.protocol import ChatMessage
    from serve.context.prompt import build_prompt

    if llm.prompt_format.value == "chat":
        drive(result, client, "chat", model, requests, max_tokens, lambda i: PROMPTS[i % 4])
        return

    def prompt_of(i: int) -> str:
        message = ChatMessage(role="user", content=PROMPTS[i % 4])
        return build_prompt([message], template=True, budget_tokens=llm.context_tokens).prompt

    drive(result, client, "completion", model, requests, max_tokens, prompt_of)


RAY_LLM = "Ray-Serve-LLM"  # the target's key (first word of its name)
RAY_LLM_TARGET = f"{RAY_LLM} alone (build_openai_app -> OpenAiIngress -> LLMServer)"
RAY_LLM_APP = "ray-llm-alone"


def reference_settings(settings: Any) -> Any:
    """The LLM settings of the Ray Serve LLM reference: ours, with the start-up priority left
    at normal. Our ``InterfazeLLMServer`` lowers a raised priority again once the engine has
    started; the stock ``LLMServer`` would not, so its engine would serve at a raised priority
    (and with no router starting beside it there is nothing to win at start-up)."""
    from deployments.llm.priority import STARTUP_NICE_ENV

    env_vars = {**settings.env_vars, STARTUP_NICE_ENV: "0"}
    return settings.model_copy(update={"env_vars": env_vars})


def import_ray_llm() -> None:
    """Ray Serve LLM (vLLM, torch: ~10 s on 2 cores), imported while Ray starts, as
    :func:`ops.cli.serve_cmd.run_app` imports its builders."""
    with contextlib.suppress(Exception):  # the real import, after ray.init, reports it
        import ray.serve.llm  # noqa: F401

        import deployments.llm.startup  # noqa: F401


def wait_until_serving(
    base_url: str, model: str, timeline: Any, app_name: str, timeout_s: float = 900
) -> None:
    """Poll until Serve reports ``app_name`` RUNNING (every deployment healthy: the engine has
    started) and ``/v1/models`` lists ``model``; records each deployment's healthy time."""
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        status, message = "", ""
        with contextlib.suppress(Exception):  # the controller is busy: next round
            status, message = timeline.observe_serve_status(app_name)
        if status == "DEPLOY_FAILED":
            raise RuntimeError(f"application {app_name!r} failed to deploy: {message}")
        if status == "RUNNING":
            timeline.mark("deployments_healthy")
            try:
                response = httpx.get(f"{base_url}/v1/models", timeout=5)
                if response.status_code == 200 and model in response.text:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = type(error).__name__
        else:
            last = status or last
        time.sleep(0.5)
    raise TimeoutError(f"{app_name} not serving after {timeout_s:.0f} s: {last}")


def bench_ray_llm(config: Any, requests: int, max_tokens: int) -> Result:
    """Ray Serve LLM alone: ``build_openai_app`` on the LLMConfig our builder makes (same model
    folder, engine arguments, env, deployment options; stock ``LLMServer``), started like
    interfaze-serve (the same one-node Ray on loopback, Serve's ingress, the worker hook) and
    driven like vLLM alone. Start-up: from before ``ray.init`` to serving, as for
    interfaze-serve."""
    from ray import serve

    from ops.cli.serve_cmd import cluster_runtime_env, start_local_cluster, stop_app
    from ops.cli.startup import StartupTimeline

    temp_dir = tempfile.mkdtemp(prefix="ifzb-", dir="/tmp")
    timeline = StartupTimeline()
    runtime_env = cluster_runtime_env(config, None, temp_dir)  # before ray.serve.llm's import
    prefetch = threading.Thread(target=import_ray_llm, daemon=True)
    prefetch.start()
    try:
        start_local_cluster(config, None, temp_dir, runtime_env)
        timeline.mark("ray")
        serve.start(http_options={"host": config.host, "port": config.port})
        timeline.mark("serve")
        prefetch.join()
        timeline.mark("builders_imported")
        from ray.serve.llm import build_openai_app

        from deployments.llm.builder import build_llm_config
        from deployments.llm.local_model import resolve_model_source

        settings = reference_settings(config.llm)
        model_path = resolve_model_source(settings.model_source, config.data_path())
        app = build_openai_app({"llm_configs": [build_llm_config(settings, model_path)]})
        serve.run_many(
            [serve.RunTarget(app, name=RAY_LLM_APP, route_prefix="/")],
            wait_for_ingress_deployment_creation=False,
            wait_for_applications_running=False,
        )
        timeline.mark("deploy_submitted")
        host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
        base_url = f"http://{host}:{config.port}"
        wait_until_serving(base_url, settings.model_id, timeline, RAY_LLM_APP)
        timeline.mark("ready")
        result = Result(RAY_LLM_TARGET, timeline.elapsed())
        result.startup = {
            **timeline.as_dict(),
            "vllm": phases_in_logs(Path(temp_dir) / "session_latest" / "logs"),
        }
        if requests:
            client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="bench", max_retries=0)
            drive_llm(result, client, settings, settings.model_id, requests, max_tokens)
        return result
    finally:
        stop_app()


def print_startup(results: list[Result]) -> None:
    """The start-up breakdown of each target and the ratio the issue targets (<= 1.5x)."""
    for result in results:
        startup = result.startup
        print(f"start-up {result.target}: {result.startup_s:.1f} s")
        if startup.get("marks_s"):
            print(f"  marks: {startup['marks_s']}")
            print(f"  deployments healthy at: {startup['deployments_healthy_s']}")
            if startup.get("router_warm_ups") or not result.target.startswith(RAY_LLM):
                print(f"  router warm-ups: {startup.get('router_warm_ups') or {}}")
        print(f"  vLLM phases: {startup.get('vllm') or 'not found in the logs'}")
    for line in startup_ratio_lines({target_key(r.target): r.startup_s for r in results}):
        print(line)


def startup_ratio_lines(startup_s: Mapping[str, float]) -> list[str]:
    """The start-up ratios of one run (the last start of each target): interfaze-serve and Ray
    Serve LLM alone / vLLM alone (goal <= 1.5x), interfaze-serve / Ray Serve LLM alone."""
    lines = []
    for mine, base in (
        ("interfaze-serve", "vLLM"),
        (RAY_LLM, "vLLM"),
        ("interfaze-serve", RAY_LLM),
    ):
        if startup_s.get(mine) and startup_s.get(base):
            title = pair_title(mine, base)
            goal = " (target <= 1.5x)" if has_goals(title) else ""
            lines.append(f"start-up ratio {title}: {startup_s[mine] / startup_s[base]:.2f}x{goal}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=["ifz", "vllm", "ray-llm"],
        default=None,
        help="one target only ('ifz' keeps its variant; 'ray-llm' implies --ray-llm)",
    )
    parser.add_argument(
        "--ray-llm",
        action="store_true",
        help="also measure Ray Serve LLM alone (build_openai_app on our LLMConfig) in every "
        "round: what Ray Serve LLM's own hops cost, beside ours",
    )
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
        "--rounds",
        "--repeat",
        dest="rounds",
        type=int,
        default=1,
        help="rounds; each measures every target back to back, in alternating order, and the "
        "report gives the per-round ratios with their median and spread",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="K=V",
        help="also measure interfaze-serve with this override (on top of --set) in every round, "
        "as 'interfaze-serve+variant': a before/after in one run",
    )
    parser.add_argument(
        "--variant-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment of the 'interfaze-serve+variant' target (the Ray it starts included)",
    )
    parser.add_argument(
        "--variant-startup-only",
        action="store_true",
        help="the variant is started (start-up measured) but not driven: a start-up change's "
        "before/after without a third traffic run per round",
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
    variant = (
        load_config(args.profile, deep_merge(overrides, parse_overrides(args.variant)))
        if args.variant or args.variant_env
        else None
    )
    variant_env = dict(item.split("=", 1) for item in args.variant_env)
    kinds = [
        k
        for k in KINDS
        if wanted(k, args.only, variant is not None, ray_llm=args.ray_llm or args.only == "ray-llm")
    ]
    rounds: list[list[Result]] = []
    for index in range(args.rounds):
        round_results: list[Result] = []
        for kind in round_order(kinds, index):
            print(f"round {index + 1}/{args.rounds}: {kind}", flush=True)
            try:
                if kind == "ifz":
                    round_results += bench_ifz(config, requests, args.max_tokens, bare=args.bare)
                elif kind == "variant":
                    with environment(variant_env):
                        round_results += bench_ifz(
                            variant,
                            0 if args.variant_startup_only else requests,
                            args.max_tokens,
                            bare=args.bare,
                            tag="+variant",
                        )
                elif kind == "ray-llm":  # stops its Ray itself, failed or not
                    round_results.append(bench_ray_llm(config, requests, args.max_tokens))
                else:
                    round_results.append(bench_vllm(config, requests, args.max_tokens, model_dir))
            except Exception as error:  # a failed target leaves its round incomplete
                print(f"round {index + 1}: {kind} failed: {error!r}", flush=True)
                if kind in ("ifz", "variant"):
                    stop_quietly()
        rounds.append(round_results)
        if args.json:  # after every round: a long run stopped early keeps what it measured
            write_report(args.json, rounds, args)
    report = write_report(args.json, rounds, args) if args.json else build_report(rounds, args)
    print_report(report, [r for rr in rounds for r in rr], args.rounds)
    return 0


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set for the block, then as it was."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stop_quietly() -> None:
    """Shut down whatever a failed interfaze-serve start left running (Serve, Ray)."""
    from ops.cli.serve_cmd import stop_app

    try:
        stop_app()
    except Exception as error:
        print(f"stopping after a failure: {error!r}", flush=True)


# the target kinds in a round's order (odd rounds reverse it): Ray Serve LLM alone between
# interfaze-serve and vLLM alone, next to each in every round
KINDS = ("ifz", "variant", "ray-llm", "vllm")


def wanted(kind: str, only: str | None, has_variant: bool, ray_llm: bool = False) -> bool:
    """Whether a target kind (``ifz``, ``variant``, ``ray-llm``, ``vllm``) runs under
    ``--only``; the variant and Ray Serve LLM alone only when asked for."""
    if kind == "variant":
        return has_variant and only in (None, "ifz")
    if kind == "ray-llm":
        return ray_llm and only in (None, "ray-llm")
    return only in (None, kind)


MINE = ("interfaze-serve", "bare-LLM", "interfaze-serve+variant", "bare-LLM+variant")


def ratio_pairs() -> list[tuple[str, str]]:
    """The (numerator, denominator) target keys the per-round ratios are reported for: ours
    and Ray Serve LLM alone against vLLM alone (the issue's goals), ours against Ray Serve LLM
    alone (the cost of our hops over Ray Serve LLM's own), the variant against the base."""
    return [
        *((mine, "vLLM") for mine in MINE),
        (RAY_LLM, "vLLM"),
        ("interfaze-serve", RAY_LLM),
        ("bare-LLM", RAY_LLM),
        ("interfaze-serve+variant", "interfaze-serve"),
    ]


def pair_title(mine: str, base: str) -> str:
    """``interfaze-serve / vLLM alone``; a variant's base is named as it is."""
    return f"{mine} / {base}" + (" alone" if base in ("vLLM", RAY_LLM) else "")


def has_goals(title: str) -> bool:
    """Whether a ratio is one the issue sets a goal for: anything / vLLM alone."""
    return title.endswith(" / vLLM alone")


def build_report(rounds: Sequence[Sequence[Result]], args: argparse.Namespace) -> dict[str, Any]:
    """Rows, median-row ratios, and per-round ratios with their median and spread."""
    round_rows = [[r.row() for r in results] for results in rounds]
    rows = [row for rr in round_rows for row in rr]
    per_round = {
        pair_title(mine, base): spread_summary([round_ratios(rr, mine, base) for rr in round_rows])
        for mine, base in ratio_pairs()
    }
    results = [r for rr in rounds for r in rr]
    return {
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "rounds": [
            [{**r.row(), "startup": r.startup} for r in results_of_round]
            for results_of_round in rounds
        ],
        "ratios": run_ratios(rows),
        "bare_ratios": run_ratios(rows, mine="bare-LLM"),
        "variant_ratios": run_ratios(rows, mine="interfaze-serve+variant"),
        "ray_llm_ratios": run_ratios(rows, mine=RAY_LLM),
        "ratios_vs_ray_llm": run_ratios(rows, base=RAY_LLM),
        "bare_ratios_vs_ray_llm": run_ratios(rows, mine="bare-LLM", base=RAY_LLM),
        "per_round_ratios": {k: v for k, v in per_round.items() if v},
        "router_steps_ms": {r.target: r.timing_medians() for r in results},
        "startup_phase_medians": startup_phase_medians(
            [{**r.row(), "startup": r.startup} for r in results]
        ),
        # the layout of earlier reports (r3): every row of every round
        "rows": [{**r.row(), "startup": r.startup} for r in results],
    }


def write_report(path: str, rounds: Sequence[Sequence[Result]], args) -> dict[str, Any]:
    report = build_report(rounds, args)
    Path(path).write_text(json.dumps(report, indent=2))
    return report


def print_report(report: dict[str, Any], results: list[Result], n_rounds: int) -> None:
    rows = [r.row() for r in results]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))
    print_startup([r for r in results if not r.target.startswith("bare-LLM")])
    seen: set[str] = set()
    for result in results:
        key = target_key(result.target)
        if key not in seen and result.timing_medians():
            seen.add(key)
            print(f"router steps, median ms ({result.target}): {result.timing_medians()}")
    note = f" (medians of {n_rounds} rounds' figures)" if n_rounds > 1 else ""
    titles = {  # report key: (title, numerator column, denominator column)
        "ratios": ("interfaze-serve (model interfaze, escalated) / vLLM alone", "interfaze-serve",
                   "vLLM alone"),
        "bare_ratios": ("bare-LLM via interfaze-serve / vLLM alone", "interfaze-serve",
                        "vLLM alone"),
        "variant_ratios": ("interfaze-serve+variant / vLLM alone", "interfaze-serve",
                           "vLLM alone"),
        "ray_llm_ratios": (f"{RAY_LLM} alone / vLLM alone", RAY_LLM, "vLLM alone"),
        "ratios_vs_ray_llm": (f"interfaze-serve / {RAY_LLM} alone", "interfaze-serve",
                              f"{RAY_LLM} alone"),
        "bare_ratios_vs_ray_llm": (f"bare-LLM via interfaze-serve / {RAY_LLM} alone",
                                   "bare-LLM", f"{RAY_LLM} alone"),
    }  # fmt: skip
    for key, (title, mine, base) in titles.items():
        if report.get(key):
            print(f"ratios {title}{note}:")
            print_ratios(report[key], mine, base, goals=has_goals(title))
    if n_rounds > 1:
        print(f"start-up phases, s since start (median of {n_rounds} rounds):")
        for key, phases in report["startup_phase_medians"].items():
            print(f"  {key}: {phases}")
        for title, rows_ in report["per_round_ratios"].items():
            print(f"per-round ratios {title} ({n_rounds} rounds, interleaved):")
            print_spread(rows_, goals=has_goals(title))


if __name__ == "__main__":
    sys.exit(main())
