"""The Retry-After shim adds Serve's backpressure_config until the schema has it."""

from __future__ import annotations

from deployments.common.settings import DeploymentSettings


def test_shim_adds_backpressure_config(monkeypatch):
    from loadtest.backpressure import install_backpressure_shim

    monkeypatch.setattr(DeploymentSettings, "serve_options", DeploymentSettings.serve_options)
    installed = install_backpressure_shim(2.0)
    options = DeploymentSettings().serve_options()
    if not installed:  # the schema carries backpressure_config itself now
        assert "backpressure_retry_after_s" in DeploymentSettings.model_fields
        assert options["backpressure_config"]["status_code"] == 503
        return
    config = options["backpressure_config"]
    assert config.status_code == 503 and config.retry_after_s == 2.0
    assert install_backpressure_shim(5.0) is True  # idempotent: not wrapped twice
    assert DeploymentSettings().serve_options()["backpressure_config"].retry_after_s == 2.0
