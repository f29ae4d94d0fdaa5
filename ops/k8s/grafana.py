"""Push the Prometheus datasource and the dashboards to Grafana's HTTP API (grafana-client)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaException

from ops.k8s.dashboards import DATASOURCE_VAR, DEFAULT_PROMETHEUS_URL

__all__ = ["DEFAULT_PROMETHEUS_URL", "GrafanaError", "GrafanaPusher", "parse_basic_auth"]


class GrafanaError(RuntimeError):
    """Grafana refused or could not be reached; the message names the step."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def parse_basic_auth(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise ValueError("--basic-auth must look like USER:PASSWORD")
    return user, password


class GrafanaPusher:
    """Creates or updates the datasource, a folder and dashboards; idempotent."""

    def __init__(self, api: GrafanaApi, log: Callable[[str], None] = print) -> None:
        self.api = api
        self.log = log

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        api_key: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        timeout: float = 15.0,
        log: Callable[[str], None] = print,
    ) -> GrafanaPusher:
        credential: str | tuple[str, str] | None = api_key or basic_auth
        return cls(GrafanaApi.from_url(url, credential=credential, timeout=timeout), log)

    def _step(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except GrafanaException as exc:
            raise GrafanaError(f"{what}: {exc}", getattr(exc, "status_code", None)) from None
        except Exception as exc:  # connection errors come from niquests
            raise GrafanaError(f"{what}: {type(exc).__name__}: {exc}") from None

    def _exists(self, what: str, call: Callable[[], Any]) -> bool:
        """True if found, False on 404; other failures raise :class:`GrafanaError`."""
        try:
            self._step(what, call)
        except GrafanaError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def ensure_datasource(self, name: str, uid: str, prometheus_url: str) -> str:
        """Create or update the Prometheus datasource; returns its uid."""
        payload = {
            "name": name,
            "uid": uid,
            "type": "prometheus",
            "access": "proxy",
            "url": prometheus_url,
            "isDefault": False,
            "jsonData": {"httpMethod": "POST", "timeInterval": "15s"},
        }
        ds = self.api.datasource
        if not self._exists(f"datasource {name}", lambda: ds.get_datasource_by_uid(uid)):
            self._step(f"create datasource {name}", lambda: ds.create_datasource(payload))
            self.log(f"datasource {name!r} created ({prometheus_url})")
            return uid
        self._step(f"update datasource {name}", lambda: ds.update_datasource_by_uid(uid, payload))
        self.log(f"datasource {name!r} updated ({prometheus_url})")
        return uid

    def datasource_uid(self, name: str) -> str:
        found = self._step(
            f"find datasource {name}", lambda: self.api.datasource.get_datasource_by_name(name)
        )
        return found["uid"]

    def ensure_folder(self, title: str, uid: str) -> str:
        if not self._exists(f"folder {title}", lambda: self.api.folder.get_folder(uid)):
            self._step(f"create folder {title}", lambda: self.api.folder.create_folder(title, uid))
            self.log(f"folder {title!r} created")
        return uid

    def push_dashboard(
        self, model: dict[str, Any], *, folder_uid: str, datasource_uid: str, datasource_name: str
    ) -> str:
        """Create or overwrite one dashboard (by uid); returns its URL path."""
        dashboard = copy.deepcopy(model)
        dashboard["id"] = None
        for var in dashboard.get("templating", {}).get("list", []):
            if var.get("name") == DATASOURCE_VAR:
                var["current"] = {"text": datasource_name, "value": datasource_uid}
        payload = {
            "dashboard": dashboard,
            "folderUid": folder_uid,
            "overwrite": True,
            "message": "ifz dashboards push",
        }
        title = dashboard.get("title", dashboard.get("uid"))
        result = self._step(
            f"dashboard {title}", lambda: self.api.dashboard.update_dashboard(payload)
        )
        url = (result or {}).get("url", "")
        self.log(f"dashboard {title!r} pushed: {url}")
        return url

    def push(
        self,
        dashboards: list[dict[str, Any]],
        *,
        prometheus_url: str | None,
        datasource_name: str = "interfaze-prometheus",
        datasource_uid: str = "interfaze-prometheus",
        folder: str = "Interfaze",
        folder_uid: str = "interfaze",
    ) -> list[str]:
        """The datasource (unless ``prometheus_url`` is None: reuse it by name), then all."""
        if prometheus_url:
            uid = self.ensure_datasource(datasource_name, datasource_uid, prometheus_url)
        else:
            uid = self.datasource_uid(datasource_name)
        folder_uid = self.ensure_folder(folder, folder_uid)
        return [
            self.push_dashboard(
                d, folder_uid=folder_uid, datasource_uid=uid, datasource_name=datasource_name
            )
            for d in dashboards
        ]
