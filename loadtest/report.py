"""One HTML + PNG report of a load run (``ifz loadtest report DIR``).

    .venv/bin/python -m loadtest.report loadtest/reports/<run>

Plots, on one time axis with the shape's phases shaded: target vs achieved requests/s;
p50/p95/p99 latency of 2xx responses; responses per second by outcome class; replicas per
deployment (running, healthy, autoscaler target); queue depth and ongoing requests.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
from pathlib import Path
from typing import Any

from loadtest.report_data import RunData, load_run, scaling_summary
from loadtest.request_log import OK

PHASE_COLOURS = {"ramp": "#fde7c8", "hold": "#fbd0d0", "drop": "#d9ecfb"}
OUTCOME_COLOURS = {
    OK: "#4c9a2a",
    "503+retry-after": "#f0a030",
    "429+retry-after": "#e0c040",
    "503": "#d04040",
    "500": "#800000",
    "timeout": "#202020",
    "connection-error": "#7030a0",
}


def _shade_phases(ax: Any, meta: dict[str, Any]) -> None:
    for phase in meta.get("phases", []):
        colour = PHASE_COLOURS.get(phase["name"])
        if colour and phase["end_s"] > phase["start_s"]:
            ax.axvspan(phase["start_s"], phase["end_s"], color=colour, alpha=0.5, lw=0)


def _target_line(meta: dict[str, Any]) -> tuple[list[float], list[float]]:
    points = meta.get("schedule", {}).get("points", [])
    return [p[0] for p in points], [p[1] for p in points]


def render_png(run: RunData, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(5, 1, figsize=(11, 15), sharex=True)
    ax_rps, ax_lat, ax_out, ax_rep, ax_q = axes
    for ax in axes:
        _shade_phases(ax, run.meta)
        ax.grid(alpha=0.3)
    bins = run.bins
    centres = [s + bins.width_s / 2 for s in bins.starts]

    tx, ty = _target_line(run.meta)
    if tx:
        ax_rps.plot(tx, ty, "k--", lw=1, label="target")
    ax_rps.plot(centres, bins.rps(), label="sent (all responses)", color="#3060c0")
    ax_rps.plot(centres, bins.rps(OK), label="2xx", color=OUTCOME_COLOURS[OK])
    if run.history:
        ax_rps.plot(
            [h.t - run.t0 for h in run.history],
            [h.rps for h in run.history],
            label="locust current rps (rolling window)",
            color="#909090",
            lw=0.8,
        )
    ax_rps.set_ylabel("requests/s")
    ax_rps.legend(loc="upper right", fontsize=8)
    ax_rps.set_title(_title(run))

    for q, values, style in (
        ("p50", bins.p50, "-"),
        ("p95", bins.p95, "-"),
        ("p99", bins.p99, ":"),
    ):
        xs = [c for c, v in zip(centres, values, strict=True) if v is not None]
        ys = [v for v in values if v is not None]
        ax_lat.plot(xs, ys, style, label=f"{q} (2xx)")
    ax_lat.set_ylabel("latency ms")
    ax_lat.set_yscale("log")
    if bins.outcomes:
        ax_lat.legend(loc="upper right", fontsize=8)

    bottom = [0.0] * len(centres)
    for outcome in sorted(bins.outcomes, key=lambda o: (o != OK, o)):
        values = bins.rps(outcome)
        ax_out.bar(
            bins.starts,
            values,
            width=bins.width_s,
            bottom=bottom,
            align="edge",
            label=outcome,
            color=OUTCOME_COLOURS.get(outcome),
        )
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax_out.set_ylabel("responses/s by outcome")
    if bins.outcomes:
        ax_out.legend(loc="upper right", fontsize=8)

    _plot_replicas(ax_rep, run)
    _plot_queues(ax_q, run)
    ax_q.set_xlabel("seconds since the run started")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _plot_replicas(ax: Any, run: RunData) -> None:
    styles = {"running_replicas": "-", "replicas": "-.", "target_replicas": "--"}
    labels = {
        "running_replicas": "running (serve.status)",
        "replicas": "healthy (metrics)",
        "target_replicas": "autoscaler target",
    }
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in run.metrics:
        if row.series in styles:
            series.setdefault((row.series, row.key), []).append((row.t - run.t0, row.value))
    for (name, deployment), points in sorted(series.items()):
        points.sort()
        ax.step(
            [p[0] for p in points],
            [p[1] for p in points],
            styles[name],
            where="post",
            label=f"{deployment}: {labels[name]}",
        )
    ax.set_ylabel("replicas")
    if series:
        ax.legend(loc="upper right", fontsize=7)


def _plot_queues(ax: Any, run: RunData) -> None:
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in run.metrics:
        if row.series in ("queued", "ongoing"):
            series.setdefault((row.series, row.key), []).append((row.t - run.t0, row.value))
    for (name, deployment), points in sorted(series.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], label=f"{deployment}: {name}")
    ax.set_ylabel("requests queued / ongoing")
    if series:
        ax.legend(loc="upper right", fontsize=7)


def _title(run: RunData) -> str:
    meta = run.meta
    return (
        f"{meta.get('shape', 'closed loop')} · mix {meta.get('mix', '?')} · "
        f"{meta.get('host', '?')} · ingress {meta.get('ingress', '?')}"
    )


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def render_html(run: RunData, png: Path, path: Path) -> Path:
    summary = run.summary()
    scaling = [vars(s) for s in scaling_summary(run.metrics, run.t0, run.meta)]
    image = base64.b64encode(png.read_bytes()).decode()
    meta_rows = [
        {"key": k, "value": json.dumps(v) if isinstance(v, dict | list) else v}
        for k, v in run.meta.items()
        if k not in ("schedule", "phases")
    ]
    verdict = (
        "every failed request was shed with 503/429 + Retry-After"
        if summary["failures_all_shed_with_retry_after"]
        else "some requests failed in another way (see outcomes)"
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Load test {html.escape(run.directory.name)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th{{background:#eee}}</style>
</head><body>
<h1>Load test {html.escape(run.directory.name)}</h1>
<p>{html.escape(_title(run))}. {html.escape(verdict)}.</p>
<h2>Summary</h2>{_table([{k: v for k, v in summary.items()}])}
<h2>Replica scaling</h2>
<p>scale_up_s: from the start of the ramp to the first replica above the initial count;
scale_down_s: from the start of the drop to the count back at its initial value.</p>
{_table(scaling)}
<h2>Per category (locust)</h2>{_table(run.stats)}
<h2>Over time</h2><img src="data:image/png;base64,{image}" alt="plots" style="width:100%">
<h2>Run</h2>{_table(meta_rows)}
</body></html>"""
    path.write_text(page)
    return path


def build_report(directory: str | Path, bin_s: float = 1.0) -> dict[str, Any]:
    """Write ``report.png``, ``report.html`` and ``summary.json`` into the run directory."""
    run = load_run(directory, bin_s)
    png = render_png(run, run.directory / "report.png")
    page = render_html(run, png, run.directory / "report.html")
    summary = {
        **run.summary(),
        "scaling": [vars(s) for s in scaling_summary(run.metrics, run.t0, run.meta)],
        "html": str(page),
        "png": str(png),
    }
    (run.directory / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="HTML + PNG report of a load run directory")
    parser.add_argument("directory", help="run directory (loadtest/reports/<run>)")
    parser.add_argument("--bin", type=float, default=1.0, help="seconds per time bin")
    args = parser.parse_args(argv)
    summary = build_report(args.directory, args.bin)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
