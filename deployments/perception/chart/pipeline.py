"""The classical chart parser: image → plot area → colours → text → bars/lines → table."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import cv2
import numpy as np

from deployments.perception.chart.axes import (
    AxisFit,
    PlotArea,
    find_plot_area,
    fit_axis,
    gridlines,
    snap,
    tick_marks,
)
from deployments.perception.chart.bars import (
    Bar,
    far_edge,
    group_by_category,
    is_bar_series,
    measure_edges,
    orientation_of,
    solid_rectangles,
)
from deployments.perception.chart.classify import ChartClassification, classify_chart
from deployments.perception.chart.colours import ColourCluster, colour_masks, series_colours
from deployments.perception.chart.geometry import Box
from deployments.perception.chart.image import load_image, resize_to_fit
from deployments.perception.chart.labels import (
    ParsedNumber,
    Word,
    clean_label,
    group_rows,
    harmonise_labels,
    join_words,
    parse_number,
    split_row,
    unit_from_axis_title,
)
from deployments.perception.chart.legend import Legend, find_legend
from deployments.perception.chart.lines import (
    LineTrace,
    drop_shadow_traces,
    is_line_series,
    sample_line,
    trace_line,
)
from deployments.perception.chart.protocol import ChartResult, Series, ValueAxis
from deployments.perception.chart.text_layout import TextLayout, read_text
from deployments.perception.chart.values import (
    Reading,
    match_bar_labels,
    match_point_labels,
    reconcile,
)

logger = logging.getLogger(__name__)


@dataclass
class ParserOptions:
    """Knobs of the classical parser (``ChartSettings`` fills them)."""

    ocr: bool = True
    ocr_lang: str = "eng"
    ocr_timeout_s: float = 15.0
    work_max_side: int = 2000
    chart_threshold: float = 0.5


@dataclass
class Category:
    label: str
    position: float  # pixel along the category axis


@dataclass
class Extraction:
    """What the geometry stage produced, before it becomes a ChartResult."""

    kind: str
    categories: list[Category]
    series_names: list[str]
    readings: list[list[Reading]]  # per series, per category
    fit: AxisFit | None
    orientation: str = "vertical"
    notes: list[str] = field(default_factory=list)
    coverage: float = 1.0  # share of the drawn data the categories account for


class Timer:
    """Milliseconds per named step."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 1)


class ChartParser:
    """Plain, Ray-free chart parser; one instance may serve many images (it holds no state)."""

    def __init__(self, options: ParserOptions | None = None) -> None:
        self.options = options or ParserOptions()

    # -------------------------------------------------------------- entry points

    def parse_bytes(
        self, data: bytes, mime: str | None, *, max_bytes: int, max_pixels: int
    ) -> ChartResult:
        """Validate and decode ``data`` (raises InputRejected subclasses), then parse it."""
        timer = Timer()
        with timer.step("decode"):
            rgb = load_image(data, mime, max_bytes=max_bytes, max_pixels=max_pixels)
        result = self.parse(rgb)
        result.timings_ms = {**timer.timings, **result.timings_ms}
        return result

    def classify(self, rgb: np.ndarray) -> ChartClassification:
        return classify_chart(rgb, self.options.chart_threshold)

    def parse(self, rgb: np.ndarray, verdict: ChartClassification | None = None) -> ChartResult:
        """Parse a decoded RGB chart (``verdict``: the classifier's, when already known). Never
        raises for odd content: low confidence instead."""
        try:
            return self._parse(rgb, verdict)
        except Exception as exc:  # a parser bug must not fail the request: the LLM takes over
            logger.exception("chart parser failed")
            verdict = verdict or self.classify(rgb)
            return self._unknown(verdict, f"chart parser failed: {type(exc).__name__}: {exc}")

    def _parse(self, rgb: np.ndarray, verdict: ChartClassification | None = None) -> ChartResult:
        timer = Timer()
        if verdict is None:
            with timer.step("classify"):
                verdict = self.classify(rgb)
        rgb, _ = resize_to_fit(rgb, self.options.work_max_side)
        with timer.step("axes"):
            plot = find_plot_area(rgb)
        if plot is None:
            result = self._unknown(verdict, "no plot area (axes frame or panel) found")
            result.timings_ms = timer.timings
            return result
        with timer.step("colours"):
            clusters = series_colours(rgb, plot.inner, plot.plot_bg)
            masks = colour_masks(rgb, clusters, plot.plot_bg)
            hide = _dilated_union(masks, rgb.shape[:2])
        with timer.step("ocr"):
            layout = read_text(
                rgb,
                plot,
                hide,
                lang=self.options.ocr_lang,
                timeout_s=self.options.ocr_timeout_s,
                enabled=self.options.ocr,
            )
        with timer.step("legend"):
            legend = find_legend(
                masks,
                layout.inside + layout.outside + layout.above,
                layout.text_height,
                frame=plot.inner,
            )
        with timer.step("geometry"):
            extraction = self._extract(rgb, plot, clusters, masks, layout, legend)
        result = self._build_result(verdict, plot, layout, legend, extraction)
        result.timings_ms = timer.timings
        return result

    # -------------------------------------------------------------- extraction

    def _extract(
        self,
        rgb: np.ndarray,
        plot: PlotArea,
        clusters: list[ColourCluster],
        masks: list[np.ndarray],
        layout: TextLayout,
        legend: Legend,
    ) -> Extraction:
        region = plot.inner
        data_masks = [m.copy() for m in masks]
        if legend.box is not None:
            hidden = legend.box.rounded().clip(*rgb.shape[:2])
            for mask in data_masks:
                mask[hidden.y0 : hidden.y1, hidden.x0 : hidden.x1] = False
        bar_boxes: dict[int, list[Box]] = {}
        traces: dict[int, LineTrace] = {}
        for cluster, mask in zip(clusters, data_masks, strict=True):
            boxes, rect_pixels, total = solid_rectangles(mask, region)
            if is_bar_series(boxes, rect_pixels, total):
                bar_boxes[cluster.index] = boxes
                continue
            trace = trace_line(mask, region, cluster.index)
            if is_line_series(trace, region):
                traces[cluster.index] = trace
        if bar_boxes and _share_a_baseline([b for boxes in bar_boxes.values() for b in boxes]):
            return self._extract_bars(rgb, plot, clusters, bar_boxes, layout, legend)
        kept = {t.cluster for t in drop_shadow_traces(list(traces.values()))}
        traces = {c: t for c, t in traces.items() if c in kept}
        if traces:
            return self._extract_lines(rgb, plot, traces, layout, legend, data_masks)
        return Extraction("unknown", [], [], [], None, notes=["no bars or lines found"])

    def _extract_bars(self, rgb, plot, clusters, bar_boxes, layout, legend) -> Extraction:
        everything = [box for boxes in bar_boxes.values() for box in boxes]
        orientation = orientation_of(everything)
        bars = [
            Bar(box, cluster, orientation) for cluster, boxes in bar_boxes.items() for box in boxes
        ]
        typical = float(np.median([b.thickness for b in bars]))
        bars = [b for b in bars if b.thickness >= 0.4 * typical]
        for bar in bars:
            bar.lo, bar.hi = measure_edges(rgb, bar, clusters[bar.cluster].colour, plot.plot_bg)
        notes: list[str] = []
        fit = self._value_axis_fit(rgb, plot, layout, orientation, notes)
        baseline = _shared_baseline(bars)
        if baseline is None and fit is not None:
            baseline = fit.pixel_of(0.0)
        if baseline is None:
            baseline = plot.box.y1 if orientation == "vertical" else plot.box.x0
        far = [far_edge(bar, baseline) for bar in bars]
        value_words = layout.inside + [w for w in layout.outside if w.box.y0 >= plot.box.y0]
        if fit is None:
            fit = self._fit_from_labels(bars, far, baseline, value_words, layout, notes)
        geometry = [fit.value_at(edge) if fit else None for edge in far]
        printed = match_bar_labels(bars, far, geometry, value_words, layout.text_height)
        label_fit = self._label_fit_if_better(fit, bars, far, baseline, printed, notes)
        if label_fit is not None:
            fit = label_fit
            geometry = [fit.value_at(edge) for edge in far]
            printed = match_bar_labels(bars, far, geometry, value_words, layout.text_height)
        per_px = fit.slope if fit else 0.0
        readings_by_bar = {}
        for index, bar in enumerate(bars):
            value, agrees = reconcile(printed[index], geometry[index], per_px)
            readings_by_bar[id(bar)] = Reading(
                value=value,
                geometry=geometry[index],
                label=printed[index].value if printed[index] else None,
                label_agrees=agrees,
                quality=_bar_quality(bar, far[index], baseline, fit),
            )
        groups = group_by_category(bars)
        centres = [float(np.mean([b.cat_center for b in g])) for g in groups]
        labels = self._category_labels(plot, layout, orientation, centres)
        categories = [Category(text, position) for text, position in labels]
        series_keys, key_of = _series_keys(groups, legend)
        names = _series_names(series_keys, key_of, legend)
        readings: list[list[Reading]] = []
        for key in series_keys:
            row = []
            for group in groups:
                match = [bar for bar in group if key_of(bar, group) == key]
                row.append(readings_by_bar[id(match[0])] if match else Reading(None, None))
            readings.append(row)
        if orientation == "horizontal":
            kind = "hbar"
        else:
            kind = "grouped_bar" if len(series_keys) > 1 else "bar"
        return Extraction(kind, categories, names, readings, fit, orientation, notes)

    def _extract_lines(self, rgb, plot, traces, layout, legend, masks) -> Extraction:
        notes: list[str] = []
        fit = self._value_axis_fit(rgb, plot, layout, "vertical", notes)
        marks = tick_marks(rgb, plot, "bottom") + gridlines(rgb, plot, "x", _union(masks))
        marks = _dedupe([m for m in marks if plot.inner.x0 <= m <= plot.inner.x1])
        labels = self._category_labels(plot, layout, "vertical")
        if len(marks) >= 2 and len(labels) <= len(marks) + 1:
            # Categories sit on the ticks / vertical gridlines: name each by the words under it.
            labels = self._category_labels(plot, layout, "vertical", marks)
            if sum(bool(text) for text, _ in labels) < len(labels) / 2:
                labels = [(text, position) for text, position in labels if text]
        if labels:
            categories = [Category(label, position) for label, position in labels]
        else:
            inside = [
                m for m in tick_marks(rgb, plot, "bottom") if plot.inner.x0 < m < plot.inner.x1
            ]
            categories = [Category("", position) for position in inside]
            notes.append("no category labels read; x positions from tick marks")
        categories.sort(key=lambda c: c.position)
        if not categories:
            return Extraction("line", [], [], [], fit, notes=[*notes, "no x positions found"])
        positions = [c.position for c in categories]
        spacing = float(np.median(np.diff(positions))) if len(positions) > 1 else plot.inner.width
        ordered = sorted(traces.values(), key=lambda t: _legend_rank(legend, t.cluster))
        drawn_from = min(t.x_extent[0] for t in ordered)
        drawn_to = max(t.x_extent[1] for t in ordered)
        unexplained = max(0.0, positions[0] - drawn_from) + max(0.0, drawn_to - positions[-1])
        coverage = 1.0
        if unexplained > 0.5 * spacing:
            coverage = max(0.0, 1.0 - unexplained / max(drawn_to - drawn_from, 1.0))
            notes.append("lines run past the x labels read: a category is probably missing")
        points, samples = [], {}
        for series_index, trace in enumerate(ordered):
            start, stop = trace.x_extent
            for cat_index, x in enumerate(positions):
                if x < start - 0.25 * spacing or x > stop + 0.25 * spacing:
                    samples[(series_index, cat_index)] = (None, 0.0)
                    continue
                y, quality = sample_line(trace, x, spacing)
                samples[(series_index, cat_index)] = (y, quality)
                if y is not None:
                    points.append((len(points), x, y, series_index, cat_index))
        words = layout.inside
        printed = match_point_labels(
            [(pid, x, y) for pid, x, y, _s, _c in points], words, spacing, layout.text_height
        )
        printed_at = {(s, c): printed.get(pid) for pid, _x, _y, s, c in points}
        if fit is None:
            pairs = [(y, printed[pid].value) for pid, _x, y, _s, _c in points if pid in printed]
            fit = fit_axis(pairs, tolerance_px=2.0, source="value labels") if pairs else None
            if fit is not None:
                notes.append("value axis calibrated from printed value labels (ticks unreadable)")
        per_px = fit.slope if fit else 0.0
        readings = []
        for series_index, _trace in enumerate(ordered):
            row = []
            for cat_index in range(len(positions)):
                y, quality = samples[(series_index, cat_index)]
                geometry = fit.value_at(y) if (fit and y is not None) else None
                label = printed_at.get((series_index, cat_index))
                value, agrees = reconcile(label, geometry, per_px)
                row.append(
                    Reading(
                        value=value,
                        geometry=geometry,
                        label=label.value if label else None,
                        label_agrees=agrees,
                        quality=quality * (fit.confidence if fit else 0.0),
                    )
                )
            readings.append(row)
        names = [
            legend.name_of(t.cluster) or f"Series {index + 1}" for index, t in enumerate(ordered)
        ]
        return Extraction("line", categories, names, readings, fit, "vertical", notes, coverage)

    # -------------------------------------------------------------- axes and labels

    def _value_axis_fit(
        self, rgb, plot: PlotArea, layout: TextLayout, orientation: str, notes: list[str]
    ) -> AxisFit | None:
        """Linear pixel → value fit on the numeric tick labels, snapped to ticks/gridlines."""
        if orientation == "vertical":
            words = [
                w
                for w in layout.left
                if plot.box.y0 - 2 * layout.text_height
                <= w.box.cy
                <= plot.box.y1 + 2 * layout.text_height
            ]
            marks = tick_marks(rgb, plot, "left") + gridlines(rgb, plot, "y")
            position = lambda w: w.box.cy  # noqa: E731
        else:
            words = layout.bottom_ticks(numeric=True)
            marks = tick_marks(rgb, plot, "bottom") + gridlines(rgb, plot, "x")
            position = lambda w: w.box.cx  # noqa: E731
        points, precise, snapped = [], [], 0
        for label in _tick_labels(words):
            number = parse_number(label.text)
            if number is None:
                continue
            pixel, did_snap = snap(position(label), marks, 0.45 * layout.text_height + 1)
            snapped += did_snap
            points.append((pixel, number.value))
            if did_snap:
                precise.append((pixel, number.value))
        fit = fit_axis(points)
        if fit is not None and len(precise) >= 2:
            # Ticks and gridlines are exact, text centres are not: refit on snapped inliers.
            on_line = [p for p in precise if abs(fit.pixel_of(p[1]) - p[0]) <= 2.5]
            refined = fit_axis(on_line) if len(on_line) >= 2 else None
            if refined is not None:
                refined.candidates = fit.candidates
                refined.inliers = max(refined.inliers, fit.inliers)
                fit = refined
        if fit is None:
            notes.append(f"value axis: {len(points)} numeric tick label(s) read, no fit")
            return None
        fit.snapped = snapped
        if fit.inliers < len(points):
            notes.append(f"value axis: {len(points) - fit.inliers} tick label(s) disagree")
        return fit

    def _label_fit_if_better(self, fit, bars, far, baseline, printed, notes) -> AxisFit | None:
        """A fit on the printed bar values when it explains more of them than the tick fit
        (tick labels misread alike, e.g. every '0' as '6', bend the tick fit; bar labels are
        read one by one). None keeps the tick fit."""
        points = [(edge, p.value) for edge, p in zip(far, printed, strict=True) if p is not None]
        if fit is None or len(points) < 3:
            return None
        candidate = fit_axis([*points, (baseline, 0.0)], tolerance_px=2.0, source="value labels")
        if candidate is None:
            return None

        def agreeing(axis: AxisFit) -> int:
            return sum(
                reconcile(p, axis.value_at(edge), axis.slope)[1] is True
                for edge, p in zip(far, printed, strict=True)
                if p is not None
            )

        if agreeing(candidate) > agreeing(fit):
            notes.append("value axis refitted on printed value labels (tick labels disagree)")
            return candidate
        return None

    def _fit_from_labels(self, bars, far, baseline, words, layout, notes) -> AxisFit | None:
        """Without readable ticks: fit printed bar labels against bar ends (plus 0 at base)."""
        blind = [None] * len(bars)
        printed = match_bar_labels(bars, far, blind, words, layout.text_height)
        points = [(edge, p.value) for edge, p in zip(far, printed, strict=True) if p is not None]
        if len(points) < 2:
            return None
        fit = fit_axis([*points, (baseline, 0.0)], tolerance_px=2.0, source="value labels")
        if fit is not None:
            notes.append("value axis calibrated from printed value labels (ticks unreadable)")
        return fit

    def _category_labels(
        self,
        plot: PlotArea,
        layout: TextLayout,
        orientation: str,
        centres: list[float] | None = None,
    ) -> list[tuple[str, float]]:
        """(label, position along the category axis) for the printed category names.

        With ``centres`` (bar groups, ticks) every word joins the nearest centre, so labels
        printed close together are not merged; without, words are split into phrases by gaps.
        """
        if orientation == "vertical":
            row = [w for w in layout.bottom_ticks(numeric=False) if w.box.cx >= plot.box.x0 - 2]
            units = [([w], w.box.cx) for w in row]
        else:
            row = []
            beside = [w for w in layout.left if plot.box.y0 <= w.box.cy <= plot.box.y1]
            units = [(r, float(np.mean([w.box.cy for w in r]))) for r in group_rows(beside)]
        if centres:
            spacing = float(np.median(np.diff(sorted(centres)))) if len(centres) > 1 else 1e9
            members: list[list[Word]] = [[] for _ in centres]
            for words, position in units:
                nearest = min(range(len(centres)), key=lambda i: abs(centres[i] - position))
                if abs(centres[nearest] - position) <= 0.6 * spacing:
                    members[nearest].extend(words)
            for index, centre in enumerate(centres):
                if not members[index]:  # the block pass dropped it: read that label alone
                    members[index] = layout.read_line(
                        _label_region(plot, layout, orientation, row, centre, spacing)
                    )
            found = [(clean_label(join_words(m)), c) for m, c in zip(members, centres, strict=True)]
        elif orientation == "vertical":
            phrases = split_row(row, gap_factor=0.8)
            found = [
                (clean_label(join_words(p)), (p[0].box.x0 + p[-1].box.x1) / 2) for p in phrases
            ]
            found = [(text, position) for text, position in found if text]
        else:
            found = [(clean_label(join_words(words)), position) for words, position in units]
            found = [(text, position) for text, position in found if text]
        texts = harmonise_labels([text for text, _ in found])
        return [(text, position) for text, (_, position) in zip(texts, found, strict=True)]

    # -------------------------------------------------------------- result

    def _build_result(
        self,
        verdict: ChartClassification,
        plot: PlotArea,
        layout: TextLayout,
        legend: Legend,
        extraction: Extraction,
    ) -> ChartResult:
        notes = list(layout.errors) + extraction.notes
        fit = extraction.fit
        horizontal = extraction.orientation == "horizontal"
        value_title = layout.bottom_title(numeric=True) if horizontal else layout.left_title
        category_title = layout.left_title if horizontal else layout.bottom_title(numeric=False)
        axis = ValueAxis(label=value_title, unit=_unit(layout, extraction, value_title))
        decimals = 2
        if fit is not None:
            if horizontal:
                ends = (fit.value_at(plot.box.x0), fit.value_at(plot.box.x1))
            else:
                ends = (fit.value_at(plot.box.y1), fit.value_at(plot.box.y0))
            decimals = _decimals_for(abs(ends[1] - ends[0]))
            axis.min = round(float(min(ends)), decimals)
            axis.max = round(float(max(ends)), decimals)
        series = []
        for name, row in zip(extraction.series_names, extraction.readings, strict=True):
            values = [None if r.value is None else _round_value(r, decimals) for r in row]
            series.append(Series(name=name, values=values))
        x_labels = [c.label for c in extraction.categories]
        confidence = _confidence(verdict, extraction, notes)
        table = _table(category_title, x_labels, series)
        return ChartResult(
            kind=extraction.kind if extraction.kind != "unknown" or not series else "unknown",
            title=_title(layout, plot, legend),
            x_labels=x_labels,
            x_axis_label=category_title,
            y_axis=axis,
            series=series,
            table=table,
            confidence=confidence,
            is_chart=verdict.is_chart,
            notes=notes,
        )

    def _unknown(self, verdict: ChartClassification, note: str) -> ChartResult:
        probability = verdict.confidence if verdict.is_chart else 1 - verdict.confidence
        return ChartResult(
            kind="unknown",
            confidence=round(min(0.1, 0.1 * probability), 3),
            is_chart=verdict.is_chart,
            notes=[note],
        )


# ------------------------------------------------------------------ helpers


def _dilated_union(masks: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray | None:
    union = _union(masks)
    if union is None:
        return None
    return cv2.dilate(union.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _union(masks: list[np.ndarray]) -> np.ndarray | None:
    if not masks:
        return None
    union = masks[0].copy()
    for mask in masks[1:]:
        union |= mask
    return union


def _share_a_baseline(boxes: list[Box]) -> bool:
    """Bars stand on a common edge (the value-0 line); scattered blocks (markers) do not."""
    if len(boxes) < 2:
        return bool(boxes)
    for edges in ([b.y1 for b in boxes] + [b.y0 for b in boxes], [b.x0 for b in boxes]):
        values = np.array(edges, dtype=float)
        if max(np.sum(np.abs(values - v) <= 2) for v in values) >= 0.5 * len(boxes):
            return True
    return False


def _shared_baseline(bars: list[Bar]) -> float | None:
    """The value-axis edge most bars share (where value 0 sits), if at least two share it."""
    if len(bars) == 1:
        return None
    edges = np.array([e for b in bars for e in (b.lo, b.hi)])
    counts = [(np.sum(np.abs(edges - e) <= 1.5), e) for e in edges]
    count, edge = max(counts, key=lambda item: item[0])
    if count < 2:
        return None
    return float(np.median(edges[np.abs(edges - edge) <= 1.5]))


def _tick_labels(words: list[Word]) -> list[Word]:
    """Tick labels as printed: a number and a unit Tesseract split ('1.0' 'kg', '$' '40',
    '1,' '000') rejoined; two numbers side by side stay two labels."""
    labels: list[Word] = []
    for row in group_rows(words):
        for phrase in split_row(row, gap_factor=1.2):
            for word in phrase:
                previous = (
                    labels[-1] if labels and labels[-1].box.intersects_row(word.box) else None
                )
                if previous is not None and _same_label(previous.text, word.text):
                    labels[-1] = Word(
                        text=previous.text + word.text,
                        conf=min(previous.conf, word.conf),
                        box=previous.box.union(word.box),
                    )
                else:
                    labels.append(word)
    return labels


def _same_label(before: str, after: str) -> bool:
    has_digit = [any(ch.isdigit() for ch in text) for text in (before, after)]
    return not all(has_digit) or before.endswith((",", ".")) or after.startswith((",", "."))


def _bar_quality(bar: Bar, far: float, baseline: float, fit: AxisFit | None) -> float:
    """How precisely geometry fixes this bar's value: half a pixel against its length."""
    if fit is None:
        return 0.0
    length = max(abs(far - baseline), 0.5)
    relative = 0.7 / length
    return float(fit.confidence * math.exp(-max(relative - 0.01, 0.0) / 0.04))


def _label_region(
    plot: PlotArea,
    layout: TextLayout,
    orientation: str,
    row: list[Word],
    centre: float,
    spacing: float,
) -> Box:
    """Where the category label at ``centre`` must be printed."""
    half = 0.5 * min(spacing, 40 * layout.text_height)
    if orientation == "vertical":
        top = min((w.box.y0 for w in row), default=plot.box.y1 + 2)
        bottom = max((w.box.y1 for w in row), default=plot.box.y1 + 3 * layout.text_height)
        return Box(centre - half, top - 3, centre + half, bottom + 3)
    return Box(0, centre - half, plot.box.x0 - 3, centre + half)


def _dedupe(positions: list[float], within: float = 2.0) -> list[float]:
    """Sorted positions with near-duplicates (a tick and its gridline) merged."""
    merged: list[float] = []
    for position in sorted(positions):
        if merged and position - merged[-1] <= within:
            continue
        merged.append(position)
    return merged


def _series_keys(groups: list[list[Bar]], legend: Legend):
    """Series identity: one series when every group holds one bar; else colour when each
    colour appears at most once per group, else the bar's position within its group."""
    if all(len(g) == 1 for g in groups):
        return [0], lambda bar, group: 0
    by_colour = all(len({b.cluster for b in g}) == len(g) for g in groups)
    if by_colour:
        clusters = sorted({b.cluster for g in groups for b in g})
        position = {
            c: np.mean(
                [
                    sorted(g, key=lambda b: b.cat_center).index(b)
                    for g in groups
                    for b in g
                    if b.cluster == c
                ]
            )
            for c in clusters
        }
        clusters.sort(key=lambda c: (_legend_rank(legend, c), position[c]))
        return [("colour", c) for c in clusters], lambda bar, group: ("colour", bar.cluster)
    width = max(len(g) for g in groups)

    def position_key(bar: Bar, group: list[Bar]):
        return ("position", sorted(group, key=lambda b: b.cat_center).index(bar))

    return [("position", i) for i in range(width)], position_key


def _series_names(keys, key_of, legend: Legend) -> list[str]:
    names = []
    for index, key in enumerate(keys):
        name = None
        if isinstance(key, tuple) and key[0] == "colour":
            name = legend.name_of(key[1])
        elif key == 0 and len(keys) == 1 and len(legend.entries) == 1:
            name = legend.entries[0].name
        elif isinstance(key, tuple) and key[0] == "position" and len(legend.entries) == len(keys):
            name = legend.entries[index].name
        names.append(name or f"Series {index + 1}")
    return names


def _legend_rank(legend: Legend, cluster: int) -> float:
    rank = legend.order_of(cluster)
    return float(rank) if rank is not None else 1e6 + cluster


def _unit(layout: TextLayout, extraction: Extraction, axis_title: str) -> str:
    fit = extraction.fit
    units: Counter[str] = Counter()
    horizontal = extraction.orientation == "horizontal"
    words = layout.bottom_ticks(numeric=True) if horizontal else layout.left
    for word in _tick_labels(words):
        number = parse_number(word.text)
        if number is not None and number.unit:
            units[number.unit] += 1
    if units and fit is not None:
        unit, count = units.most_common(1)[0]
        if count >= max(2, fit.inliers // 2):
            return unit
    return unit_from_axis_title(axis_title)


def _title(layout: TextLayout, plot: PlotArea, legend: Legend) -> str:
    above = [
        w
        for w in layout.above
        if w.box.x1 > plot.box.x0 and not (legend.box and legend.box.intersects(w.box))
    ]
    return clean_label(" ".join(join_words(row) for row in group_rows(above)))


def _decimals_for(span: float) -> int:
    if span <= 0:
        return 2
    return int(max(0, 3 - math.floor(math.log10(span))))


def _round_value(reading: Reading, decimals: int) -> float:
    value = float(reading.value)
    if reading.label_agrees:
        return value
    return round(value, decimals)


def _table(category_title: str, x_labels: list[str], series: list[Series]) -> list[list[str]]:
    if not series:
        return []
    header = [category_title or "category", *[s.name for s in series]]
    rows = [header]
    for index, label in enumerate(x_labels):
        row = [label]
        for s in series:
            value = s.values[index] if index < len(s.values) else None
            row.append("" if value is None else f"{value:g}")
        rows.append(row)
    return rows


def _confidence(verdict: ChartClassification, extraction: Extraction, notes: list[str]) -> float:
    """Trust in the table: per-value evidence (label agreeing with geometry, or geometry
    alone weighted by the tick-fit quality and its pixel precision), times coverage of the
    expected cells, times the chart/not-chart verdict."""
    readings = [r for row in extraction.readings for r in row]
    if extraction.kind == "unknown" or not readings:
        return 0.05
    per_value = []
    for reading in readings:
        if reading.value is None:
            per_value.append(0.0)
        elif reading.label_agrees:
            per_value.append(0.97)
        elif reading.label_agrees is False:
            per_value.append(0.35 * reading.quality)
        else:
            per_value.append(reading.quality)
    score = float(np.mean(per_value))
    labelled = [r for r in readings if r.label is not None]
    if len(labelled) >= 3:
        agreement = sum(bool(r.label_agrees) for r in labelled) / len(labelled)
        if agreement < 0.5:
            notes.append(f"only {agreement:.0%} of printed values agree with the geometry")
    missing_labels = sum(1 for c in extraction.categories if not c.label)
    if extraction.categories and missing_labels:
        score *= 1.0 - 0.3 * missing_labels / len(extraction.categories)
        notes.append(f"{missing_labels} category label(s) not read")
    if extraction.fit is None:
        notes.append("no value axis calibration")
    probability = verdict.confidence if verdict.is_chart else 1.0 - verdict.confidence
    score *= 0.6 + 0.4 * probability
    score *= extraction.coverage**2
    return round(float(np.clip(score, 0.0, 1.0)), 3)


def parse_chart_bytes(data: bytes, mime: str | None = None, **limits) -> ChartResult:
    """Convenience: parse bytes with default options (tests, the benchmark, the CLI)."""
    limits.setdefault("max_bytes", 20 * 1024 * 1024)
    limits.setdefault("max_pixels", 40_000_000)
    return ChartParser().parse_bytes(data, mime, **limits)


__all__ = ["ChartParser", "ParsedNumber", "ParserOptions", "Word", "parse_chart_bytes"]
