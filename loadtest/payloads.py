"""Request bodies per category, generated once from the evaluation-set builders and cached.

    .venv/bin/python -m loadtest.payloads            # build (or reuse) the cache, print sizes

Bodies are stored as JSON text so the load generator sends ready bytes. URL requests hold the
placeholder ``{URL_BASE}``; :func:`resolve_urls` fills in a page server the target can reach,
and without one the ``url`` category is dropped.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.settings import CATEGORIES, LOADTEST_DIR, PayloadSettings

FORMAT_VERSION = 1
URL_PLACEHOLDER = "{URL_BASE}"
CACHE_DIR = LOADTEST_DIR.parent / ".data" / "loadtest"

Payloads = dict[str, list[str]]


def _bodies(cases: list[Any], settings: PayloadSettings, limit: int) -> list[str]:
    return [
        json.dumps(
            {"model": settings.model, "messages": case.messages, "max_tokens": settings.max_tokens},
            separators=(",", ":"),
        )
        for case in cases[:limit]
    ]


def _one_per_group(cases: list[Any], key: Callable[[Any], str]) -> list[Any]:
    """The first case of each group (e.g. one question per document), groups in order."""
    seen: dict[str, Any] = {}
    for case in cases:
        seen.setdefault(key(case), case)
    return list(seen.values())


def build_payloads(settings: PayloadSettings, categories: tuple[str, ...] = CATEGORIES) -> Payloads:
    """Generate ``settings.variants`` bodies for each category (seeded, deterministic)."""
    from loadtest.eval import cases as ev
    from loadtest.eval.webpages import make_pages

    n = settings.variants
    rng = random.Random(settings.seed)
    out: Payloads = {}
    doc_of = lambda c: c.id.split("-")[1]  # noqa: E731 - "pdf-<doc>-<field>"
    if "pdf" in categories or "scan" in categories:
        invoices = ev.invoice_cases(n, rng)
        pdfs = _one_per_group([c for c in invoices if c.category == "invoice_pdf"], doc_of)
        scans = _one_per_group([c for c in invoices if c.category == "invoice_scan"], doc_of)
        out["pdf"], out["scan"] = _bodies(pdfs, settings, n), _bodies(scans, settings, n)
    if "chart" in categories:
        charts = _one_per_group(ev.chart_cases(n, rng), doc_of)
        out["chart"] = _bodies(charts, settings, n)
    if "audio" in categories:
        out["audio"] = _bodies(ev.speech_cases(n, rng), settings, n)
    if "arithmetic" in categories:
        out["arithmetic"] = _bodies(ev.calculation_cases(n, rng), settings, n)
    if "text" in categories:
        out["text"] = _bodies(ev.knowledge_cases(n), settings, n)
    if "url" in categories:
        pages = make_pages(n, settings.seed)
        out["url"] = _bodies(ev.web_cases(URL_PLACEHOLDER, pages), settings, n)
    return {name: out[name] for name in categories if name in out}


def cache_path(settings: PayloadSettings, cache_dir: Path = CACHE_DIR) -> Path:
    key = f"v{FORMAT_VERSION}-s{settings.seed}-n{settings.variants}-t{settings.max_tokens}"
    return cache_dir / f"payloads-{key}-{settings.model}.json"


def load_or_build(
    settings: PayloadSettings, cache_dir: Path = CACHE_DIR, log: Callable[[str], None] = print
) -> Payloads:
    """The cached payloads for ``settings``, generating them on first use."""
    path = cache_path(settings, cache_dir)
    if path.exists():
        return json.loads(path.read_text())
    started = time.monotonic()
    log(f"generating request payloads into {path} (once) ...")
    payloads = build_payloads(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payloads))
    tmp.replace(path)
    log(f"payloads ready in {time.monotonic() - started:.1f} s")
    return payloads


def resolve_urls(payloads: Payloads, url_base: str | None) -> Payloads:
    """Fill the page-server address into URL requests; drop them when there is none."""
    resolved = dict(payloads)
    if not url_base:
        resolved.pop("url", None)
        return resolved
    base = url_base.rstrip("/")
    if "url" in resolved:
        resolved["url"] = [body.replace(URL_PLACEHOLDER, base) for body in resolved["url"]]
    return resolved


def main(argv: list[str] | None = None) -> int:
    from loadtest.settings import load_loadtest_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="mix.yaml (default: loadtest/mix.yaml)")
    args = parser.parse_args(argv)
    payloads = load_or_build(load_loadtest_config(args.config).payloads)
    for name, bodies in payloads.items():
        sizes = sorted(len(b) for b in bodies)
        print(f"{name:<11} {len(bodies)} bodies, {sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
