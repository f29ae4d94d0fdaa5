"""Synthetic charts with known values, for the chart parser's tests and benchmark.

``random_spec(rng, kind, labelled)`` draws a varied chart (style, size, dpi, font, colours,
value range, unit, legend position, markers, grid); ``render_chart(spec)`` draws it with
matplotlib (Agg) and returns PNG bytes. ``generate_suite(n, seed)`` mixes every kind,
labelled and unlabelled.

    .venv/bin/python -m loadtest.perception.gen_charts --out /tmp/charts -n 40
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

ChartKind = Literal["bar", "grouped_bar", "line", "hbar"]
KINDS: tuple[ChartKind, ...] = ("bar", "grouped_bar", "line", "hbar")

STYLES = ["default", "default-open", "ggplot", "seaborn-v0_8-whitegrid", "bmh", "seaborn-v0_8"]
FONTS = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"]
PALETTES = [
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"],
    ["#4c72b0", "#dd8452", "#55a868", "#c44e52"],
    ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3"],
    ["#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"],
    ["#6a4c93", "#1982c4", "#8ac926", "#ff595e"],
    ["#003f5c", "#ffa600", "#bc5090", "#58508d"],
]
CATEGORY_SETS = [
    ["Q1", "Q2", "Q3", "Q4"],
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug"],
    ["North", "South", "East", "West", "Central"],
    ["2019", "2020", "2021", "2022", "2023", "2024"],
    ["Apples", "Pears", "Plums", "Grapes", "Kiwis", "Limes"],
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ["Alpha", "Beta", "Gamma"],
    ["Paris", "Berlin", "Madrid", "Rome", "Oslo"],
]
SERIES_NAMES = [
    "Revenue",
    "Costs",
    "Profit",
    "Online",
    "Retail",
    "Export",
    "Team A",
    "Team B",
    "Team C",
    "Plan",
    "Actual",
]
TITLES = [
    "Quarterly revenue",
    "Sales by region",
    "Monthly visitors",
    "Energy use per site",
    "Survey results",
    "Growth of subscribers",
    "Average basket size",
    "Fruit harvest",
    "Support tickets",
    "Budget vs actual",
]
# (unit, where it is printed: in the tick labels or in the axis label)
UNITS = ["", "%", "$k", "kg", "$"]


@dataclass
class ChartSpec:
    """Everything needed to draw one chart, and the ground truth to score a parser with."""

    kind: ChartKind
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]
    labelled: bool
    unit: str = ""
    unit_in_ticks: bool = False
    axis_label: str = ""
    style: str = "default"
    font: str = "DejaVu Sans"
    font_size: float = 10.0
    figsize: tuple[float, float] = (6.4, 4.8)
    dpi: int = 100
    colours: list[str] = field(default_factory=lambda: list(PALETTES[0]))
    decimals: int = 0
    markers: bool = False
    grid: bool = False
    legend_loc: str = "upper left"
    per_bar_colours: bool = False

    def to_json(self) -> dict:
        return asdict(self)


def _format_value(value: float, spec: ChartSpec, *, with_unit: bool) -> str:
    text = f"{value:,.{spec.decimals}f}"
    if not with_unit or not spec.unit:
        return text
    if spec.unit == "%":
        return f"{text}%"
    if spec.unit == "$k":
        return f"${text}k"
    if spec.unit == "$":
        return f"${text}"
    return f"{text} {spec.unit}"


def random_spec(rng: random.Random, kind: ChartKind, labelled: bool) -> ChartSpec:
    """A chart of ``kind`` with random but realistic data and presentation."""
    if kind == "line":
        categories = rng.choice([c for c in CATEGORY_SETS if len(c) >= 4])
    elif kind == "grouped_bar":
        categories = rng.choice([c for c in CATEGORY_SETS if len(c) <= 6])
    else:
        categories = rng.choice(CATEGORY_SETS)
    n_series = {"bar": 1, "hbar": 1, "grouped_bar": rng.randint(2, 3), "line": rng.randint(1, 3)}
    n_series = n_series[kind]
    if kind == "line" and labelled:
        n_series = min(n_series, 2)
    unit = rng.choice(UNITS)
    scale = rng.choice([1, 10, 60, 100, 250, 1000, 5000])
    if unit == "%":
        scale = rng.choice([1, 10, 100])
    decimals = 1 if scale <= 10 else 0
    names = rng.sample(SERIES_NAMES, n_series)
    series = []
    for name in names:
        if kind == "line":
            level = rng.uniform(0.3, 0.8) * scale
            values, current = [], level
            for _ in categories:
                current = max(0.05 * scale, current + rng.uniform(-0.25, 0.25) * scale)
                values.append(current)
        else:
            values = [rng.uniform(0.08, 1.0) * scale for _ in categories]
        series.append((name, [round(v, decimals) for v in values]))
    style = rng.choice(STYLES)
    palette = list(rng.choice(PALETTES))
    rng.shuffle(palette)
    width = rng.uniform(5.0, 9.0)
    font_size = rng.choice([9, 10, 11, 12, 13])
    if kind != "hbar":  # keep category labels from running into each other, as a person would
        longest = max(len(c) for c in categories)
        font_size = min(font_size, int(0.5 * width * 72 / (0.62 * len(categories) * longest)))
    return ChartSpec(
        kind=kind,
        title=rng.choice(TITLES),
        categories=list(categories),
        series=series,
        labelled=labelled,
        unit=unit,
        unit_in_ticks=bool(unit) and rng.random() < 0.5,
        axis_label=rng.choice(["", "Value", "Amount", "Total"]),
        style=style,
        font=rng.choice(FONTS),
        font_size=max(font_size, 7),
        figsize=(round(width, 2), round(width * rng.uniform(0.6, 0.8), 2)),
        dpi=rng.choice([80, 100, 120, 150]),
        colours=palette,
        decimals=decimals,
        markers=kind == "line" and rng.random() < 0.5,
        grid=rng.random() < 0.4,
        legend_loc=rng.choice(["upper left", "upper right", "outside"]),
        per_bar_colours=kind in ("bar", "hbar") and rng.random() < 0.25,
    )


def _axis_label(spec: ChartSpec) -> str:
    label = spec.axis_label
    if spec.unit and not spec.unit_in_ticks:
        label = f"{label or 'Value'} ({spec.unit})"
    return label


def render_chart(spec: ChartSpec) -> bytes:
    """Draw ``spec`` and return the PNG bytes."""
    style = "default" if spec.style == "default-open" else spec.style
    rc = {"font.family": spec.font, "font.size": spec.font_size}
    with plt.style.context(style), plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=spec.figsize, dpi=spec.dpi)
        try:
            _draw(ax, spec)
            if spec.style == "default-open":
                ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=spec.dpi)
        finally:
            plt.close(fig)
    return buffer.getvalue()


def _draw(ax, spec: ChartSpec) -> None:
    positions = list(range(len(spec.categories)))
    horizontal = spec.kind == "hbar"
    peak = max(max(values) for _, values in spec.series)
    if spec.kind == "line":
        for index, (name, values) in enumerate(spec.series):
            ax.plot(
                positions,
                values,
                color=spec.colours[index],
                linewidth=2,
                marker="o" if spec.markers else None,
                label=name,
            )
            if spec.labelled:
                for x, value in zip(positions, values, strict=True):
                    ax.annotate(
                        _format_value(value, spec, with_unit=False),
                        (x, value),
                        textcoords="offset points",
                        xytext=(0, 7),
                        ha="center",
                        fontsize=spec.font_size * 0.85,
                    )
        ax.set_xticks(positions, spec.categories)
        ax.set_ylim(0, peak * _headroom(spec))
    else:
        count = len(spec.series)
        width = 0.8 / count if count > 1 else 0.65
        for index, (name, values) in enumerate(spec.series):
            offsets = [p + (index - (count - 1) / 2) * width for p in positions]
            if spec.per_bar_colours and count == 1:
                colour = [spec.colours[i % len(spec.colours)] for i in positions]
            else:
                colour = spec.colours[index]
            draw = ax.barh if horizontal else ax.bar
            bars = draw(offsets, values, width, color=colour, label=name)
            if spec.labelled:
                labels = [_format_value(v, spec, with_unit=False) for v in values]
                ax.bar_label(bars, labels=labels, padding=2, fontsize=spec.font_size * 0.85)
        if horizontal:
            ax.set_yticks(positions, spec.categories)
            ax.set_xlim(0, peak * 1.18)
            ax.invert_yaxis()
        else:
            ax.set_xticks(positions, spec.categories)
            ax.set_ylim(0, peak * _headroom(spec))
    value_axis = ax.xaxis if horizontal else ax.yaxis
    if spec.unit and spec.unit_in_ticks:
        value_axis.set_major_formatter(
            FuncFormatter(lambda v, _pos: _format_value(v, _tick_spec(spec), with_unit=True))
        )
    (ax.set_xlabel if horizontal else ax.set_ylabel)(_axis_label(spec))
    if spec.grid:
        ax.grid(True, axis="x" if horizontal else "y", alpha=0.5)
    ax.set_title(spec.title)
    if len(spec.series) > 1:
        if spec.legend_loc == "outside":
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.legend(loc=spec.legend_loc)


def _headroom(spec: ChartSpec) -> float:
    """Top of the value axis over the peak: room for value labels and an inside legend."""
    count = len(spec.series)
    if count > 1 and spec.legend_loc != "outside":
        return 1.15 + 0.15 * count
    return 1.3 if spec.kind == "line" else 1.15


def _tick_spec(spec: ChartSpec) -> ChartSpec:
    """Ticks print only as many decimals as they need."""
    return ChartSpec(
        kind=spec.kind,
        title="",
        categories=[],
        series=[],
        labelled=False,
        unit=spec.unit,
        decimals=0 if spec.decimals == 0 else 1,
    )


def generate_suite(n: int, seed: int = 0) -> list[ChartSpec]:
    """``n`` specs cycling through every kind, alternating labelled and unlabelled."""
    rng = random.Random(seed)
    specs = []
    for index in range(n):
        kind = KINDS[index % len(KINDS)]
        labelled = (index // len(KINDS)) % 2 == 0
        specs.append(random_spec(rng, kind, labelled))
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for PNG + JSON files")
    parser.add_argument("-n", type=int, default=40, help="number of charts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for index, spec in enumerate(generate_suite(args.n, args.seed)):
        stem = f"{index:03d}-{spec.kind}-{'labelled' if spec.labelled else 'plain'}"
        (args.out / f"{stem}.png").write_bytes(render_chart(spec))
        (args.out / f"{stem}.json").write_text(json.dumps(spec.to_json(), indent=1))
    print(f"wrote {args.n} charts to {args.out}")


if __name__ == "__main__":
    main()
