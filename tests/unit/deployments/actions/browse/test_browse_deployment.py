"""Settings, the builder and the deployment class (called directly, no Ray cluster)."""

from __future__ import annotations

import ipaddress

import pytest
import pytest_asyncio
from pydantic import ValidationError

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.deployment import BrowseDeployment
from deployments.actions.browse.errors import ForbiddenDestination
from deployments.actions.browse.isolation import IsolationUnavailable
from deployments.actions.browse.netjail import JailUnavailable, NetJail
from deployments.actions.browse.protocol import PageResult

session_loop = pytest.mark.asyncio(loop_scope="session")


def test_defaults_refuse_private_destinations():
    policy = BrowseSettings().guard_policy()
    assert policy.allow_cidrs == () and policy.allow_hosts == frozenset()
    assert policy.allowed_ports == frozenset({80, 443, 8080, 8443})


def test_allow_lists_become_the_guard_policy():
    settings = BrowseSettings(
        allow_hosts=["127.0.0.1", "Intranet.Example"], allow_cidrs=["10.0.0.0/8"]
    )
    policy = settings.guard_policy()
    assert ipaddress.ip_network("127.0.0.1/32") in policy.allow_cidrs
    assert ipaddress.ip_network("10.0.0.0/8") in policy.allow_cidrs
    assert policy.allow_hosts == frozenset({"intranet.example"})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"allow_cidrs": ["10.0.0.0/33"]}, "allow_cidrs"),
        ({"allowed_ports": [0]}, "allowed_ports"),
        ({"block_resource_types": ["document"]}, "document"),
        ({"block_resource_types": ["pictures"]}, "unknown resource types"),
        ({"allow_schemes": ["file"]}, "allow_schemes"),
        ({"navigation_timeout_s": 90}, "max_timeout_s"),
        ({"max_redirects": 50}, "max_redirects"),
        ({"page_pool_sise": 2}, "page_pool_sise"),
    ],
)
def test_invalid_settings_name_the_field(override, message):
    with pytest.raises(ValidationError, match=message):
        BrowseSettings(**override)


def test_every_field_is_described():
    missing = [name for name, f in BrowseSettings.model_fields.items() if not f.description]
    assert missing == []


def test_builder_binds_the_deployment_with_its_options():
    from deployments.actions.browse.builder import build_browse_deployment

    settings = BrowseSettings(num_cpus=0.5, max_ongoing_requests=8, page_pool_size=3)
    app = build_browse_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == "browse"
    assert deployment.ray_actor_options == {"num_cpus": 0.5, "num_gpus": 0.0}
    assert deployment.max_ongoing_requests == 8
    assert deployment.init_args == (settings.model_dump(mode="json"),)
    assert BrowseSettings.model_validate(deployment.init_args[0]) == settings


@pytest_asyncio.fixture(loop_scope="session")
async def http_deployment():
    deployment = BrowseDeployment(
        BrowseSettings(backend="http", allow_hosts=["127.0.0.1"]).model_dump(mode="json")
    )
    yield deployment
    await deployment.shutdown()


@session_loop
async def test_browse_returns_the_page_result_as_json(http_deployment, site):
    result = await http_deployment.browse({"url": site.url("/static")})
    assert isinstance(result["fetched_at"], str)
    page = PageResult.model_validate(result)
    assert page.renderer == "http" and page.title == "Static"
    await http_deployment.check_health()  # no browser on the http backend: healthy


@session_loop
async def test_the_http_backend_has_no_browser_to_isolate(http_deployment):
    report = await http_deployment.describe()
    assert report["renderer"] == "http" and report["strength"] == "n/a"


def test_a_host_without_network_namespaces_fails_at_start(monkeypatch):
    def no_namespace(cls):
        raise JailUnavailable("unshare: unshare failed: Operation not permitted")

    monkeypatch.setattr(NetJail, "create", classmethod(no_namespace))
    with pytest.raises(IsolationUnavailable, match="network_isolation"):
        BrowseDeployment(BrowseSettings().model_dump(mode="json"))
    fallback = BrowseDeployment(
        BrowseSettings(network_isolation="preferred").model_dump(mode="json")
    )
    report = fallback.service.isolation.report()
    assert report.network == "host" and report.strength == "weak"
    assert "Operation not permitted" in report.missing["network_namespace"]
    fallback.service.isolation.close()
    fallback._closed = True


@session_loop
async def test_errors_are_input_rejected(http_deployment):
    with pytest.raises(ForbiddenDestination) as info:
        await http_deployment.browse({"url": "http://169.254.169.254/latest/meta-data/"})
    assert info.value.status == 403 and info.value.code == "metadata_endpoint"


@session_loop
async def test_chromium_starts_at_the_first_health_check_and_shuts_down(site):
    deployment = BrowseDeployment(
        BrowseSettings(allow_hosts=["127.0.0.1"], page_pool_size=1).model_dump(mode="json")
    )
    assert not deployment.service.browsers.started  # constructing launches nothing
    await deployment.check_health()  # the first health check warms the browser up
    assert deployment.service.browsers.started
    report = await deployment.describe()
    assert report["network"] == "namespace" and report["strength"] == "strong", report
    assert 0 not in report["process_uids"] and report["process_uids"]
    result = await deployment.browse({"url": site.url("/js")})
    assert result["renderer"] == "chromium" and "Quarterly report" in result["text"]
    assert deployment.service.browsers.connected
    await deployment.shutdown()
    assert not deployment.service.browsers.started
    deployment.__del__()  # after shutdown: nothing left to do, no error
