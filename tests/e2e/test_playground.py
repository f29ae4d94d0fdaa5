"""The playground in headless Chromium against the live local app (the shared Ray Serve app).

One flow, as a user would: upload a PDF, ask, read the answer and its waterfall, open a stage,
compare with the LLM alone, list recent requests; screenshots at desktop and phone widths go
to the test artifacts (``$IFZ_TEST_ARTIFACTS`` or a temp folder; ``$IFZ_PLAYGROUND_DOCS=DIR``
also writes the README's ``playground-desktop.png`` and ``playground-phone.png`` there).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.unit.playground.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    INVOICE_LINES,
    ThreadServer,
    artifact_dir,
    invoice_pdf,
    proxy_app,
)

pytestmark = pytest.mark.e2e

STEP_MS = 240_000  # one request on the shared 2-core box: OCR, vLLM on CPU


@pytest.fixture(scope="module")
def site(running_app):
    """Where the page is: the app itself once it serves ``/``, else a same-origin proxy."""
    page = httpx.get(running_app.base_url + "/", timeout=30)
    if page.status_code == 200 and "interfaze playground" in page.text:
        yield running_app.base_url
        return
    with ThreadServer(proxy_app(running_app.base_url)) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/apt-packages.txt installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def save(page, artifacts: Path, name: str, **options) -> None:
    """A screenshot artifact; with ``$IFZ_PLAYGROUND_DOCS`` also a small copy for the docs."""
    page.screenshot(path=str(artifacts / name), **options)
    docs = os.environ.get("IFZ_PLAYGROUND_DOCS")
    if docs:
        from PIL import Image

        image = Image.open(artifacts / name).convert("RGB")
        palette = image.quantize(128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        palette.save(Path(docs) / name, optimize=True)


def test_pdf_question_trace_comparison_and_recent(browser, site, running_app, tmp_path):
    artifacts = artifact_dir(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(STEP_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site + "/")
    page.wait_for_selector("body[data-ready='true']")
    # A function, not an expression: Playwright polls an expression through eval(), which the
    # page's CSP (script-src 'self', no 'unsafe-eval') refuses.
    page.wait_for_function("() => document.querySelectorAll('#model option').length >= 2")

    # Ask: a PDF through the file picker, then the question.
    page.set_input_files(
        "#file-input",
        files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": invoice_pdf()}],
    )
    page.locator(".attachment[data-kind='pdf']").wait_for()
    page.fill("#max-tokens", "48")
    page.fill("#question", "What is the total due?")
    page.click("#send")
    turn = page.locator(".turn").last
    turn.locator(".trace .trace-id").wait_for()
    answer = turn.locator(".answer-text").inner_text()
    assert "1,231.20" in answer, answer

    # The waterfall has one row per recorded stage, in the trace's order.
    trace_id = turn.locator(".trace-id").inner_text()
    trace = httpx.get(f"{running_app.base_url}/v1/traces/{trace_id}", timeout=30).json()
    rows = turn.locator(".stage-row")
    recorded = [r.get_attribute("data-stage") for r in rows.all()][: len(trace["stages"])]
    assert recorded == [s["name"] for s in trace["stages"]]
    assert "ocr" in recorded
    facts = turn.locator(".facts").inner_text()
    assert trace["route"] in facts and f"{trace['confidence']:.2f}" in facts

    # Open the OCR stage: its summary, and its page with boxes when observations are recorded.
    ocr = turn.locator(".stage-row[data-stage='ocr']")
    ocr.click()
    assert ocr.get_attribute("aria-expanded") == "true"
    detail = turn.locator(".stage-detail")
    assert "Stage ocr" in detail.inner_text()
    assert "bytes" in detail.locator(".kv").first.inner_text()  # the stage's input summary
    if isinstance(trace.get("observations"), list):
        detail.locator("img.page-image").wait_for()
        assert detail.locator(".box").count() >= len(INVOICE_LINES) - 1
        assert detail.locator(".box.hit").count() >= 1
    else:
        assert "not recorded" in detail.inner_text()
    save(page, artifacts, "playground-desktop.png", full_page=True)

    # Compare: the same request through the pipeline, then the LLM alone.
    turn.locator("text=Compare with the LLM alone").click()
    page.locator(".compare-summary li").first.wait_for()
    cols = page.locator(".compare-col")
    assert "1,231.20" in cols.nth(0).locator(".answer-text").inner_text()
    assert cols.nth(1).locator(".answer-text").inner_text().strip()
    right = cols.nth(1).locator(".metrics")
    prompt_tokens = right.locator(
        "xpath=.//dt[normalize-space()='LLM prompt tokens']/following-sibling::dd[1]"
    ).inner_text()
    assert prompt_tokens.replace(",", "").isdigit() and int(prompt_tokens.replace(",", "")) > 0
    assert "ms" in cols.nth(0).locator(".metrics").inner_text()
    save(page, artifacts, "playground-compare.png", full_page=True)

    # Recent: the three requests of this browser/key are listed.
    page.click("#tab-recent")
    page.locator("#recent-rows tr[data-trace-id]").first.wait_for()
    listed = page.locator("#recent-rows tr[data-trace-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.traceId)"
    )
    assert trace_id in listed

    # Phone width: the same answer, no sideways scrolling.
    page.click("#tab-ask")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    turn.scroll_into_view_if_needed()
    save(page, artifacts, "playground-phone.png", full_page=True)
    context.close()
    assert not errors, errors
