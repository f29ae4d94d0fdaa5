"""Deployment handles as this replica's Ray Serve would make them.

Handles bound into the router are built, and pickled with their options, by whichever process
builds the application. If that process imported Ray Serve before its environment selected
the throughput-optimised mode, every handle keeps the actor-call transport although the
cluster serves gRPC. The router re-derives the transport from its own Serve constants, which
its replica read from the cluster's environment.
"""

from __future__ import annotations

from typing import Any


def grpc_handles() -> bool | None:
    """Whether this process's Ray Serve sends handle calls over gRPC (None: no Ray Serve)."""
    try:
        from ray.serve._private.constants import RAY_SERVE_USE_GRPC_BY_DEFAULT
    except ImportError:
        return None
    return bool(RAY_SERVE_USE_GRPC_BY_DEFAULT)


def with_replica_transport(handle: Any, grpc: bool | None = None) -> Any:
    """``handle`` with the transport of this process's Serve mode; anything that is not a
    DeploymentHandle (a unit test's fake, None) is returned as it is."""
    try:
        from ray.serve.handle import DeploymentHandle
    except ImportError:
        return handle
    if not isinstance(handle, DeploymentHandle):
        return handle
    grpc = grpc_handles() if grpc is None else grpc
    return handle if grpc is None else handle.options(_by_reference=not grpc)
