"""Server-side apply, status, watch and delete of the RayService (and chart objects).

Server-side apply (``application/apply-patch+yaml``) because the RayService CRD is too large
for the ``last-applied-configuration`` annotation of client-side apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ops.k8s.status import RayServiceStatus

GROUP, VERSION, PLURAL = "ray.io", "v1", "rayservices"
FIELD_MANAGER = "ifz"
PLURALS = {
    "RayService": "rayservices",
    "RayCluster": "rayclusters",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "ServiceAccount": "serviceaccounts",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "PodMonitor": "podmonitors",
    "ServiceMonitor": "servicemonitors",
    "PrometheusRule": "prometheusrules",
}
# Apply order: what pods reference first, the RayService last; delete in reverse.
_ORDER = ["ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service"]


class KubeError(RuntimeError):
    """A Kubernetes API call failed; the message names the object and the server's reason."""


def object_path(obj: dict[str, Any], namespace: str) -> str:
    """REST path of a namespaced object, e.g. /apis/ray.io/v1/namespaces/ns/rayservices/x."""
    api_version, kind = obj["apiVersion"], obj["kind"]
    plural = PLURALS.get(kind) or kind.lower() + "s"
    prefix = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    name = obj["metadata"]["name"]
    return f"{prefix}/namespaces/{namespace}/{plural}/{name}"


def apply_order(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def rank(obj: dict[str, Any]) -> int:
        kind = obj.get("kind", "")
        return _ORDER.index(kind) if kind in _ORDER else (len(_ORDER) + (kind == "RayService"))

    return sorted(objects, key=rank)


def load_api_client(context: str | None = None) -> tuple[client.ApiClient, str]:
    """An API client from kubeconfig (or the in-cluster service account), and its namespace."""
    try:
        config.load_kube_config(context=context)
        _, active = config.list_kube_config_contexts()
        namespace = (active or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException:
        try:
            config.load_incluster_config()
        except config.ConfigException as exc:
            raise KubeError(f"no kubeconfig and not in a cluster: {exc}") from None
        namespace = "default"
    return client.ApiClient(), namespace


class KubeClient:
    """Apply/get/delete objects and follow a RayService until it is Ready."""

    def __init__(
        self, api_client: client.ApiClient, namespace: str, field_manager: str = FIELD_MANAGER
    ) -> None:
        self.api = api_client
        self.namespace = namespace
        self.field_manager = field_manager
        self.custom = client.CustomObjectsApi(api_client)

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str | None = None,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        params = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(*params)
        response.read()
        return self.api.response_deserialize(
            response_data=response, response_types_map={"200": "object", "201": "object"}
        ).data

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply (create or update) of one namespaced object; returns the result."""
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": self.namespace}}
        query = [("fieldManager", self.field_manager), ("force", "true")]
        try:
            return self._request(
                "PATCH",
                object_path(obj, self.namespace),
                body=obj,
                query=query,
                content_type="application/apply-patch+yaml",
            )
        except ApiException as exc:
            raise KubeError(_describe(exc, obj)) from None

    def delete(self, obj: dict[str, Any]) -> bool:
        """Delete one object; False when it did not exist."""
        try:
            self._request("DELETE", object_path(obj, self.namespace))
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise KubeError(_describe(exc, obj)) from None
        return True

    def get_rayservice(self, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            ref = {"kind": "RayService", "metadata": {"name": name}}
            raise KubeError(_describe(exc, ref)) from None

    def status(self, name: str) -> RayServiceStatus:
        obj = self.get_rayservice(name)
        if obj is None:
            raise KubeError(f"RayService {self.namespace}/{name} not found")
        return RayServiceStatus.from_object(obj)

    def _watch(self, name: str, window_s: float) -> Iterator[dict[str, Any]]:
        """RayService objects from one watch request, ending after about ``window_s``."""
        w = watch.Watch()
        try:
            for event in w.stream(
                self.custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                field_selector=f"metadata.name={name}",
                timeout_seconds=max(1, int(window_s)),
                _request_timeout=window_s,
            ):
                obj = event.get("raw_object") or event.get("object")
                if isinstance(obj, dict) and obj.get("metadata", {}).get("name") == name:
                    if event.get("type") == "DELETED":
                        raise KubeError(f"RayService {self.namespace}/{name} was deleted")
                    yield obj
        except (ReadTimeoutError, ProtocolError, TimeoutError):
            return
        finally:
            w.stop()

    def wait_ready(
        self,
        name: str,
        timeout_s: float,
        on_change: Callable[[RayServiceStatus], None] | None = None,
        window_s: float = 30.0,
    ) -> RayServiceStatus:
        """Watch the RayService until it is ready; ``TimeoutError`` with its last status."""
        deadline = time.monotonic() + timeout_s
        last: RayServiceStatus | None = None

        def seen(status: RayServiceStatus) -> bool:
            nonlocal last
            if on_change and (last is None or status != last):
                on_change(status)
            last = status
            return status.ready

        if seen(self.status(name)):
            return last  # type: ignore[return-value]
        while (remaining := deadline - time.monotonic()) > 0:
            for obj in self._watch(name, min(window_s, remaining)):
                if seen(RayServiceStatus.from_object(obj)):
                    return last  # type: ignore[return-value]
                if time.monotonic() >= deadline:
                    break
        report = last.render() if last else f"RayService {name}"
        raise TimeoutError(f"not ready after {timeout_s:.0f} s:\n{report}")


def _describe(exc: ApiException, obj: dict[str, Any]) -> str:
    name = f"{obj.get('kind', '?')} {obj.get('metadata', {}).get('name', '?')}"
    reason = exc.reason or ""
    try:
        import json

        reason = json.loads(exc.body or "{}").get("message") or reason
    except ValueError:
        pass
    hint = ""
    if exc.status == 404 and obj.get("kind") in ("RayService", "PodMonitor", "PrometheusRule"):
        hint = " (is its CRD installed? RayService needs the KubeRay operator)"
    return f"{name}: HTTP {exc.status} {reason}{hint}"
