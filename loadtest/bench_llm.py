"""LLM path benchmark: start-up, first-token latency and tokens/s, through interfaze-serve
and through vLLM's own OpenAI server on the same model folder, in one run.

    .venv/bin/python -m loadtest.bench_llm            # both targets, prints a table
    .venv/bin/python -m loadtest.bench_llm --only ifz --requests 20

Each target is started by the benchmark itself (so start-up is measured), driven with the
official `openai` client (streaming), then stopped. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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


@dataclass
class Result:
    target: str
    startup_s: float
    samples: list[Sample] = field(default_factory=list)
    concurrent_tokens_per_s: float = 0.0

    def row(self) -> dict[str, float | str]:
        ttft = sorted(s.ttft_s for s in self.samples)
        rates = [s.decode_tokens_per_s for s in self.samples if s.decode_tokens_per_s]
        return {
            "target": self.target,
            "startup_s": round(self.startup_s, 1),
            "ttft_p50_ms": round(statistics.median(ttft) * 1000, 1),
            "ttft_p95_ms": round(ttft[min(len(ttft) - 1, int(0.95 * len(ttft)))] * 1000, 1),
            "decode_tok_s_p50": round(statistics.median(rates), 1) if rates else 0.0,
            "concurrent_tok_s": round(self.concurrent_tokens_per_s, 1),
            "requests": len(self.samples),
        }


def stream_once(client: openai.OpenAI, kind: str, model: str, prompt: str, max_tokens: int):
    """One streamed request; returns a Sample."""
    start = time.perf_counter()
    arrivals: list[float] = []
    tokens = 0
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
        return Sample(end - start, end - start, tokens, None)
    span = arrivals[-1] - arrivals[0]
    rate = (tokens - 1) / span if tokens > 1 and span > 0 else None
    return Sample(arrivals[0] - start, end - start, tokens, rate)


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


def bench_ifz(requests: int, max_tokens: int) -> Result:
    from ops.cli.serve_cmd import free_port, run_app, stop_app
    from serve.config.loader import load_config

    config = load_config(
        "local", {"port": free_port(), "local_cluster": {"metrics_export_port": free_port()}}
    )
    started = time.perf_counter()
    base_url = run_app(
        config, temp_dir=tempfile.mkdtemp(prefix="ifzb-", dir="/tmp"), log=lambda _: None
    )
    result = Result("interfaze-serve (router -> ray.serve.llm vLLM)", time.perf_counter() - started)
    try:
        client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="bench", max_retries=0)
        drive(result, client, "chat", "interfaze", requests, max_tokens, lambda i: PROMPTS[i % 4])
    finally:
        stop_app()
    return result


def bench_vllm(requests: int, max_tokens: int, model_dir: str) -> Result:
    from ops.cli.serve_cmd import free_port
    from serve.api.protocol import ChatMessage
    from serve.context.prompt import build_prompt

    port = free_port()
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1", HF_HUB_OFFLINE="1")
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", model_dir, "--served-model-name", "gemma", "--dtype", "bfloat16",
        "--max-model-len", "2048", "--enforce-eager", "--host", "127.0.0.1", "--port", str(port),
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
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)

        def prompt_of(i: int) -> str:  # the very prompt the router would send
            message = ChatMessage(role="user", content=PROMPTS[i % 4])
            return build_prompt([message], template=True, budget_tokens=1536).prompt

        drive(result, client, "completion", "gemma", requests, max_tokens, prompt_of)
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["ifz", "vllm"], default=None)
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from serve.config.loader import load_config

    model_dir = str(load_config("local").data_path("models", "gemma-3-270m"))
    rows = []
    if args.only in (None, "ifz"):
        rows.append(bench_ifz(args.requests, args.max_tokens).row())
    if args.only in (None, "vllm"):
        rows.append(bench_vllm(args.requests, args.max_tokens, model_dir).row())
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
