"""Controller benchmark: interfaze vs the LLM-only baseline on a generated multimodal set.

    .venv/bin/python -m loadtest.eval.run                 # starts the app itself, both models
    .venv/bin/python -m loadtest.eval.run --base-url http://127.0.0.1:8000/v1 --only interfaze

Prints per category: accuracy, share answered without the LLM, p50/p95 latency, LLM tokens
and estimated cost per 1k requests, for `interfaze` and for the bare LLM model (the same vLLM
deployment given the raw extracted inputs); writes JSON and a PNG plot under loadtest/reports/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from loadtest.eval.cases import SMALL_STACK_CATEGORIES, Case, build_cases
from loadtest.eval.score import is_correct
from loadtest.eval.webpages import PageServer, make_pages

REPORTS = Path(__file__).resolve().parents[1] / "reports"
# Illustrative prices (USD per 1k tokens) for an escalation to a hosted-size LLM.
PRICE_PROMPT_PER_1K = 0.0005
PRICE_COMPLETION_PER_1K = 0.0015


@dataclass
class Result:
    case: Case
    model: str
    answer: str
    correct: bool
    escalated: bool
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    status: int
    details: dict

    @property
    def cost(self) -> float:
        return (
            self.prompt_tokens * PRICE_PROMPT_PER_1K
            + self.completion_tokens * PRICE_COMPLETION_PER_1K
        ) / 1000


def run_case(client: openai.OpenAI, case: Case, model: str, max_tokens: int) -> Result:
    started = time.perf_counter()
    try:
        response = client.chat.completions.create(
            model=model, messages=case.messages, max_tokens=max_tokens, temperature=0
        )
    except openai.APIStatusError as exc:
        return Result(case, model, f"HTTP {exc.status_code}", False, False,
                      time.perf_counter() - started, 0, 0, exc.status_code, {})  # fmt: skip
    latency = time.perf_counter() - started
    answer = response.choices[0].message.content or ""
    meta = (response.model_extra or {}).get("interfaze") or {}
    usage = meta.get("usage") or {}
    correct, details = is_correct(case, answer)
    details.update(confidence=float(meta.get("confidence") or 0.0), answerer=meta.get("answerer"))
    return Result(
        case,
        model,
        answer,
        correct,
        bool(meta.get("escalated", True)),
        latency,
        int(usage.get("llm_prompt_tokens", 0)),
        int(usage.get("llm_completion_tokens", 0)),
        200,
        details,
    )


def summarize(results: list[Result]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        groups[(result.model, result.case.category)].append(result)
        groups[(result.model, "ALL")].append(result)
    rows = []
    for (model, category), items in sorted(groups.items()):
        latencies = sorted(r.latency_s for r in items)
        rows.append(
            {
                "model": model,
                "category": category,
                "n": len(items),
                "accuracy": round(sum(r.correct for r in items) / len(items), 3),
                "no_llm_share": round(sum(not r.escalated for r in items) / len(items), 3),
                "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p95_ms": round(
                    latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] * 1000, 1
                ),
                "llm_tokens": sum(r.prompt_tokens + r.completion_tokens for r in items),
                "cost_per_1k_usd": round(1000 * sum(r.cost for r in items) / len(items), 4),
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = [*sorted({r["category"] for r in rows if r["category"] != "ALL"}), "ALL"]
    models = sorted({r["model"] for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / max(len(models), 1)
    for m_index, model in enumerate(models):
        by_cat = {r["category"]: r for r in rows if r["model"] == model}
        xs = [i + m_index * width for i in range(len(categories))]
        axes[0].bar(
            xs, [by_cat.get(c, {}).get("accuracy", 0) for c in categories], width, label=model
        )
        axes[1].bar(
            xs, [by_cat.get(c, {}).get("p50_ms", 0) for c in categories], width, label=model
        )
    for ax, title in zip(axes, ("accuracy", "p50 latency (ms)"), strict=True):
        ax.set_xticks([i + width * (len(models) - 1) / 2 for i in range(len(categories))])
        ax.set_xticklabels(categories, rotation=30, ha="right")
        ax.set_title(title)
        ax.legend()
    axes[1].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def calibration_curve(results: list[Result]) -> list[dict[str, float]]:
    """Accuracy vs share escalated if the threshold were t (from the recorded confidences)."""
    points = []
    scored = [r for r in results if "confidence" in r.details]
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        kept = [r for r in scored if r.details["confidence"] >= threshold]
        points.append(
            {
                "threshold": threshold,
                "answered_small": round(len(kept) / max(len(scored), 1), 3),
                "small_accuracy": round(sum(r.correct for r in kept) / max(len(kept), 1), 3),
            }
        )
    return points


def start_app(browse_allow: list[str]) -> tuple[str, Any]:
    from serve.cli.serve_cmd import free_port, run_app, stop_app
    from serve.config.loader import load_config

    overrides = {
        "port": free_port(),
        "local_cluster": {"metrics_export_port": free_port()},
        "actions": {"browse": {"allow_hosts": browse_allow}},
    }
    config = load_config("local", overrides)
    import tempfile

    base = run_app(config, temp_dir=tempfile.mkdtemp(prefix="ifze-", dir="/tmp"), log=print)
    return f"{base}/v1", (stop_app, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=None, help="a running server (default: start one)")
    parser.add_argument("--only", choices=["interfaze", "baseline"], default=None)
    parser.add_argument("--per-category", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--llm-model", default="gemma-3-270m")
    args = parser.parse_args(argv)

    pages = make_pages(max(1, args.per_category // 2), args.seed)
    with PageServer(pages) as web:
        stopper = None
        base_url = args.base_url
        if base_url is None:
            base_url, stopper = start_app(["127.0.0.1"])
        try:
            cases = build_cases(
                web_base_url=web.base_url, web_pages=pages, per_category=args.per_category,
                seed=args.seed,
            )  # fmt: skip
            client = openai.OpenAI(base_url=base_url, api_key="eval", max_retries=0, timeout=300)
            models = {"interfaze": "interfaze", "baseline": args.llm_model}
            if args.only:
                models = {args.only: models[args.only]}
            results: list[Result] = []
            for name, model in models.items():
                for case in cases:
                    result = run_case(client, case, model, args.max_tokens)
                    result.model = name
                    results.append(result)
                    mark = "ok " if result.correct else "BAD"
                    path = "LLM" if result.escalated else "small"
                    ms = result.latency_s * 1000
                    print(
                        f"{mark} {name:9} {case.id:22} {ms:8.0f} ms {path}  {result.answer[:70]!r}"
                    )
        finally:
            if stopper:
                stopper[0]()
    rows = summarize(results)
    print()
    print_table(rows)
    curve = calibration_curve([r for r in results if r.model == "interfaze"])
    print("\nthreshold sweep (interfaze): share answered by the small stack vs its accuracy")
    for point in curve:
        print(
            f"  t={point['threshold']:.2f}  small={point['answered_small']:.2f}  "
            f"accuracy={point['small_accuracy']:.2f}"
        )
    REPORTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {
        "rows": rows,
        "threshold_curve": curve,
        "small_stack_categories": list(SMALL_STACK_CATEGORIES),
        "results": [
            {
                "id": r.case.id,
                "model": r.model,
                "category": r.case.category,
                "answer": r.answer,
                "expected": r.case.expected,
                "correct": r.correct,
                "escalated": r.escalated,
                "latency_ms": round(r.latency_s * 1000, 1),
                "status": r.status,
                **r.details,
            }
            for r in results
        ],
    }
    (REPORTS / f"eval-{stamp}.json").write_text(json.dumps(report, indent=1))
    plot(rows, REPORTS / f"eval-{stamp}.png")
    print(f"\nwrote {REPORTS}/eval-{stamp}.json and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
