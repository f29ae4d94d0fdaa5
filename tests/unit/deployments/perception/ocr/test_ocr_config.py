import pytest
from pydantic import ValidationError

from deployments.perception.ocr.config import (
    NougatOptions,
    OcrSettings,
    RapidOcrOptions,
    TesseractOptions,
)


def test_defaults_are_the_local_cpu_profile():
    settings = OcrSettings()
    assert settings.backend == "tesseract" and settings.num_gpus == 0
    assert isinstance(settings.options(), TesseractOptions)
    options = settings.serve_options()
    assert options["max_ongoing_requests"] == 8
    assert options["ray_actor_options"] == {"num_cpus": 1.0, "num_gpus": 0.0}


def test_every_field_is_described():
    for name, field in OcrSettings.model_fields.items():
        assert field.description, name
    for model in (TesseractOptions, RapidOcrOptions, NougatOptions):
        assert all(f.description for f in model.model_fields.values()), model


@pytest.mark.parametrize(
    ("backend", "options", "model"),
    [
        ("tesseract", {"psm": 6}, TesseractOptions),
        ("rapidocr", {"threads": 2, "params": {"Det.box_thresh": 0.4}}, RapidOcrOptions),
        ("nougat", {"model": "/models/nougat-base", "device": "cuda"}, NougatOptions),
    ],
)
def test_backend_options_are_checked_against_the_backend(backend, options, model):
    settings = OcrSettings(backend=backend, backend_options=options)
    assert isinstance(settings.options(), model)


def test_unknown_backend_option_fails_naming_the_backend():
    with pytest.raises(ValidationError, match="backend_options for nougat"):
        OcrSettings(backend="nougat", backend_options={"psm": 6})


def test_unknown_field_and_bad_limits_fail():
    with pytest.raises(ValidationError):
        OcrSettings(max_pagez=3)
    with pytest.raises(ValidationError):
        OcrSettings(max_pixels=10)
    with pytest.raises(ValidationError):
        OcrSettings(backend="easyocr")
