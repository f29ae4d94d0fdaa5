"""Charts with known values for the chart tests (rendered once per session, cached)."""

from __future__ import annotations

import io
from functools import cache, lru_cache

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from loadtest.perception.gen_charts import ChartSpec, render_chart

matplotlib.use("Agg")

SAMPLES: dict[str, ChartSpec] = {
    "bar_labelled": ChartSpec(
        kind="bar",
        title="Sales by region",
        categories=["North", "South", "East", "West"],
        series=[("Sales", [42.0, 17.0, 33.0, 25.0])],
        labelled=True,
        unit="%",
        unit_in_ticks=True,
    ),
    "bar_plain": ChartSpec(
        kind="bar",
        title="Monthly visitors",
        categories=["Jan", "Feb", "Mar", "Apr", "May"],
        series=[("Visitors", [820.0, 640.0, 910.0, 450.0, 700.0])],
        labelled=False,
        style="ggplot",
        dpi=90,
    ),
    "grouped": ChartSpec(
        kind="grouped_bar",
        title="Budget vs actual",
        categories=["Q1", "Q2", "Q3"],
        series=[("Plan", [12.0, 15.0, 9.0]), ("Actual", [10.0, 16.5, 11.0])],
        labelled=False,
        axis_label="Revenue",
        unit="$k",
        colours=["#4c72b0", "#dd8452"],
        style="seaborn-v0_8-whitegrid",
        decimals=1,
    ),
    "line": ChartSpec(
        kind="line",
        title="Energy use",
        categories=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        series=[
            ("Site A", [30.0, 45.0, 38.0, 52.0, 47.0, 60.0]),
            ("Site B", [20.0, 18.0, 26.0, 24.0, 31.0, 28.0]),
        ],
        labelled=False,
        markers=True,
        colours=["#d62728", "#2ca02c"],
        legend_loc="upper left",
    ),
    "hbar": ChartSpec(
        kind="hbar",
        title="Fruit harvest",
        categories=["Apples", "Pears", "Plums"],
        series=[("Harvest", [120.0, 75.0, 160.0])],
        labelled=True,
        unit="kg",
        colours=["#2a9d8f"],
    ),
}


@cache
def chart_png(name: str) -> bytes:
    return render_chart(SAMPLES[name])


def chart_rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(chart_png(name))).convert("RGB"))


@lru_cache(maxsize=1)
def text_page_png() -> bytes:
    """A scanned-looking page of prose: grey paper, noise, a slight tilt."""
    font = ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSerif.ttf", 18)
    page = Image.new("RGB", (900, 1200), (248, 247, 243))
    draw = ImageDraw.Draw(page)
    words = "the quarterly report shows steady growth in every region of the company".split()
    rng = np.random.default_rng(0)
    for line in range(36):
        text = " ".join(rng.choice(words, 9))
        draw.text((60, 60 + 30 * line), text, fill=(25, 25, 25), font=font)
    noisy = np.asarray(page).astype(np.float32) + rng.normal(0, 8, (1200, 900, 3))
    page = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).rotate(
        1.0, fillcolor=(248, 247, 243)
    )
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=1)
def photo_jpeg() -> bytes:
    """A real photograph shipped with matplotlib (Grace Hopper)."""
    with open(f"{matplotlib.get_data_path()}/sample_data/grace_hopper.jpg", "rb") as handle:
        return handle.read()


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _figure_png(draw) -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        draw(ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def grey_negative_bars_png() -> bytes:
    """Grey bars, some below zero, on a white page (no panel, no legend)."""

    def draw(ax):
        ax.bar(["A", "B", "C", "D"], [12.0, -7.0, 5.0, -15.0], color="#777777")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title("Profit change")

    return _figure_png(draw)


@lru_cache(maxsize=1)
def black_marker_line_png() -> bytes:
    """A black line with markers: black is the text colour, so it is not read as a series."""

    def draw(ax):
        ax.plot(["2019", "2020", "2021", "2022"], [3.1, 4.5, 2.2, 5.8], color="black", marker="o")
        ax.set_title("Black line")

    return _figure_png(draw)
