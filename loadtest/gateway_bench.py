"""Micro-benchmarks: gateway overhead per request, and the limits actor's round trip.

    python -m loadtest.gateway_bench                 # hook chain, MiniLM (cued), in-process limits
    python -m loadtest.gateway_bench --mode always   # embed every text
    python -m loadtest.gateway_bench --no-embedding  # rules only
    python -m loadtest.gateway_bench --ray           # + named-actor admit round trip

Prints JSON: p50/p95/mean milliseconds. Texts vary per request so the score cache misses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from serve.api.protocol import ChatCompletionRequest
from serve.gateway.config import GatewaySettings
from serve.gateway.gateway import Gateway
from serve.gateway.keys import KeyStore
from serve.observability.record import RequestRecord

QUESTION = (
    "Here is our Q3 summary: revenue grew 12% to $4.1M while costs stayed flat. Please compute "
    "the operating margin, compare it with Q2 (margin 18%), and list two risks the CFO should "
    "mention to the board next week. Reference number {n}."
)
OBSERVATION = (
    "Page 2. Operating costs were $3.2M. Marketing spend rose by 8% quarter over quarter, "
    "driven by the launch in Spain. Headcount stayed at 41. Item {n}."
)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


async def bench_chain(requests: int, embedding: bool, mode: str, data_dir: Path) -> dict:
    from serve.context.observations import Observation

    settings = GatewaySettings.model_validate(
        {
            "input_guard": {"injection": {"embedding": embedding, "embedding_mode": mode}},
            "limits": {"requests_per_minute": 10**6, "usage_flush_s": 1.0},
        }
    )
    gateway = Gateway.from_settings(settings, data_dir=data_dir, replica_id="bench")
    t0 = time.perf_counter()
    gateway.warm_up()
    warm_s = time.perf_counter() - t0
    key, _ = KeyStore(data_dir / "gateway" / "keys.db").create("bench")
    headers = {"authorization": f"Bearer {key}"}
    inbound, observations, outbound, total = [], [], [], []
    for n in range(requests):
        body = ChatCompletionRequest.model_validate(
            {"model": "interfaze", "messages": [{"role": "user", "content": QUESTION.format(n=n)}]}
        )
        start = time.perf_counter()
        ctx = gateway.new_context(f"b{n}", headers, body, body_bytes=400)
        await gateway.on_request(ctx)
        t1 = time.perf_counter()
        obs = [Observation("doc1", "p.2", "text", OBSERVATION.format(n=n), 0.9, "ocr")]
        await gateway.on_observations(ctx, obs)
        t2 = time.perf_counter()
        text = await gateway.on_response(ctx, "The operating margin is 22%, up from 18%.")
        record = RequestRecord(ctx.request_id, body.model, prompt_tokens=300, completion_tokens=40)
        record.close(200)
        await gateway.on_complete(ctx, record)
        end = time.perf_counter()
        if n >= 5:  # first requests warm caches and thread pools
            inbound.append((t1 - start) * 1000)
            observations.append((t2 - t1) * 1000)
            outbound.append((end - t2) * 1000)
            total.append((end - start) * 1000)
        assert text
    await gateway.close()
    return {
        "embedding": embedding and mode,
        "warm_up_s": round(warm_s, 2),
        "on_request": _stats(inbound),
        "on_observations": _stats(observations),
        "on_response+on_complete": _stats(outbound),
        "total": _stats(total),
    }


async def bench_actor(calls: int) -> dict:
    import ray

    from serve.gateway.ledger import KeyLimits
    from serve.gateway.limiter import InProcessLimitBackend, RayActorLimitBackend

    limits = KeyLimits(10**9, None, 10**9, None)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, namespace="bench")
    try:
        remote = RayActorLimitBackend("bench-limits", "bench")
        local = InProcessLimitBackend()
        for backend in (remote, local):
            for _ in range(20):
                await backend.admit("k", limits)
        results = {}
        for name, backend in (("ray_actor", remote), ("memory", local)):
            samples = []
            for _ in range(calls):
                start = time.perf_counter()
                await backend.admit("k", limits)
                samples.append((time.perf_counter() - start) * 1000)
            results[name] = _stats(samples)
        start = time.perf_counter()
        await asyncio.gather(*[remote.admit(f"k{i % 8}", limits) for i in range(calls)])
        results["ray_actor_concurrent_per_call_ms"] = round(
            (time.perf_counter() - start) * 1000 / calls, 3
        )
        remote.kill()
        return results
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-embedding", action="store_true")
    parser.add_argument("--mode", choices=["cued", "always"], default="cued")
    parser.add_argument("--ray", action="store_true", help="also time the limits actor")
    args = parser.parse_args()
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        report["chain"] = asyncio.run(
            bench_chain(args.requests, not args.no_embedding, args.mode, Path(tmp))
        )
    if args.ray:
        report["limits_admit"] = asyncio.run(bench_actor(args.requests * 2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
