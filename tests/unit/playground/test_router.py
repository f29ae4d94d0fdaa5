"""The playground router without Ray: the page, its assets (all local), and PDF page rendering."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from serve.api.errors import install_error_handlers
from serve.playground.router import ASSETS, STATIC_DIR, page_html, router

EXTERNAL = re.compile(
    r"(?i)\b(?:https?|wss?|ftp):/{2}|(?:src|href|action)\s*=\s*[\"']//|url\(\s*[\"']?//"
)
JS_IMPORT = re.compile(
    r"""(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)


def make_app(gateway=None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    if gateway is not None:
        app.state.gateway = gateway
    return app


@pytest.fixture
def client():
    with TestClient(make_app()) as http:
        yield http


def pdf(pages: list[tuple[float, float]]) -> bytes:
    """A PDF with one page per (width, height) in points, each with a line of text."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    for index, size in enumerate(pages, start=1):
        doc.setPageSize(size)
        doc.drawString(40, size[1] - 60, f"Page {index}: Total due $1,234.50")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


def test_page_is_html_with_a_same_origin_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "connect-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert '<script type="module" src="/playground/static/js/main.js">' in response.text
    assert '<html lang="en" data-root="">' in response.text


def test_every_referenced_asset_is_served_with_its_type(client):
    html = client.get("/").text
    refs = re.findall(r'(?:src|href)="(/playground/static/[^"]+)"', html)
    assert refs, "the page loads its CSS and JS from /playground/static/"
    expected = {".js": "text/javascript", ".css": "text/css"}
    for ref in refs:
        response = client.get(ref)
        assert response.status_code == 200, ref
        assert response.headers["content-type"].startswith(expected[Path(ref).suffix]), ref
        assert response.headers["x-content-type-options"] == "nosniff"


def test_under_a_route_prefix_the_page_points_into_it():
    with TestClient(make_app(), root_path="/api") as http:
        html = http.get("/api/").text
    assert 'data-root="/api"' in html
    assert 'src="/api/playground/static/js/main.js"' in html
    assert 'href="/api/playground/static/css/playground.css"' in html
    assert "__ROOT__" not in html
    # A root path that is not a plain path is not written into the page.
    assert 'data-root=""' in page_html('/x"><script>alert(1)</script>')


def test_js_modules_import_only_local_files_and_all_are_used():
    reachable: set[str] = set()
    pending = ["js/main.js"]
    while pending:
        name = pending.pop()
        if name in reachable:
            continue
        assert name in ASSETS, f"{name} is imported but not shipped"
        reachable.add(name)
        source = ASSETS[name].read_text()
        for groups in JS_IMPORT.findall(source):
            target = next(g for g in groups if g)
            assert target.startswith("./"), f"{name} imports {target!r}: only relative modules"
            pending.append((Path(name).parent / target[2:]).as_posix())
    shipped_js = {name for name in ASSETS if name.endswith(".js")}
    assert shipped_js == reachable, f"unused modules: {shipped_js - reachable}"


def test_no_external_urls_anywhere_in_the_page():
    files = [STATIC_DIR / "index.html", *ASSETS.values()]
    assert any(path.suffix == ".css" for path in files) and any(p.suffix == ".js" for p in files)
    for path in files:
        text = path.read_text()
        assert not EXTERNAL.search(text), f"{path.name}: {EXTERNAL.search(text).group(0)!r}"
        assert "@import" not in text, path.name


def test_unknown_or_escaping_paths_are_404_in_the_openai_shape(client):
    for path in (
        "/playground/static/nothing.js",
        "/playground/static/%2e%2e/router.py",
        "/playground/static/..%2f..%2fpyproject.toml",
        "/playground/static/index.html/x",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_renders_the_requested_page_at_the_requested_width(client):
    from PIL import Image

    body = pdf([(612, 792), (792, 612)])
    response = client.post(
        "/playground/pdf/page?page=2&width=600",
        content=body,
        headers={"content-type": "application/pdf"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-page-count"] == "2"
    image = Image.open(io.BytesIO(response.content))
    assert image.width == 600
    assert abs(image.height - 600 * 612 / 792) <= 1  # landscape page 2, aspect kept
    # Text was drawn: the page is not blank.
    assert image.convert("L").getextrema()[0] < 100


@pytest.mark.parametrize(
    ("query", "body", "status", "code"),
    [
        ("page=3", None, 400, "page_out_of_range"),
        ("page=0", None, 400, None),
        ("width=5000", None, 400, None),
        ("page=1", b"GIF89a not a pdf", 415, "unsupported_media_type"),
        ("page=1", b"%PDF-1.4\nthis is not really a pdf", 400, "malformed_pdf"),
    ],
)
def test_bad_render_requests_get_openai_errors(client, query, body, status, code):
    response = client.post(f"/playground/pdf/page?{query}", content=body or pdf([(200, 200)]))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code


def test_render_is_limited_in_size(client, monkeypatch):
    import serve.playground.router as module

    monkeypatch.setattr(module, "MAX_PDF_BYTES", 1000)
    response = client.post("/playground/pdf/page", content=b"%PDF-" + b"0" * 2000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_render_needs_a_key_when_the_gateway_checks_keys(tmp_path):
    from serve.gateway.config import GatewaySettings
    from serve.gateway.gateway import Gateway
    from serve.gateway.keys import KeyStore
    from tests.unit.gateway.conftest import HashingEmbedder

    gateway = Gateway.from_settings(
        GatewaySettings.model_validate({"auth": {"enabled": True}}),
        data_dir=tmp_path,
        replica_id="t",
        embedder=HashingEmbedder(),
    )
    key = KeyStore(tmp_path / "gateway" / "keys.db").create("t")[0]
    body = pdf([(200, 200)])
    with TestClient(make_app(gateway)) as http:
        assert http.get("/").status_code == 200  # the page itself is public
        refused = http.post("/playground/pdf/page", content=body)
        assert refused.status_code == 401
        allowed = http.post(
            "/playground/pdf/page", content=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert allowed.status_code == 200, allowed.text
