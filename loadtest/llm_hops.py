"""Where the LLM path's first-token time goes, hop by hop, in one app run (loopback only).

    .venv/bin/python -m loadtest.llm_hops --requests 8 --json /tmp/hops.json

Starts the router and the LLM (as ``loadtest.bench_llm`` does), then measures time to first
token for the same chat request at each level:

- ``http``: client → ingress → router (the LLM's own model id, no pipeline) → LLM replica;
- ``http_router_answer``: client → ingress → router, a question the small stack answers
  (arithmetic): the ingress and the router's own cost, streamed the same way;
- ``handle_generate``: this driver → the LLM deployment's ``generate`` (the router's protocol),
  so no ingress and no router;
- ``handle_chat``: this driver → ``LLMServer.chat`` (Ray Serve LLM's own OpenAI method, what
  ``OpenAiIngress`` calls);

With ``--pyspy S`` it samples the router, the LLM replica and vLLM's engine core
(``loadtest.pyspy``) while sequential HTTP requests run. Run it under the shared lock
(`flock /tmp/ifz-heavy.lock ...`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

QUESTION = "Describe how a bicycle works."
ROUTER_QUESTION = "What is 12 * 12?"  # the small stack answers it: no LLM call


def first_token_s(started: float, chunks: Iterable[Any], has_text: Callable[[Any], bool]) -> float:
    """Seconds from ``started`` (the request sent) until the first item of ``chunks`` with
    text (the stream is drained)."""
    first = None
    for chunk in chunks:
        if first is None and has_text(chunk):
            first = time.perf_counter() - started
    return first if first is not None else time.perf_counter() - started


def summary(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {"p50_ms": round(statistics.median(ms), 1), "min_ms": round(ms[0], 1),
            "max_ms": round(ms[-1], 1), "n": len(ms)}  # fmt: skip


_CLIENTS = threading.local()


def _client() -> httpx.Client:
    """One keep-alive client per thread, as the bench's openai clients: a client built per
    request costs ~20 ms (its SSL context) that no hop of the server spends."""
    if getattr(_CLIENTS, "client", None) is None:
        _CLIENTS.client = httpx.Client(timeout=120)
    return _CLIENTS.client


def http_ttft(base_url: str, model: str, max_tokens: int, question: str = QUESTION) -> float:
    body = {"model": model, "messages": [{"role": "user", "content": question}],
            "max_tokens": max_tokens, "temperature": 0.8, "seed": 1, "stream": True}  # fmt: skip
    client = _client()
    started = time.perf_counter()
    with client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response:
        lines = (line for line in response.iter_lines() if line.startswith("data: {"))
        return first_token_s(
            started, lines, lambda line: '"content":"' in line and '"content":""' not in line
        )


def handle_generate_ttft(handle: Any, max_tokens: int) -> float:
    request = {"request_id": f"hops-{time.monotonic_ns()}", "max_tokens": max_tokens,
               "messages": [{"role": "user", "content": QUESTION}], "temperature": 0.8,
               "seed": 1}  # fmt: skip
    started = time.perf_counter()
    stream = handle.options(stream=True).generate.remote(request)
    return first_token_s(started, stream, lambda batch: any(c.get("text") for c in batch))


def handle_chat_ttft(handle: Any, model_id: str, max_tokens: int) -> float:
    from ray.llm._internal.serve.core.configs.openai_api_models import ChatCompletionRequest

    request = ChatCompletionRequest(
        model=model_id, messages=[{"role": "user", "content": QUESTION}], max_tokens=max_tokens,
        temperature=0.8, seed=1, stream=True,
    )  # fmt: skip
    started = time.perf_counter()
    stream = handle.options(stream=True).chat.remote(request)

    def has_text(item: Any) -> bool:
        items = item if isinstance(item, list) else [item]
        return any(isinstance(i, str) and '"content":"' in i and '"content":""' not in i
                   for i in items)  # fmt: skip

    return first_token_s(started, stream, has_text)


def cpu_during_streams(base_url: str, model: str, streams: int, max_tokens: int) -> dict:
    """CPU seconds per process role (``loadtest.proc_cpu``) while ``streams`` concurrent HTTP
    streams run twice each: what each hop costs per generated token."""
    from concurrent.futures import ThreadPoolExecutor

    from loadtest.proc_cpu import descendants, role_of

    def role(cmdline: str) -> str:  # vLLM's own processes (engine core, its worker) apart
        return "vllm-engine" if "VLLM" in cmdline or "EngineCore" in cmdline else role_of(cmdline)

    before, started = descendants(), time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        list(pool.map(lambda _: http_ttft(base_url, model, max_tokens), range(2 * streams)))
    wall = time.perf_counter() - started
    start_cpu = {p.pid: p.cpu_s for p in before}
    cpu: dict[str, float] = {}
    for proc in descendants():
        key = role(proc.cmdline)
        cpu[key] = cpu.get(key, 0.0) + proc.cpu_s - start_cpu.get(proc.pid, 0.0)
    tokens = 2 * streams * max_tokens  # an upper bound (a stream may stop early)
    return {
        "wall_s": round(wall, 2),
        "tokens_at_most": tokens,
        "cpu_s_by_role": {k: round(v, 2) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])},
        "cpu_ms_per_token_by_role": {
            k: round(1000 * v / tokens, 2) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
        },
    }


def profile_during(pids: dict[str, int], seconds: float, out: Path, load: Callable[[], None]):
    """py-spy on each pid while ``load`` runs in a thread; top frames per process."""
    from loadtest.pyspy import record

    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            load()

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    results: dict[str, Any] = {}
    threads = []
    for role, pid in pids.items():

        def sample(role: str = role, pid: int = pid) -> None:
            profile = record(pid, seconds, out / f"{role}-pyspy.txt")
            results[role] = (
                {
                    "samples": profile.samples,
                    "top_self": profile.top_self(15),
                    "top_inclusive": profile.top_inclusive(30),
                }
                if profile
                else {"error": "py-spy failed"}
            )

        threads.append(threading.Thread(target=sample))
        threads[-1].start()
    for thread in threads:
        thread.join()
    stop.set()
    worker.join(timeout=120)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--streams", type=int, default=4, help="concurrent streams (0: off)")
    parser.add_argument("--stream-tokens", type=int, default=64)
    parser.add_argument("--pyspy", type=float, default=0.0, help="py-spy seconds (0: off)")
    parser.add_argument("--out", default="/tmp/llm-hops", help="py-spy output folder")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ray import serve

    from loadtest.local_app import stage_overrides
    from loadtest.proc_cpu import descendants, pids_of
    from ops.cli.serve_cmd import free_port, run_app, stop_app
    from serve.config.loader import load_config

    overrides: dict[str, Any] = stage_overrides(set(), llm=True)
    overrides.update(embed={"enabled": False}, router={"embeddings": "router"}, port=free_port(),
                     local_cluster={"metrics_export_port": free_port()})  # fmt: skip
    config = load_config("local", overrides)
    model_id = config.llm.model_id
    temp_dir = tempfile.mkdtemp(prefix="ifzh-", dir="/tmp")
    base_url = run_app(config, temp_dir=temp_dir, log=lambda _: None)
    result: dict[str, Any] = {"model_id": model_id, "max_tokens": args.max_tokens}
    try:
        handle = serve.get_deployment_handle("llm", app_name=config.app_name)
        levels: dict[str, Callable[[], float]] = {
            "http": lambda: http_ttft(base_url, model_id, args.max_tokens),
            # the same ingress and router, answered by the router itself: what they cost
            "http_router_answer": lambda: http_ttft(
                base_url, config.model_name, args.max_tokens, ROUTER_QUESTION
            ),
            "handle_generate": lambda: handle_generate_ttft(handle, args.max_tokens),
            "handle_chat": lambda: handle_chat_ttft(handle, model_id, args.max_tokens),
        }
        for fn in levels.values():
            fn()  # warm each path once
        times: dict[str, list[float]] = {name: [] for name in levels}
        for _ in range(args.requests):  # interleaved: the box's load hits every level alike
            for name, fn in levels.items():
                times[name].append(fn())
        result["ttft"] = {name: summary(values) for name, values in times.items()}
        if args.streams:
            result["cpu_during_streams"] = cpu_during_streams(
                base_url, model_id, args.streams, args.stream_tokens
            )
        if args.pyspy > 0:
            procs = descendants()
            pids = {
                role: found[0]
                for role in ("router", "replica:llm")
                if (found := pids_of(role, procs))
            }
            engines = [p.pid for p in procs if "EngineCore" in p.cmdline]
            if engines:
                pids["engine_core"] = engines[0]
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            result["pyspy"] = profile_during(
                pids, args.pyspy, out, lambda: http_ttft(base_url, model_id, args.max_tokens)
            )
    finally:
        stop_app()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
