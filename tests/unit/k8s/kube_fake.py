"""kmock's in-memory Kubernetes API on 127.0.0.1, run in a background thread for sync clients.

kmock emulates CRUD, status patches and watches but not server-side apply; a PATCH with
``application/apply-patch+yaml`` on a missing object creates it here, as a real API server does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import kmock
from kubernetes import client


class ApplyingEmulator(kmock.KubernetesEmulator):
    """KubernetesEmulator plus create-on-apply."""

    async def _handle(self, request: kmock.Request) -> Any:
        content_type = request.headers.get("Content-Type", "")
        if (
            request.resource is not None
            and request.method == kmock.method.PATCH
            and content_type.startswith("application/apply-patch")
            and request.name is not None
            and not request.subresource
        ):
            key = (request.resource, request.namespace, request.name)
            async with self._lock:
                if key not in self.objects or self.objects[key].deleted:
                    self.objects[key] = {}
        return await super()._handle(request)


class FakeKube:
    """A running emulator: ``url`` for clients, ``api_client()`` for the kubernetes client."""

    def __init__(self, emulator: ApplyingEmulator, url: str, loop: asyncio.AbstractEventLoop):
        self.emulator = emulator
        self.url = url
        self.loop = loop

    def declare(self, resource: str, kind: str) -> None:
        """Serve discovery for ``group/version/plural`` (what helm and kubectl look up)."""
        self.emulator.resources[resource] = kmock.ResourceInfo(
            kind=kind, namespaced=True, verbs={"get", "list", "watch", "create", "patch"}
        )

    def kubeconfig(self, path: str, namespace: str = "default") -> str:
        """Write a kubeconfig for the emulator (no credentials) and return its path."""
        with open(path, "w") as fh:
            fh.write(
                "apiVersion: v1\nkind: Config\n"
                f'clusters: [{{name: fake, cluster: {{server: "{self.url}"}}}}]\n'
                "users: [{name: fake, user: {}}]\n"
                f"contexts: [{{name: fake, context: {{cluster: fake, user: fake, "
                f"namespace: {namespace}}}}}]\ncurrent-context: fake\n"
            )
        return path

    def api_client(self) -> client.ApiClient:
        configuration = client.Configuration(host=self.url)
        return client.ApiClient(configuration)

    def requests(self, method: str | None = None) -> list[kmock.Request]:
        """Requests served so far (optionally of one HTTP method)."""
        found = list(self.emulator)
        return [r for r in found if method is None or r.method == kmock.method(method)]


@contextmanager
def fake_kube() -> Iterator[FakeKube]:
    """Start the emulator on a free loopback port; stop it on exit."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        async with ApplyingEmulator() as emulator, kmock.Server(emulator) as server:
            holder["fake"] = FakeKube(
                emulator, str(server.url).rstrip("/"), asyncio.get_running_loop()
            )
            ready.set()
            await stop.wait()

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # surfaced to the caller below
            holder["error"] = exc
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="kmock", daemon=True)
    thread.start()
    if not ready.wait(15) or "error" in holder:
        raise RuntimeError(f"kmock did not start: {holder.get('error')}")
    try:
        yield holder["fake"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(15)
