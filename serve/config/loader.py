"""Load, merge and validate configuration; errors name the offending field."""

from __future__ import annotations

import copy
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from serve.config.schema import AppConfig

PROFILE_ENV = "IFZ_PROFILE"
BUILTIN_PROFILES = ("local", "gpu")


class ConfigError(ValueError):
    """Raised when configuration cannot be read or does not validate."""


def _profiles_dir() -> Path:
    return Path(str(resources.files("serve.config").joinpath("profiles")))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; nested mappings merge, other values replace."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["llm.num_cpus=2", "port=9000"]`` into a nested dict (values parsed as YAML)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {pair!r} must look like dotted.key=value")
        node = result
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(raw) if raw else ""
    return result


def _resolve_routing(raw: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    routing = raw.get("routing")
    if isinstance(routing, str):
        path = Path(routing)
        if not path.is_absolute():
            path = base_dir / path
        raw = {**raw, "routing": _read_yaml(path)}
    return raw


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the field by its dotted path."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{loc}: {err['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def validate(raw: dict[str, Any]) -> AppConfig:
    """Validate a raw mapping into an :class:`AppConfig`, or raise :class:`ConfigError`."""
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def load_raw(profile: str | None = None) -> dict[str, Any]:
    """The unvalidated mapping of a built-in profile name or a YAML file path."""
    profile = profile or os.environ.get(PROFILE_ENV) or "local"
    if profile in BUILTIN_PROFILES:
        path = _profiles_dir() / f"{profile}.yaml"
    else:
        path = Path(profile)
    raw = _read_yaml(path)
    extends = raw.pop("extends", None)
    if extends:
        raw = deep_merge(load_raw(extends), raw)
    raw = _resolve_routing(raw, path.parent)
    raw.setdefault("profile", profile if profile in BUILTIN_PROFILES else path.stem)
    return raw


def load_config(
    profile: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> AppConfig:
    """Load a profile (name or file), apply overrides, and validate."""
    raw = load_raw(profile)
    if overrides:
        raw = deep_merge(raw, overrides)
    return validate(raw)


def config_from_args(args: dict[str, Any] | None) -> AppConfig:
    """Config for ``build_app(args)``: a full config, or ``{profile, overrides}``.

    A Serve config's ``args`` carry either the whole validated config (what ``ifz config
    render`` writes, and what Helm renders), or just a profile name plus overrides.
    """
    args = dict(args or {})
    if "routing" in args and isinstance(args["routing"], dict):
        return validate(args)
    profile = args.pop("profile", None)
    overrides = args.pop("overrides", None) or {}
    if args:
        overrides = deep_merge(args, overrides)
    return load_config(profile, overrides)
