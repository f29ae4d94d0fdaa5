"""Context builder benchmark: tokens in vs tokens out on mixed requests, and what survives.

    .venv/bin/python -m loadtest.context_bench
    .venv/bin/python -m loadtest.context_bench --requests 50 --budget 1024

Each request carries what the stages would return for a multi-part upload: a two-page report
(text + tables), an invoice (text + line-item table), a chart, a call transcript and a long
web article, with one question about a fact somewhere in them. It prints the rendered
observations' tokens (in), the distilled blocks' tokens (out), the prompt after the budget,
whether the answer-bearing value is still in the prompt (retention), and the build time.
Tokens are counted with the local LLM's tokenizer when its folder exists, else estimated.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from loadtest.perception.gen_documents import _paragraph_text, make_documents
from serve.api.protocol import ChatMessage
from serve.context.distill import distill
from serve.context.observations import Observation, render_table
from serve.context.prompt import build_prompt
from serve.context.tokens import counter_for


def model_dir() -> Path | None:
    """The local profile's LLM folder (its tokenizer counts the tokens), when prepared."""
    from serve.composition import local_model_dir
    from serve.config.loader import load_config

    folder = local_model_dir(load_config("local"))
    return Path(folder) if folder else None


@dataclass
class MixedRequest:
    question: str
    expected: str
    observations: list[Observation]


def make_request(rng: random.Random, index: int) -> MixedRequest:
    invoice, report = make_documents(2, seed=rng.randint(0, 10**6))
    observations: list[Observation] = []
    for doc, source in ((report, "doc1"), (invoice, "doc2")):
        for page, text in enumerate(doc.page_texts, start=1):
            observations.append(Observation(source, f"p.{page}", "page", text, 0.97, "ocr"))
        for number, table in enumerate(doc.tables, start=1):
            rows = table.rows
            observations.append(
                Observation(
                    source, f"table {number} p.{table.page}", "table", render_table(rows), 0.95,
                    "ocr", {"rows": rows},
                )
            )  # fmt: skip
    labels = ["Q1", "Q2", "Q3", "Q4"]
    values = [round(rng.uniform(10, 500), 1) for _ in labels]
    chart_text = "Revenue: " + ", ".join(f"{k} {v}" for k, v in zip(labels, values, strict=True))
    observations.append(
        Observation(
            "img1", "", "chart", chart_text, 0.9, "chart",
            {"x_labels": labels, "series": [{"name": "Revenue", "values": values}],
             "y_axis": {"unit": "$"}},
        )
    )  # fmt: skip
    callback = f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])}"
    transcript = (
        f"[00:00.0-00:04.0] Hello, this is Dana from accounts. "
        f"[00:04.0-00:09.0] {_paragraph_text(rng, (3, 4))} "
        f"[00:09.0-00:12.0] Please call me back at {callback} tomorrow."
    )
    observations.append(Observation("audio1", "", "transcript", transcript, 0.88, "asr"))
    article = "\n".join(_paragraph_text(rng, (5, 8)) for _ in range(6))
    observations.append(
        Observation("url1", "https://news.example/markets", "page", article, 0.9, "browse")
    )
    total_line = next(
        line for line in invoice.page_texts[0].splitlines() if line.startswith("Total due")
    )
    region_row = report.tables[0].rows[1]
    choices = [
        ("What is the total due on the invoice?", total_line.split(":", 1)[1].strip()),
        (f"What were the Q3 figures for {region_row[0]}?", region_row[3]),
        ("What revenue does the chart show for Q2?", str(values[1])),
        ("At what time should I call Dana back?", callback),
    ]
    question, expected = choices[index % len(choices)]
    return MixedRequest(question, expected, observations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--budget", type=int, default=1536, help="LLM context budget (tokens)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    folder = model_dir()
    count = counter_for(str(folder) if folder else None)
    rng = random.Random(args.seed)
    rows = []
    for index in range(args.requests):
        request = make_request(rng, index)
        messages = [ChatMessage(role="user", content=request.question)]
        started = time.perf_counter()
        distilled = distill(request.question, request.observations, count=count)
        built_ms = (time.perf_counter() - started) * 1000
        distilled_prompt = build_prompt(
            messages, template=True, budget_tokens=args.budget,
            context_blocks=distilled.blocks, count=count,
        )  # fmt: skip
        raw_prompt = build_prompt(
            messages, template=True, budget_tokens=args.budget,
            context_blocks=[o.render() for o in request.observations], count=count,
        )  # fmt: skip
        rows.append(
            {
                "in": distilled.tokens_in,
                "out": distilled.tokens_out,
                "prompt": distilled_prompt.tokens,
                "kept": request.expected in (distilled_prompt.prompt or ""),
                "raw_kept": request.expected in (raw_prompt.prompt or ""),
                "ms": built_ms,
                "relations": distilled.relations,
                "entities": distilled.entities,
            }
        )
    tokens_in = [r["in"] for r in rows]
    tokens_out = [r["out"] for r in rows]
    ratio = statistics.mean(o / i for i, o in zip(tokens_in, tokens_out, strict=True))
    ms = sorted(r["ms"] for r in rows)
    counted = f"the {folder.name} tokenizer" if folder else "an estimate (4 chars/token)"
    print(f"context builder: {len(rows)} mixed requests, tokens counted with {counted}")
    print(f"  tokens in  (rendered observations): mean {statistics.mean(tokens_in):.0f}")
    print(f"  tokens out (distilled blocks)     : mean {statistics.mean(tokens_out):.0f}")
    print(f"  out / in                          : {ratio:.2f}")
    relations = statistics.mean(r["relations"] for r in rows)
    entities = statistics.mean(r["entities"] for r in rows)
    print(f"  relations / entities per request  : {relations:.0f} / {entities:.0f}")
    print(f"  prompt within a {args.budget}-token budget: mean "
          f"{statistics.mean(r['prompt'] for r in rows):.0f} tokens")  # fmt: skip
    kept = sum(r["kept"] for r in rows) / len(rows)
    raw_kept = sum(r["raw_kept"] for r in rows) / len(rows)
    print(f"  answer-bearing value in the prompt: distilled {kept:.0%}, raw observations cut to "
          f"the budget {raw_kept:.0%}")  # fmt: skip
    print(f"  build time p50 / p95: {ms[len(ms) // 2]:.1f} / {ms[int(len(ms) * 0.95)]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
