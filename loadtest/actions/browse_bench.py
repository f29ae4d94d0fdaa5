"""Browse benchmark: JS pages on 127.0.0.1 through a reused Chromium (and plain HTTP).

    python -m loadtest.actions.browse_bench [--pages 40] [--concurrency 1 2 4]

Serves generated JS-rendered pages from a separate ``http.server`` process on loopback,
then runs the browse service (no Ray) against them and prints, per concurrency level,
pages/s and the p50/p95 latency of one browse call (render + extraction). The SSRF guard
is on; 127.0.0.1 is allow-listed explicitly, as in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.service import BrowseService

PAGE_VARIANTS = 10

PAGE_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><title>Report {n}</title>
</head><body><nav><a href="/">Home</a> <a href="/page-{next}.html">Next</a></nav>
<main id="app">loading…</main>
<script>
const data = {data};
const app = document.getElementById('app');
let html = '<h1>' + data.title + '</h1>';
for (const p of data.paragraphs) html += '<p>' + p + '</p>';
html += '<table><tr><th>Region</th><th>Sales</th><th>Growth</th></tr>';
for (const r of data.rows)
  html += '<tr><td>' + r[0] + '</td><td>' + r[1] + '</td><td>' + r[2] + '%</td></tr>';
html += '</table>';
for (const l of data.links) html += '<a href="' + l + '">' + l + '</a> ';
app.innerHTML = html;
</script></body></html>
"""


def write_site(root: Path) -> None:
    """PAGE_VARIANTS JS pages: the content exists only after the script ran."""
    words = (
        "market demand supply widget region quarter growth revenue customer product "
        "forecast channel margin inventory partner launch"
    ).split()
    for n in range(PAGE_VARIANTS):
        paragraphs = [
            " ".join(words[(n + i + j) % len(words)] for j in range(60)).capitalize() + "."
            for i in range(12)
        ]
        data = {
            "title": f"Quarterly report {n}",
            "paragraphs": paragraphs,
            "rows": [[f"Region {r}", 100 + r * n, r * 3] for r in range(15)],
            "links": [f"/page-{(n + k) % PAGE_VARIANTS}.html" for k in range(1, 20)],
        }
        page = PAGE_TEMPLATE.format(n=n, next=(n + 1) % PAGE_VARIANTS, data=json.dumps(data))
        (root / f"page-{n}.html").write_text(page)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run_level(
    service: BrowseService, base: str, pages: int, concurrency: int, render_js: bool
) -> dict[str, float]:
    latencies: list[float] = []
    stages: dict[str, list[float]] = {}
    queue = list(range(pages))

    async def worker() -> None:
        while queue:
            n = queue.pop()
            url = f"{base}/page-{n % PAGE_VARIANTS}.html"
            started = time.perf_counter()
            result = await service.browse({"url": url, "render_js": render_js})
            latencies.append((time.perf_counter() - started) * 1000)
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
            if render_js:
                assert "Quarterly report" in result.text, "the JS did not run"
                assert result.tables, "the JS table is missing"

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "pages": pages,
        "pages_per_s": pages / wall,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "stage_p50_ms": {k: round(statistics.median(v), 1) for k, v in stages.items()},
    }


async def bench(args: argparse.Namespace) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="browse-bench-") as tmp:
        root = Path(tmp)
        write_site(root)
        server, base = start_server(root)
        settings = BrowseSettings(
            allow_hosts=["127.0.0.1"], page_pool_size=max(args.concurrency), page_max_uses=1000
        )
        service = BrowseService(settings)
        rows = []
        try:
            started = time.perf_counter()
            await service.start()
            print(f"chromium launch: {(time.perf_counter() - started) * 1000:.0f} ms")
            await run_level(service, base, max(args.concurrency) * 2, max(args.concurrency), True)
            for concurrency in args.concurrency:
                row = await run_level(service, base, args.pages, concurrency, True)
                rows.append({"renderer": "chromium", **row})
            await run_level(service, base, 4, 1, False)
            for concurrency in args.concurrency:
                row = await run_level(service, base, args.pages, concurrency, False)
                rows.append({"renderer": "http", **row})
        finally:
            await service.close()
            server.terminate()
            server.wait(timeout=5)
        return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="pages per concurrency level")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 2, 4], help="parallel requests"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args(argv)
    rows = asyncio.run(bench(args))
    print(
        f"{'renderer':<9} {'parallel':>8} {'pages':>6} {'pages/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
        "  stage p50 ms"
    )
    for row in rows:
        print(
            f"{row['renderer']:<9} {row['concurrency']:>8} {row['pages']:>6} "
            f"{row['pages_per_s']:>8.1f} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f}  "
            + " ".join(f"{k}={v:g}" for k, v in row["stage_p50_ms"].items() if k != "total")
        )
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
