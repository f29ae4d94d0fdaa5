"""Plain-knowledge accuracy of the local LLM through the OpenAI API, dev vs held-out.

    .venv/bin/python -m loadtest.knowledge.bench                       # starts router + LLM
    .venv/bin/python -m loadtest.knowledge.bench --base-url http://127.0.0.1:8000/v1
    .venv/bin/python -m loadtest.knowledge.bench --set llm.model_source=local:gemma-3-270m

Each question goes to the LLM's own id (the model alone) and to ``interfaze`` (the whole
pipeline) with the official ``openai`` client, without a temperature: the server's decoding
defaults apply, as for any client that names none (``--seed`` keeps runs repeatable). Without
``--base-url`` it starts the local profile with every perception/action stage off (run it under
``flock /tmp/ifz-heavy.lock``) and also measures start-up and decode tokens/s.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import openai

from loadtest.knowledge.questions import Question, questions
from loadtest.knowledge.score import is_correct

SPEED_PROMPTS = (
    "Write a short paragraph about the history of lighthouses.",
    "Describe how a bicycle works.",
    "Explain why the sky looks blue.",
)


@dataclass
class Answer:
    model: str
    id: str
    split: str
    topic: str
    question: str
    answer: str
    correct: bool
    latency_s: float
    finish_reason: str | None
    completion_tokens: int
    escalated: bool | None


def ask(
    client: openai.OpenAI, model: str, question: Question, split: str, args: argparse.Namespace
) -> Answer:
    """One question, one answer, scored."""
    extra: dict[str, Any] = {}
    if args.seed >= 0:
        extra["seed"] = args.seed
    if args.temperature is not None:
        extra["temperature"] = args.temperature
    messages = [{"role": "user", "content": question.question}]
    if args.system:
        messages.insert(0, {"role": "system", "content": args.system})
    started = time.perf_counter()
    reply = client.chat.completions.create(
        model=model,
        messages=messages,
        max_tokens=args.max_tokens,
        **extra,
    )
    latency = time.perf_counter() - started
    text = reply.choices[0].message.content or ""
    meta = (reply.model_extra or {}).get("interfaze") or {}
    return Answer(
        model=model,
        id=question.id,
        split=split,
        topic=question.topic,
        question=question.question,
        answer=text,
        correct=is_correct(question, text),
        latency_s=round(latency, 3),
        finish_reason=reply.choices[0].finish_reason,
        completion_tokens=reply.usage.completion_tokens if reply.usage else 0,
        escalated=meta.get("escalated"),
    )


def decode_speed(client: openai.OpenAI, model: str, max_tokens: int) -> dict[str, float]:
    """Streamed generations: time to first token and decode tokens/s (medians)."""
    ttft, rates = [], []
    for prompt in SPEED_PROMPTS:
        started = time.perf_counter()
        arrivals: list[float] = []
        tokens = 0
        stream = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            max_tokens=max_tokens,
            seed=1,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.perf_counter())
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
        if arrivals:
            ttft.append(arrivals[0] - started)
        if len(arrivals) > 1 and tokens > 1:
            rates.append((tokens - 1) / (arrivals[-1] - arrivals[0]))
    return {
        "ttft_p50_ms": round(statistics.median(ttft) * 1000, 1) if ttft else 0.0,
        "decode_tok_s_p50": round(statistics.median(rates), 1) if rates else 0.0,
    }


def summary(answers: list[Answer]) -> dict[str, Any]:
    """Accuracy per model and split, with the share escalated and answer lengths."""
    rows = []
    for model in dict.fromkeys(a.model for a in answers):
        for split in ("dev", "held_out", "all"):
            part = [a for a in answers if a.model == model and split in ("all", a.split)]
            if not part:
                continue
            escalated = [a.escalated for a in part if a.escalated is not None]
            rows.append(
                {
                    "model": model,
                    "split": split,
                    "n": len(part),
                    "accuracy": round(sum(a.correct for a in part) / len(part), 3),
                    "escalated": round(sum(escalated) / len(escalated), 3) if escalated else None,
                    "stopped": round(sum(a.finish_reason == "stop" for a in part) / len(part), 3),
                    "tokens_p50": statistics.median(a.completion_tokens for a in part),
                    "latency_p50_s": round(statistics.median(a.latency_s for a in part), 3),
                }
            )
    return {"rows": rows}


@contextmanager
def started_app(pairs: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The local profile with the router and the LLM only, on free loopback ports."""
    from loadtest.local_app import app_config, local_app, stage_overrides
    from serve.config.loader import deep_merge, parse_overrides

    overrides = deep_merge(stage_overrides(llm=True), parse_overrides(pairs))
    config = app_config("local", overrides)
    with local_app(config) as app:
        info = {
            "llm_model_id": config.llm.model_id,
            "llm_model_source": config.llm.model_source,
            "prompt_format": str(config.llm.prompt_format),
            "startup_s": round(app.startup_s, 1),
        }
        yield f"{app.base_url}/v1", info


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))


def run(client: openai.OpenAI, models: list[str], args: argparse.Namespace) -> list[Answer]:
    answers = []
    for split in ("dev", "held_out") if args.split == "all" else (args.split,):
        for question in questions(split):
            for model in models:
                answer = ask(client, model, question, split, args)
                answers.append(answer)
                if args.verbose:
                    mark = "ok " if answer.correct else "BAD"
                    print(f"{mark} {model:>22} {question.id:<22} {answer.answer!r}")
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=None, help="a running server (default: start one)")
    parser.add_argument("--api-key", default="none")
    parser.add_argument("--llm-model", default=None, help="the LLM's id (default: from /models)")
    parser.add_argument("--models", default="llm,interfaze", help="comma list: llm, interfaze")
    parser.add_argument("--split", choices=["dev", "held_out", "all"], default="all")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--temperature", type=float, default=None, help="default: server's")
    parser.add_argument("--seed", type=int, default=1, help="-1: send none")
    parser.add_argument("--system", default=None, help="a system message sent with each question")
    parser.add_argument("--speed-tokens", type=int, default=96, help="0: skip the speed run")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--json", default=None, help="also write answers and figures here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    def measure(base_url: str, info: dict[str, Any]) -> dict[str, Any]:
        client = openai.OpenAI(base_url=base_url, api_key=args.api_key, max_retries=0)
        ids = [m.id for m in client.models.list().data]
        llm_id = args.llm_model or next((i for i in ids if i != "interfaze"), None)
        chosen = [s.strip() for s in args.models.split(",") if s.strip()]
        models = [llm_id if name == "llm" else name for name in chosen]
        if None in models:
            raise SystemExit(f"no LLM id among the served models {ids}; pass --llm-model")
        answers = run(client, models, args)
        report = {"server": info | {"llm_model_id": llm_id}, **summary(answers)}
        if args.speed_tokens > 0:
            report["speed"] = decode_speed(client, llm_id, args.speed_tokens)
        report["answers"] = [asdict(a) for a in answers]
        return report

    if args.base_url:
        report = measure(args.base_url, {})
    else:
        with started_app(args.overrides) as (base_url, info):
            report = measure(base_url, info)
    print(json.dumps(report["server"]))
    if "speed" in report:
        print(json.dumps(report["speed"]))
    print_table(report["rows"])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
