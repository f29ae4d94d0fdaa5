"""Speech recognition: audio parts → a transcript observation with timed segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.perception.asr.protocol import Transcription, TranscriptionRequest
from serve.context.observations import Observation
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput, media_jobs
from serve.stages.spec import InputKind

if TYPE_CHECKING:
    from serve.config.schema import AppConfig


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def transcript_observations(
    source_id: str, result: Transcription | dict[str, Any]
) -> list[Observation]:
    """One transcript observation; segments keep their timestamps in ``data``."""
    result = StageAdapter.parse(Transcription, result)
    if result.segments:
        text = "\n".join(
            f"[{_clock(s.start)}-{_clock(s.end)}] {s.text.strip()}" for s in result.segments
        )
    else:
        text = result.text
    # Whisper's confidence is a mean token probability (~0.7 on clean speech whose WER is
    # under 5%), not the chance the transcript is right: map it onto that scale.
    confidence = 0.5 + 0.5 * result.confidence
    data = {
        "text": result.text,
        "segments": [
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "confidence": s.confidence,
                # each word's probability: a misheard name or number scores 0.15-0.3
                "words": [
                    {"word": w.word, "start": w.start, "end": w.end, "probability": w.probability}
                    for w in s.words or []
                ],
            }
            for s in result.segments
        ],
        "language": result.language,
        "duration_s": result.duration_s,
    }
    if result.second_reading is not None:  # another model's reading (asr.second_reading_model)
        data["second_reading"] = result.second_reading.model_dump(mode="json")
    return [Observation(source_id, "", "transcript", text, confidence, "asr", data)]


class AsrAdapter(StageAdapter):
    name = "asr"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        return media_jobs(self.name, inputs, InputKind.AUDIO)

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        media = job.media
        payload = TranscriptionRequest(
            data=media.data,
            mime=media.mime,
            filename=media.filename,
            timestamp_granularities=["segment", "word"],  # word probabilities weigh the facts
        )
        raw, record = await call(payload, source=job.source_id, bytes=media.size)
        result = self.parse(Transcription, raw)
        record.summary["confidence"] = result.confidence
        return StageOutput(transcript_observations(job.source_id, result))


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.perception.asr.builder import build_asr_deployment

    return build_asr_deployment(config.perception.asr)
