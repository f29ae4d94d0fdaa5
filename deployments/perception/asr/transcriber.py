"""Request checks, audio intake and the backend call, as one synchronous plain class."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from pydantic import ValidationError

from deployments.common.errors import MalformedInput
from deployments.perception.asr.audio import (
    AudioLimits,
    AudioProbe,
    decode_audio,
    probe_audio,
)
from deployments.perception.asr.backends import (
    AsrBackend,
    BackendStream,
    DecodeOptions,
    load_backend,
    start_stream,
)
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.languages import language_code
from deployments.perception.asr.protocol import Segment, Transcription, TranscriptionRequest
from deployments.perception.asr.second_reading import SecondReader


def _ms(start: float) -> float:
    return round((perf_counter() - start) * 1000, 1)


class Transcriber:
    """Validates a request, probes and decodes its audio, and runs the backend."""

    def __init__(self, settings: AsrSettings, backend: AsrBackend | None = None) -> None:
        self.settings = settings
        self.limits = AudioLimits.from_settings(settings)
        self.backend = backend or load_backend(settings)
        # a second model that reads clips with unsure value words again (second_reading.py)
        self.second: SecondReader | None = (
            SecondReader(settings) if settings.second_reading_model else None
        )

    def parse_request(self, request: dict[str, Any]) -> TranscriptionRequest:
        """The request dict as a model; wrong fields become a 400 naming the field."""
        if not isinstance(request, dict):
            raise MalformedInput("transcription request must be a dict", code="invalid_request")
        data = request.get("data")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise MalformedInput(
                "`file` is missing or not binary audio data", code="invalid_parameter"
            )
        try:
            return TranscriptionRequest.model_validate({**request, "data": bytes(data)})
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "request"
            raise MalformedInput(f"`{field}`: {error['msg']}", code="invalid_parameter") from None

    def decode_options(self, request: TranscriptionRequest) -> DecodeOptions:
        """Per-request options, checked against the loaded model."""
        language = None
        requested = request.language if request.language and request.language.strip() else None
        requested = requested or self.settings.default_language  # the deployment's default
        if requested:
            language = language_code(requested)
            if language is None:
                raise MalformedInput(
                    f"`language`: unknown language {requested!r} (use ISO 639-1, e.g. 'en')",
                    code="unsupported_language",
                )
            if language != "en" and not self.backend.multilingual:
                raise MalformedInput(
                    f"`language`: model {self.backend.model_name} transcribes English only",
                    code="unsupported_language",
                )
        prompt = request.prompt or None
        if prompt and len(prompt) > self.settings.max_prompt_chars:
            raise MalformedInput(
                f"`prompt` has {len(prompt)} characters, over the limit of "
                f"{self.settings.max_prompt_chars} (max_prompt_chars)",
                code="prompt_too_long",
            )
        prompt = prompt or self.settings.default_prompt or None
        return DecodeOptions(
            language=language,
            prompt=prompt,
            temperature=request.temperature,
            word_timestamps="word" in (request.timestamp_granularities or []),
        )

    def probe(self, request: TranscriptionRequest) -> AudioProbe:
        """Size, type and declared-duration checks (milliseconds, no decoding)."""
        return probe_audio(request.data, self.limits, mime=request.mime, filename=request.filename)

    def run(
        self, request: TranscriptionRequest, probe: AudioProbe, options: DecodeOptions
    ) -> Transcription:
        """Decode and transcribe (seconds of CPU: call it from a worker thread)."""
        stream = self.start(request, probe, options)
        while stream.next_segment() is not None:
            pass
        result = stream.result()
        if self.second is not None and stream.samples is not None:
            result.second_reading = self.second.read(
                stream.samples, options, result.language, result.segments
            )
            if result.second_reading is not None:
                result.timings_ms["second_reading"] = result.second_reading.transcribe_ms
        return result

    def start(
        self, request: TranscriptionRequest, probe: AudioProbe, options: DecodeOptions
    ) -> TranscriptionStream:
        """Decode the audio and start the backend; segments then come one by one (blocking
        calls: run them in a worker thread)."""
        started = perf_counter()
        audio = decode_audio(request.data, probe, self.limits)
        decode_ms = _ms(started)
        started_model = perf_counter()
        backend = start_stream(self.backend, audio.samples, options)
        stream = TranscriptionStream(
            backend,
            duration_s=audio.duration_s,
            backend_name=self.backend.name,
            model=self.backend.model_name,
            timings_ms={"decode": decode_ms},
            started_model=started_model,
        )
        stream.samples = audio.samples if self.second is not None else None
        return stream

    def transcribe(self, request: dict[str, Any]) -> Transcription:
        """The whole path in one call (bench, tests): parse, check, probe, decode, transcribe."""
        started = perf_counter()
        parsed = self.parse_request(request)
        options = self.decode_options(parsed)
        probe_started = perf_counter()
        probe = self.probe(parsed)
        probe_ms = _ms(probe_started)
        transcription = self.run(parsed, probe, options)
        transcription.timings_ms.update(probe=probe_ms, total=_ms(started))
        return transcription


def overall_confidence(segments: list[Segment]) -> float:
    """Duration-weighted mean of segment confidences; 0 when nothing was heard."""
    weighted = [(max(s.end - s.start, 0.01), s.confidence) for s in segments if s.text]
    total = sum(w for w, _ in weighted)
    if not total:
        return 0.0
    return round(sum(w * c for w, c in weighted) / total, 4)


class TranscriptionStream:
    """One transcription in progress: segments as the backend produces them, then the result.

    Not thread-safe: one caller (thread) at a time; :meth:`close` stops decoding.
    """

    def __init__(
        self,
        backend: BackendStream,
        *,
        duration_s: float,
        backend_name: str,
        model: str,
        timings_ms: dict[str, float],
        started_model: float,
    ) -> None:
        self._backend = backend
        self.duration_s = duration_s
        self.backend_name = backend_name
        self.model = model
        self.timings_ms = timings_ms
        self._started_model = started_model
        self.segments: list[Segment] = []
        self.finished = False
        self.samples: Any = None  # kept for a second reading (Transcriber.run)

    def next_segment(self) -> Segment | None:
        """The next segment, or None once the audio is transcribed (blocking)."""
        if self.finished:
            return None
        segment = next(self._backend.segments, None)
        if segment is None:
            self.finished = True
            self.timings_ms["transcribe"] = _ms(self._started_model)
            return None
        self.segments.append(segment)
        return segment

    def result(self) -> Transcription:
        """The transcription of the segments produced so far (all of them once finished)."""
        segments = self.segments
        return Transcription(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=self._backend.language,
            language_probability=round(min(1.0, max(0.0, self._backend.language_probability)), 4),
            duration_s=round(self.duration_s, 3),
            segments=segments,
            confidence=overall_confidence(segments),
            backend=self.backend_name,
            model=self.model,
            timings_ms=dict(self.timings_ms),
        )

    def close(self) -> None:
        """Stop decoding (the backend's generator is closed); idempotent."""
        self.finished = True
        close = getattr(self._backend.segments, "close", None)
        if close is not None:
            close()
