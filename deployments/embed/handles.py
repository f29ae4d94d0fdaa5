"""Calling deployments through Ray DeploymentHandles or plain objects (unit tests, no Ray).

``LocalHandle(obj)`` wraps a plain deployment object so ``handle.method.remote(...)`` returns an
awaitable, and ``handle.options(stream=True).method.remote(...)`` an async iterator — the same
shapes a Ray Serve ``DeploymentHandle`` gives. :func:`call` accepts either kind, or a bare object
with async methods.
"""

from __future__ import annotations

import inspect
from typing import Any


class _LocalMethod:
    def __init__(self, target: Any, name: str, stream: bool) -> None:
        self._fn = getattr(target, name)
        self._stream = stream

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        result = self._fn(*args, **kwargs)
        if self._stream or inspect.isasyncgen(result):
            return result
        if inspect.isawaitable(result):
            return result
        return _ready(result)


async def _ready(value: Any) -> Any:
    return value


class LocalHandle:
    """DeploymentHandle look-alike around a plain object (in-process, same event loop)."""

    def __init__(self, target: Any, *, stream: bool = False) -> None:
        self._target = target
        self._stream = stream

    def options(self, *, stream: bool = False, **_: Any) -> LocalHandle:
        return LocalHandle(self._target, stream=stream)

    def __getattr__(self, name: str) -> _LocalMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        return _LocalMethod(self._target, name, self._stream)


def _is_handle(handle: Any) -> bool:
    return isinstance(handle, LocalHandle) or type(handle).__name__ == "DeploymentHandle"


async def call(handle: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Await ``method`` on a DeploymentHandle, a LocalHandle or a plain object."""
    if _is_handle(handle):
        return await getattr(handle, method).remote(*args, **kwargs)
    result = getattr(handle, method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result
