"""The HTTP eval starts the local app through the CLI's runner (ops.cli.serve_cmd)."""

from loadtest.eval import run


def test_start_app_deploys_the_local_profile_with_browse_on_loopback(monkeypatch):
    from ops.cli import serve_cmd

    seen = {}

    def fake_run_app(config, *, temp_dir=None, log=print, **_):
        seen["config"], seen["temp_dir"] = config, temp_dir
        return "http://127.0.0.1:8123"

    monkeypatch.setattr(serve_cmd, "run_app", fake_run_app)
    base_url, (stop, config) = run.start_app(["127.0.0.1"])
    assert base_url == "http://127.0.0.1:8123/v1" and stop is serve_cmd.stop_app
    assert config is seen["config"] and config.profile == "local"
    assert config.actions.browse.allow_hosts == ["127.0.0.1"]
