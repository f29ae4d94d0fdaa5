"""The per-clip ASR cost that component_eval reports."""

from __future__ import annotations

from loadtest.eval.component_eval import asr_cost


def test_asr_cost_per_clip_means_and_second_reading_share() -> None:
    clips = [
        {
            "duration_s": 20.0,
            "timings_ms": {"transcribe": 1000.0},
            "second_reading": {"transcribe_ms": 3000.0},
            "eval_cpu_s": 6.0,
        },
        {"duration_s": 18.0, "timings_ms": {"transcribe": 1400.0}, "second_reading": None},
    ]
    cost = asr_cost(clips)
    assert cost["clips"] == 2
    assert cost["audio_s"] == 19.0
    assert cost["first_ms"] == 1200.0
    assert cost["second_share"] == 0.5
    assert cost["second_ms"] == 3000.0  # over the clips read twice only
    assert cost["cpu_s"] == 6.0 and cost["cpu_clips"] == 1  # cached clips carry no CPU time
    assert cost["peak_rss_mb"] > 0


def test_asr_cost_without_clips_is_empty() -> None:
    assert asr_cost([]) == {}
