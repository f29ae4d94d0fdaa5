"""In-process evaluation: perception classes and the SmallStack without Ray (a fast tuning loop).

Media parts of a case are decoded here, read by the deployment classes themselves (OCR,
chart, ASR) in this process, turned into observations by the router's adapters, and answered
by :class:`~serve.answer.controller.SmallStack` with the MiniLM intent/type embedder, against
the route thresholds of ``serve/config/profiles/routing.yaml``. No LLM: an escalation is
recorded as such (not answered). Identical media are read once per run (cached by digest).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loadtest.eval.cases import Case

ROUTING = Path(__file__).resolve().parents[2] / "serve" / "config" / "profiles" / "routing.yaml"
AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg"}


def observations_of(stage: str, source_id: str, result: dict, *, image: bool = False) -> list:
    """A perception result as the router's observations (the one place to follow a move of
    the adapters)."""
    try:
        from serve.stages.adapters.asr import transcript_observations
        from serve.stages.adapters.chart import chart_observations
        from serve.stages.adapters.ocr import ocr_observations
    except ImportError:  # before the stages refactor
        from serve.perception import observe

        if stage == "ocr":
            return (observe.from_ocr_image if image else observe.from_ocr)(source_id, result)
        if stage == "chart":
            return observe.from_chart(source_id, result)
        return observe.from_transcription(source_id, result)
    if stage == "ocr":
        return ocr_observations(source_id, result, image=image)
    if stage == "chart":
        return chart_observations(source_id, result)
    return transcript_observations(source_id, result)


def _perception_code_digest() -> str:
    """A digest of the perception deployments' source: a cached result is stale when it moves."""
    root = Path(__file__).resolve().parents[2] / "deployments" / "perception"
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Media:
    source_id: str
    kind: str  # pdf | image | audio
    mime: str
    data: bytes
    filename: str | None = None


def media_of(case: Case) -> tuple[list[Media], str]:
    """The media parts of the last user message and its text (the question)."""
    media: list[Media] = []
    text = ""
    counters = {"doc": 0, "img": 0, "audio": 0}
    for message in case.messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
            continue
        for part in content or []:
            kind = part.get("type")
            if kind == "text":
                text = part["text"]
            elif kind == "image_url":
                header, payload = part["image_url"]["url"].split(",", 1)
                counters["img"] += 1
                mime = header[5:].split(";")[0]
                media.append(Media(f"img{counters['img']}", "image", mime,
                                   base64.b64decode(payload)))  # fmt: skip
            elif kind == "file":
                header, payload = part["file"]["file_data"].split(",", 1)
                counters["doc"] += 1
                data = base64.b64decode(payload)
                name = part["file"].get("filename")
                media.append(Media(f"doc{counters['doc']}", "pdf", "application/pdf", data, name))
            elif kind == "input_audio":
                counters["audio"] += 1
                fmt = part["input_audio"].get("format", "wav")
                media.append(Media(f"audio{counters['audio']}", "audio",
                                   AUDIO_MIME.get(fmt, "audio/wav"),
                                   base64.b64decode(part["input_audio"]["data"])))  # fmt: skip
    return media, text


@dataclass
class InProcessResult:
    answer: str
    escalated: bool
    confidence: float
    answerer: str | None
    reason: str
    expected_type: str
    latency_s: float
    perception_s: float
    details: dict = field(default_factory=dict)


class InProcessStack:
    """OCR / chart / ASR deployment classes and the SmallStack, in this process."""

    CHART_MIN_CONFIDENCE = 0.5
    OCR_BELOW = 0.3

    def __init__(self, *, embeddings: bool = True, cache_dir: Path | None = None) -> None:
        from serve.answer.controller import SmallStack

        self.loop = asyncio.new_event_loop()
        self.stack = SmallStack()
        if embeddings:
            from serve.answer.intent import IntentEmbedder
            from serve.gateway.injection import MiniLMEmbedder

            self.stack.intent_embedder = IntentEmbedder(MiniLMEmbedder())
        routes = yaml.safe_load(ROUTING.read_text())["routes"]
        self.thresholds = {k: float(v["escalation_threshold"]) for k, v in routes.items()}
        self._deployments: dict[str, Any] = {}
        self._cache: dict[tuple[str, str, str], list] = {}
        self.cache_dir = cache_dir
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._code = _perception_code_digest()

    def close(self) -> None:
        self.loop.close()

    def _deployment(self, stage: str) -> Any:
        if stage not in self._deployments:
            if stage == "ocr":
                from deployments.perception.ocr.deployment import OcrDeployment as cls
            elif stage == "chart":
                from deployments.perception.chart.deployment import ChartDeployment as cls
            else:
                from deployments.perception.asr.deployment import AsrDeployment as cls
            self._deployments[stage] = cls({})
        return self._deployments[stage]

    def _call(self, stage: str, media: Media, method: str = "process") -> dict:
        path = None
        if self.cache_dir is not None:  # results keyed by input and perception code
            key = hashlib.sha1(media.data + f"{stage}:{method}:{self._code}".encode()).hexdigest()
            path = self.cache_dir / f"{key}.json"
            if path.exists():
                return json.loads(path.read_text())
        payload = {"data": media.data, "mime": media.mime, "filename": media.filename}
        method = "transcribe" if stage == "asr" else method
        coroutine = getattr(self._deployment(stage), method)(payload)
        result = self.loop.run_until_complete(coroutine)
        if path is not None:
            path.write_text(json.dumps(result))
        return result

    def perceive(self, media: Media) -> list:
        """Observations of one media part, as the router's adapters make them."""
        digest = hashlib.sha1(media.data).hexdigest()
        key = (media.kind, media.source_id, digest)
        if key in self._cache:
            return self._cache[key]
        if media.kind == "pdf":
            found = observations_of("ocr", media.source_id, self._call("ocr", media))
        elif media.kind == "audio":
            found = observations_of("asr", media.source_id, self._call("asr", media))
        else:
            found = self._image(media)
        self._cache[key] = found
        return found

    def _image(self, media: Media) -> list:
        verdict = self._call("chart", media, "classify")
        if verdict.get("is_chart") and float(verdict.get("confidence", 0)) >= (
            self.CHART_MIN_CONFIDENCE
        ):
            result = self._call("chart", media)
            found = observations_of("chart", media.source_id, result)
            if float(result.get("confidence") or 0) >= self.OCR_BELOW:
                return found
        else:
            found = []
        ocr = self._call("ocr", media)
        return found + observations_of("ocr", media.source_id, ocr, image=True)

    def answer(self, case: Case) -> InProcessResult:
        started = time.perf_counter()
        media, question = media_of(case)
        observations = []
        for item in media:
            observations += self.perceive(item)
        perceived = time.perf_counter()
        decision = self.stack.decide(question, observations)
        kinds = {m.kind for m in media} or {"text"}
        threshold = min(self.thresholds.get(k, self.thresholds["text"]) for k in kinds)
        answer = decision.answer
        escalated = answer is None or answer.confidence < threshold
        details = {
            "threshold": threshold,
            "candidates": [
                {"answerer": a.answerer, "confidence": a.confidence, "text": a.text[:80],
                 **({"type_mismatch": a.data["type_mismatch"]}
                    if "type_mismatch" in a.data else {})}
                for a in decision.candidates
            ],
        }  # fmt: skip
        return InProcessResult(
            answer=answer.text if answer else "",
            escalated=escalated,
            confidence=decision.confidence,
            answerer=answer.answerer if answer else None,
            reason=decision.reason,
            expected_type=decision.expected_type.value,
            latency_s=time.perf_counter() - started,
            perception_s=perceived - started,
            details=details,
        )
