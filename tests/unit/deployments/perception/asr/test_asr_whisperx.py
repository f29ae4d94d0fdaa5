"""The WhisperX backend (gpu profile). WhisperX needs CUDA torch 2.8, so here a stand-in module
with WhisperX's call signatures records what the backend asks for; the real package is only
imported lazily, and its absence is a clear BackendUnavailable."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest

from deployments.perception.asr.backends import BackendUnavailable, DecodeOptions, load_backend
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.models import ResolvedModel
from deployments.perception.asr.transcriber import Transcriber


@dataclasses.dataclass(frozen=True)
class FakeOptions:
    initial_prompt: str | None = None
    temperatures: tuple = (0.0, 0.2)


class FakePipeline:
    def __init__(self, calls: dict, multilingual: bool) -> None:
        self.calls = calls
        self.options = FakeOptions()
        self.model = types.SimpleNamespace(
            model=types.SimpleNamespace(is_multilingual=multilingual),
            detect_language=lambda samples: ("de", 0.87, []),
        )

    def transcribe(self, samples, batch_size, language):
        self.calls["transcribe"] = {
            "batch_size": batch_size,
            "language": language,
            "options": self.options,
            "seconds": len(samples) / 16000,
        }
        return {
            "segments": [
                {"text": " Hello there.", "start": 0.03, "end": 1.2, "avg_logprob": -0.1},
                {"text": " Second part.", "start": 1.5, "end": 2.4, "avg_logprob": -0.7},
            ],
            "language": language,
        }


def fake_whisperx(multilingual: bool = False) -> tuple[types.ModuleType, dict]:
    calls: dict = {}
    module = types.ModuleType("whisperx")

    def load_model(source, **kwargs):
        calls["load_model"] = {"source": source, **kwargs}
        return FakePipeline(calls, multilingual)

    def load_align_model(**kwargs):
        calls.setdefault("load_align_model", []).append(kwargs)
        return "align-model", {"language": kwargs["language_code"]}

    def align(segments, model, metadata, samples, device):
        calls["align"] = {"model": model, "metadata": metadata, "device": device}
        aligned = []
        for s in segments:
            words = s["text"].split()
            step = (s["end"] - s["start"]) / len(words)
            aligned.append(
                {
                    "start": s["start"],
                    "end": s["end"],
                    "text": s["text"],
                    "words": [
                        {"word": w, "start": s["start"] + i * step, "score": 0.9}
                        | ({"end": s["start"] + (i + 1) * step} if i else {})
                        for i, w in enumerate(words)
                    ],
                }
            )
        return {"segments": aligned}

    def assign_word_speakers(diarized, result):
        calls["assign_word_speakers"] = diarized
        for index, segment in enumerate(result["segments"]):
            segment["speaker"] = f"SPEAKER_0{index}"
            for word in segment.get("words", []):
                word["speaker"] = segment["speaker"]
        return result

    class DiarizationPipeline:
        def __init__(self, model_name=None, token=None, device="cpu"):
            calls["diarization_init"] = {"model_name": model_name, "token": token}

        def __call__(self, samples, **bounds):
            calls["diarize"] = bounds
            return "speaker-table"

    diarize = types.ModuleType("whisperx.diarize")
    diarize.DiarizationPipeline = DiarizationPipeline
    module.load_model, module.load_align_model, module.align = load_model, load_align_model, align
    module.assign_word_speakers, module.diarize = assign_word_speakers, diarize
    return module, calls


@pytest.fixture
def whisperx_calls(monkeypatch):
    module, calls = fake_whisperx()
    monkeypatch.setitem(sys.modules, "whisperx", module)
    monkeypatch.setitem(sys.modules, "whisperx.diarize", module.diarize)
    return calls


def settings(**options) -> AsrSettings:
    return AsrSettings(backend="whisperx", backend_options={"compute_type": "int8", **options})


def backend(**options):
    from deployments.perception.asr.whisperx_backend import WhisperXBackend

    return WhisperXBackend(ResolvedModel("large-v3", "large-v3", False), settings(**options))


def test_missing_whisperx_is_a_clear_deployment_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "whisperx", None)  # import raises ImportError
    with pytest.raises(BackendUnavailable, match="pip install whisperx"):
        load_backend(AsrSettings(backend="whisperx", model="large-v3"))


def test_loads_the_pipeline_with_the_settings(whisperx_calls, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    b = backend(batch_size=4, beam_size=3, vad_method="pyannote", vad_filter=True)
    loaded = whisperx_calls["load_model"]
    assert loaded["source"] == "large-v3" and loaded["compute_type"] == "int8"
    assert loaded["asr_options"] == {"beam_size": 3}  # faster-whisper-only keys are dropped
    assert loaded["local_files_only"] is True and loaded["device"] == "cpu"
    assert b.name == "whisperx" and b.multilingual is False


def test_segments_language_and_per_request_options(whisperx_calls):
    b = backend(batch_size=4)
    result = b.transcribe(
        np.zeros(16000 * 3, dtype=np.float32), DecodeOptions(prompt="Names: Acme.", temperature=0)
    )
    call = whisperx_calls["transcribe"]
    assert call["batch_size"] == 4 and call["language"] == "en"  # English-only model
    assert call["options"].initial_prompt == "Names: Acme." and call["options"].temperatures == [0]
    assert b._pipeline.options == FakeOptions()  # restored after the request
    assert [s.text for s in result.segments] == ["Hello there.", "Second part."]
    assert result.segments[0].confidence > result.segments[1].confidence > 0
    assert result.segments[0].words is None and "align" not in whisperx_calls


def test_alignment_and_diarization(whisperx_calls):
    b = backend(align=True, diarize=True, hf_token="hf_x", min_speakers=1, max_speakers=2)
    result = b.transcribe(np.zeros(16000, dtype=np.float32), DecodeOptions(word_timestamps=True))
    assert whisperx_calls["load_align_model"][0]["language_code"] == "en"
    assert whisperx_calls["diarization_init"]["token"] == "hf_x"
    assert whisperx_calls["diarize"] == {"min_speakers": 1, "max_speakers": 2}
    first = result.segments[0]
    assert first.speaker == "SPEAKER_00" and first.confidence == pytest.approx(0.9)
    assert [w.word for w in first.words] == ["Hello", "there."]
    assert first.words[0].end == first.end  # unaligned end falls back to the segment's
    assert first.words[0].speaker == "SPEAKER_00" and first.words[1].probability == 0.9
    b.transcribe(np.zeros(16000, dtype=np.float32), DecodeOptions())
    assert len(whisperx_calls["load_align_model"]) == 1  # loaded at start, once per language


def test_alignment_model_that_cannot_load_fails_at_start(whisperx_calls):
    def refuse(**kwargs):
        raise OSError("no network")

    sys.modules["whisperx"].load_align_model = refuse
    with pytest.raises(BackendUnavailable, match=r"alignment model for 'en'.*no network"):
        backend(align=True)


def test_multilingual_model_detects_language(monkeypatch):
    module, calls = fake_whisperx(multilingual=True)
    monkeypatch.setitem(sys.modules, "whisperx", module)
    b = backend()
    result = b.transcribe(np.zeros(16000, dtype=np.float32), DecodeOptions())
    assert (result.language, result.language_probability) == ("de", 0.87)
    assert calls["transcribe"]["language"] == "de"
    forced = b.transcribe(np.zeros(16000, dtype=np.float32), DecodeOptions(language="fr"))
    assert (forced.language, forced.language_probability) == ("fr", 1.0)


def test_transcriber_runs_real_audio_through_the_backend(whisperx_calls, speech):
    transcriber = Transcriber(settings(diarize=True), backend=backend(diarize=True))
    result = transcriber.transcribe({"data": speech.read("speech.ogg")})
    assert result.backend == "whisperx" and result.text == "Hello there. Second part."
    assert whisperx_calls["transcribe"]["seconds"] == pytest.approx(result.duration_s, abs=0.001)
    assert [s.speaker for s in result.segments] == ["SPEAKER_00", "SPEAKER_01"]
