"""Multi-document Kubernetes YAML: parse, dump (block scalars for multi-line strings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

K8sObject = dict[str, Any]


class _BlockDumper(yaml.SafeDumper):
    """Dumps multi-line strings (serveConfigV2, dashboards JSON) as ``|`` blocks."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_BlockDumper.add_representer(str, _str_representer)


def load_all(text: str) -> list[K8sObject]:
    """The objects of a multi-document YAML stream (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def dump(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_BlockDumper, sort_keys=False, width=100)


def dump_all(objects: Iterable[K8sObject]) -> str:
    return "---\n".join(dump(obj) for obj in objects)


def find(objects: Iterable[K8sObject], kind: str, name: str | None = None) -> K8sObject:
    """The one object of ``kind`` (and ``name``); raises ``LookupError`` otherwise."""
    found = [
        o
        for o in objects
        if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)
    ]
    if len(found) != 1:
        raise LookupError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]
