"""`ifz dashboards push` against a small fake Grafana HTTP API on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ops.cli.main import main
from ops.k8s.dashboards import all_dashboards
from ops.k8s.grafana import GrafanaError, GrafanaPusher


class FakeGrafana:
    """Just enough of /api: datasources, folders, dashboards; records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.datasources: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.fail_dashboards = False

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "datasources", "uid"] and len(parts) == 4:
            uid = parts[3]
            if method == "GET":
                found = self.datasources.get(uid)
                return (200, found) if found else (404, {"message": "Data source not found"})
            if method == "PUT":
                self.datasources[uid] = body
                return 200, {"message": "Datasource updated", "datasource": body}
        if parts[:3] == ["api", "datasources", "name"] and method == "GET":
            found = [d for d in self.datasources.values() if d["name"] == parts[3]]
            return (200, found[0]) if found else (404, {"message": "Data source not found"})
        if parts == ["api", "datasources"] and method == "POST":
            self.datasources[body["uid"]] = body
            return 200, {"message": "Datasource added", "id": 1, "datasource": body}
        if parts[:2] == ["api", "folders"] and len(parts) == 3 and method == "GET":
            found = self.folders.get(parts[2])
            return (200, found) if found else (404, {"message": "folder not found"})
        if parts == ["api", "folders"] and method == "POST":
            self.folders[body["uid"]] = body
            return 200, {"uid": body["uid"], "title": body["title"]}
        if parts == ["api", "dashboards", "db"] and method == "POST":
            if self.fail_dashboards:
                return 500, {"message": "database is locked"}
            uid = body["dashboard"]["uid"]
            self.dashboards[uid] = body
            return 200, {"status": "success", "uid": uid, "url": f"/d/{uid}/x", "version": 1}
        return 404, {"message": f"no route {method} {path}"}


@pytest.fixture()
def grafana() -> Iterator[tuple[FakeGrafana, str]]:
    fake = FakeGrafana()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "body": body,
                }
            )
            status, payload = fake.handle(self.command, self.path.split("?")[0], body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_push_creates_datasource_folder_and_dashboards(grafana):
    fake, url = grafana
    rc = main(
        [
            "dashboards",
            "push",
            "--grafana-url",
            url,
            "--api-key",
            "glsa_token",
            "--prometheus-url",
            "http://prometheus.monitoring:9090",
        ]
    )
    assert rc == 0
    assert {r["auth"] for r in fake.requests} == {"Bearer glsa_token"}
    [datasource] = fake.datasources.values()
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus.monitoring:9090"
    assert fake.folders["interfaze"]["title"] == "Interfaze"
    [dashboard] = all_dashboards()
    pushed = fake.dashboards[dashboard.uid]
    assert pushed["overwrite"] is True and pushed["folderUid"] == "interfaze"
    assert pushed["dashboard"]["panels"] == dashboard.to_json()["panels"]
    assert pushed["dashboard"]["id"] is None
    [var] = pushed["dashboard"]["templating"]["list"]
    assert var["current"] == {"text": "interfaze-prometheus", "value": datasource["uid"]}


def test_second_push_updates_with_basic_auth(grafana):
    fake, url = grafana
    args = ["dashboards", "push", "--grafana-url", url, "--basic-auth", "admin:s3cret"]
    assert main(args) == 0
    fake.requests.clear()
    assert main(args) == 0
    calls = [(r["method"], r["path"]) for r in fake.requests]
    assert ("PUT", "/api/datasources/uid/interfaze-prometheus") in calls
    assert ("POST", "/api/datasources") not in calls
    assert ("POST", "/api/folders") not in calls
    expected = "Basic " + base64.b64encode(b"admin:s3cret").decode()
    assert {r["auth"] for r in fake.requests} == {expected}


def test_existing_datasource_by_name(grafana):
    fake, url = grafana
    fake.datasources["abc"] = {"name": "prom", "uid": "abc", "type": "prometheus"}
    assert main(["dashboards", "push", "--grafana-url", url, "--no-datasource",
                 "--datasource-name", "prom"]) == 0  # fmt: skip
    pushed = next(iter(fake.dashboards.values()))
    assert pushed["dashboard"]["templating"]["list"][0]["current"]["value"] == "abc"
    assert not [r for r in fake.requests if r["path"] == "/api/datasources"]


def test_errors_name_the_step(grafana, capsys):
    fake, url = grafana
    fake.fail_dashboards = True
    assert main(["dashboards", "push", "--grafana-url", url]) == 1
    assert "database is locked" in capsys.readouterr().err
    pusher = GrafanaPusher.connect(url, log=lambda _: None)
    with pytest.raises(GrafanaError, match="find datasource nope"):
        pusher.push([], prometheus_url=None, datasource_name="nope")


def test_unreachable_grafana(capsys):
    assert main(["dashboards", "push", "--grafana-url", "http://127.0.0.1:9"]) == 1
    assert "grafana" in capsys.readouterr().err


def test_bad_basic_auth(capsys):
    assert main(["dashboards", "push", "--grafana-url", "http://x", "--basic-auth", "nopw"]) == 2


def test_export(tmp_path):
    assert main(["dashboards", "export", "-o", str(tmp_path)]) == 0
    [dashboard] = all_dashboards()
    assert json.loads((tmp_path / f"{dashboard.uid}.json").read_text()) == dashboard.to_json()
