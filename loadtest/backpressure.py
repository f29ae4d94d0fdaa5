"""Retry-After on Ray Serve's own 503s, until the config schema carries it.

When a deployment's ``max_queued_requests`` is exceeded, Ray Serve 2.60 answers
``503 text/plain "Request dropped due to backpressure (...)"`` **without** ``Retry-After``
unless the deployment has ``backpressure_config=BackpressureConfig(retry_after_s=...)``.
:class:`deployments.common.settings.DeploymentSettings` does not expose that option yet, so
load runs and the spike test can install this shim in *their own* process: every deployment's serve
options then carry a ``backpressure_config``. It does nothing once the schema has the field.
"""

from __future__ import annotations

from typing import Any


def install_backpressure_shim(retry_after_s: float, status_code: int = 503) -> bool:
    """Add ``backpressure_config`` to every deployment's serve options; False if not needed."""
    from ray.serve.config import BackpressureConfig

    from deployments.common.settings import DeploymentSettings

    if "backpressure_retry_after_s" in DeploymentSettings.model_fields:  # native now
        return False
    if getattr(DeploymentSettings.serve_options, "_ifz_backpressure_shim", False):
        return True
    original = DeploymentSettings.serve_options

    def serve_options(self: DeploymentSettings) -> dict[str, Any]:
        options = original(self)
        options.setdefault(
            "backpressure_config",
            BackpressureConfig(status_code=status_code, retry_after_s=retry_after_s),
        )
        return options

    serve_options._ifz_backpressure_shim = True  # type: ignore[attr-defined]
    DeploymentSettings.serve_options = serve_options  # type: ignore[method-assign]
    return True
