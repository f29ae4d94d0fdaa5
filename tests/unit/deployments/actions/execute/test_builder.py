"""The builder turns the plain class into a Ray Serve Application with the config's options."""

from __future__ import annotations

from deployments.actions.execute.builder import EXECUTE_DEPLOYMENT_NAME, build_execute_deployment
from deployments.actions.execute.config import ExecuteSettings


def test_builder_binds_settings_and_serve_options():
    settings = ExecuteSettings(num_cpus=0.5, max_ongoing_requests=8, timeout_s=5)
    app = build_execute_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == EXECUTE_DEPLOYMENT_NAME == "execute"
    assert deployment.max_ongoing_requests == 8
    assert deployment.ray_actor_options["num_cpus"] == 0.5
    (bound_settings,) = deployment.init_args
    assert ExecuteSettings.model_validate(bound_settings) == settings
