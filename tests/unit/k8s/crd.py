"""Validate objects against a CustomResourceDefinition's openAPIV3Schema (offline).

The structural schema is OpenAPI v3: ``nullable`` becomes a JSON-schema ``null`` type, and
``default``s are applied while validating, as the API server does before storing an object.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft7Validator, validators


def _openapi_to_jsonschema(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if not k.startswith("x-")}
        if node.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        out.pop("nullable", None)
        return out
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


def _with_defaults(cls: type) -> type:
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(Draft7Validator)


class CrdValidator:
    """Errors of an object against one CRD version (defaults applied to a copy)."""

    def __init__(self, crd: dict[str, Any], version: str = "v1") -> None:
        spec = crd["spec"]
        self.kind = spec["names"]["kind"]
        [entry] = [v for v in spec["versions"] if v["name"] == version]
        self.schema = _openapi_to_jsonschema(entry["schema"]["openAPIV3Schema"])
        self.validator = _DefaultingValidator(self.schema)

    def errors(self, obj: dict[str, Any]) -> list[str]:
        instance = copy.deepcopy(obj)
        return [
            f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in self.validator.iter_errors(instance)
        ]

    def defaulted(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The object with the CRD's defaults filled in."""
        instance = copy.deepcopy(obj)
        for _ in self.validator.iter_errors(instance):
            pass
        return instance
