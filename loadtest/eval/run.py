"""Controller benchmark on the generated multimodal set, per category and split.

    # in-process: perception classes + SmallStack, no Ray, no LLM (the tuning loop)
    .venv/bin/python -m loadtest.eval.run --mode inprocess --split dev \\
        --categories invoice_pdf,invoice_scan,receipt_real --per-category 40
    # HTTP through the official openai client: starts the app itself, or --base-url
    .venv/bin/python -m loadtest.eval.run --split heldout --only interfaze
    .venv/bin/python -m loadtest.eval.run --base-url http://127.0.0.1:8000/v1 --only interfaze

Per case it records: category, split, escalated, confidence, answerer, correct (JSON lines
under loadtest/reports/). Per category and split it prints accuracy, the share answered
without the LLM, the accuracy of those answers, and p50/p95 latency (HTTP mode also LLM
tokens and cost, for `interfaze` and the bare LLM baseline). Held-out runs print only the
aggregates unless ``--show-cases`` is given: held-out failures are not for tuning.
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

from loadtest.eval.cases import ALL_SPLITS, BUILDERS, SMALL_STACK_CATEGORIES, WEB_BASE, Case
from loadtest.eval.cases import build_split as build_cases
from loadtest.eval.score import is_correct

REPORTS = Path(__file__).resolve().parents[1] / "reports"
# Illustrative prices (USD per 1k tokens) for an escalation to a hosted-size LLM.
PRICE_PROMPT_PER_1K = 0.0005
PRICE_COMPLETION_PER_1K = 0.0015
DEFAULT_CATEGORIES = ("invoice_pdf", "invoice_scan", "receipt_real")


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

    def record(self) -> dict[str, Any]:
        """One line of the per-case report."""
        return {
            "id": self.case.id,
            "model": self.model,
            "category": self.case.category,
            "split": self.case.split,
            "question": self.case.question,
            "answer": self.answer,
            "expected": self.case.expected,
            "correct": self.correct,
            # the small stack's own answer, escalated or not (what a risk–coverage curve needs)
            "small_correct": self.details.get("small_correct", self.correct),
            "escalated": self.escalated,
            "confidence": self.details.get("confidence", 0.0),
            "answerer": self.details.get("answerer"),
            "latency_ms": round(self.latency_s * 1000, 1),
            "status": self.status,
            "meta": {k: v for k, v in self.case.meta.items() if k not in ("scan",)},
            **{k: v for k, v in self.details.items() if k not in ("confidence", "answerer")},
        }


def _with_web(case: Case, web_base: str | None) -> Case:
    if web_base is None or WEB_BASE not in json.dumps(case.messages):
        return case
    messages = json.loads(json.dumps(case.messages).replace(WEB_BASE, web_base))
    question = case.question.replace(WEB_BASE, web_base)
    return Case(case.id, case.category, messages, case.expected, question, case.meta, case.split)


def run_http_case(client, case: Case, model: str, max_tokens: int) -> Result:
    import openai

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
    return Result(case, model, answer, correct, bool(meta.get("escalated", True)), latency,
                  int(usage.get("llm_prompt_tokens", 0)),
                  int(usage.get("llm_completion_tokens", 0)), 200, details)  # fmt: skip


def run_inprocess_case(stack, case: Case) -> Result:
    outcome = stack.answer(case)
    answer = "" if outcome.escalated else outcome.answer
    correct, details = is_correct(case, answer) if answer else (False, {})
    details["small_correct"] = bool(outcome.answer) and is_correct(case, outcome.answer)[0]
    details.update(
        confidence=round(outcome.confidence, 4),
        answerer=outcome.answerer,
        small_answer=outcome.answer,
        reason=outcome.reason,
        expected_type=outcome.expected_type,
        perception_ms=round(outcome.perception_s * 1000, 1),
        **outcome.details,
    )
    return Result(case, "interfaze", answer, correct, outcome.escalated, outcome.latency_s,
                  0, 0, 200, details)  # fmt: skip


def summarize(results: list[Result]) -> list[dict[str, Any]]:
    """Per (model, category, split): accuracy, share without the LLM and its accuracy."""
    groups: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for result in results:
        groups[(result.model, result.case.category, result.case.split)].append(result)
        groups[(result.model, "ALL", result.case.split)].append(result)
    rows = []
    for (model, category, split), items in sorted(groups.items()):
        latencies = sorted(r.latency_s for r in items)
        # A refused request (an HTTP error: the SSRF guard's 403, a 413) is no answer at all:
        # neither the small stack's nor the LLM's.
        small = [r for r in items if not r.escalated and r.status == 200]
        rows.append(
            {
                "model": model,
                "category": category,
                "split": split,
                "n": len(items),
                "accuracy": round(sum(r.correct for r in items) / len(items), 3),
                "no_llm_share": round(len(small) / len(items), 3),
                "no_llm_accuracy": round(sum(r.correct for r in small) / len(small), 3)
                if small
                else None,
                "no_llm_wrong": sum(not r.correct for r in small),
                "errors": sum(r.status != 200 for r in items),
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


def risk_coverage(results: list[Result]) -> list[dict[str, float]]:
    """Accuracy of the small stack's answers vs the share it would answer at threshold t."""
    scored = [r for r in results if r.model == "interfaze"]
    points = []
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        kept = [r for r in scored if r.details.get("confidence", 0) >= threshold]
        right = [r for r in kept if is_correct(r.case, r.details.get("small_answer", r.answer))[0]]
        points.append(
            {
                "threshold": threshold,
                "coverage": round(len(kept) / max(len(scored), 1), 3),
                "accuracy": round(len(right) / max(len(kept), 1), 3),
            }
        )
    return points


def start_app(browse_allow: list[str]) -> tuple[str, Any]:
    import tempfile

    from ops.cli.serve_cmd import free_port, run_app, stop_app
    from serve.config.loader import load_config

    overrides = {
        "port": free_port(),
        "local_cluster": {"metrics_export_port": free_port()},
        "actions": {"browse": {"allow_hosts": browse_allow}},
    }
    config = load_config("local", overrides)
    base = run_app(config, temp_dir=tempfile.mkdtemp(prefix="ifze-", dir="/tmp"), log=print)
    return f"{base}/v1", (stop_app, config)


def _print_case(result: Result) -> None:
    mark = "ok " if result.correct else "BAD"
    path = "LLM" if result.escalated else "small"
    conf = result.details.get("confidence", 0.0)
    shown = result.details.get("small_answer", result.answer)
    print(
        f"{mark} {result.case.id:34} {path:5} {conf:4.2f} {result.details.get('answerer')!s:15} "
        f"{result.case.question[:48]!r} -> {shown[:50]!r} (want {result.case.expected[0]!r})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["http", "inprocess"], default="http")
    parser.add_argument(
        "--split", choices=ALL_SPLITS, default="dev", help="probe, probe2, probe3: documents only"
    )
    parser.add_argument(
        "--categories",
        default=",".join(DEFAULT_CATEGORIES),
        help=f"comma-separated, of {sorted(BUILDERS)} (or 'all')",
    )
    parser.add_argument("--per-category", type=int, default=24)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--base-url", default=None, help="a running server (default: start one)")
    parser.add_argument("--only", choices=["interfaze", "baseline"], default=None)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--llm-model", default=None, help="baseline model id (default: the app's)")
    parser.add_argument("--show-cases", action="store_true", help="print held-out cases too")
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="in-process: keep perception results here (keyed by input and perception code)",
    )
    args = parser.parse_args(argv)

    categories = list(BUILDERS) if args.categories == "all" else args.categories.split(",")
    show = args.split != "heldout" or args.show_cases
    cases = build_cases(
        categories, seed=args.seed, split=args.split, per_category=args.per_category
    )
    print(f"{len(cases)} cases, split {args.split}, categories {categories}", flush=True)
    results: list[Result] = []
    if args.mode == "inprocess":
        from loadtest.eval.inprocess import InProcessStack

        stack = InProcessStack(cache_dir=args.cache_dir)
        try:
            for case in cases:
                if case.category in ("web", "knowledge"):
                    continue  # browse / the LLM: HTTP mode only
                result = run_inprocess_case(stack, case)
                results.append(result)
                if show:
                    _print_case(result)
        finally:
            stack.close()
    else:
        results = _run_http(args, cases, show)
    rows = summarize(results)
    print()
    print_table(rows)
    curve = risk_coverage(results)
    print("\nrisk-coverage (interfaze): share the small stack answers at threshold t, accuracy")
    for point in curve:
        print(f"  t={point['threshold']:.2f}  coverage={point['coverage']:.2f}  "
              f"accuracy={point['accuracy']:.2f}")  # fmt: skip
    REPORTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out or REPORTS / f"eval-{args.mode}-{args.split}-{stamp}.json"
    report = {
        "mode": args.mode,
        "split": args.split,
        "seed": args.seed,
        "rows": rows,
        "risk_coverage": curve,
        "thresholds": _thresholds(results),
        "small_stack_categories": list(SMALL_STACK_CATEGORIES),
        "results": [r.record() if show else _outcome_only(r.record()) for r in results],
    }
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwrote {path}")
    return 0


# What a held-out report keeps of each case: outcomes and confidences, never its question,
# answer or expected value (so a report read while tuning shows nothing to fit).
OUTCOME_FIELDS = ("id", "model", "category", "split", "correct", "small_correct", "escalated",
                  "confidence", "answerer", "expected_type", "threshold", "latency_ms",
                  "status")  # fmt: skip


def _outcome_only(record: dict) -> dict:
    return {k: record[k] for k in OUTCOME_FIELDS if k in record}


def _thresholds(results: list[Result]) -> dict[str, float]:
    """Per category, the escalation threshold its cases ran under (in-process mode)."""
    found: dict[str, float] = {}
    for result in results:
        if "threshold" in result.details:
            found.setdefault(result.case.category, float(result.details["threshold"]))
    return found


def _run_http(args, cases: list[Case], show: bool) -> list[Result]:
    import openai

    from loadtest.eval.webpages import PageServer, make_pages

    web = [c for c in cases if c.category == "web"]
    pages = make_pages(web[0].meta["pages"], web[0].meta["pages_seed"]) if web else []
    results: list[Result] = []
    with PageServer(pages) as server:
        stopper = None
        base_url = args.base_url
        if base_url is None:
            base_url, stopper = start_app(["127.0.0.1"])
        try:
            client = openai.OpenAI(base_url=base_url, api_key="eval", max_retries=0, timeout=300)
            baseline = args.llm_model or next(
                (m.id for m in client.models.list().data if m.id != "interfaze"), "llm"
            )
            models = {"interfaze": "interfaze", "baseline": baseline}
            if args.only:
                models = {args.only: models[args.only]}
            for name, model in models.items():
                for case in cases:
                    result = run_http_case(client, _with_web(case, server.base_url), model,
                                           args.max_tokens)  # fmt: skip
                    result.model = name
                    results.append(result)
                    if show:
                        _print_case(result)
        finally:
            if stopper:
                stopper[0]()
    return results


if __name__ == "__main__":
    raise SystemExit(main())
