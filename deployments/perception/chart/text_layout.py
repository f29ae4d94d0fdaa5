"""Where the text of a chart is: OCR of the regions around and inside the plot area."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from deployments.perception.chart.axes import PlotArea, ink_mask
from deployments.perception.chart.geometry import Box
from deployments.perception.chart.labels import (
    OcrUnavailable,
    Word,
    group_rows,
    is_wordlike,
    join_words,
    ocr_scale,
    ocr_words,
    parse_number,
    text_gray,
)


@dataclass
class TextLayout:
    """OCR words by role. ``left``: tick labels left of the plot (values, or categories of a
    horizontal bar chart); ``bottom_rows``: rows below the plot, nearest first; ``inside``:
    value labels and legend names in the plot; ``outside``: legends beside it; ``above``: the
    title (and legends above the plot)."""

    text_height: float
    left: list[Word] = field(default_factory=list)
    bottom_rows: list[list[Word]] = field(default_factory=list)
    inside: list[Word] = field(default_factory=list)
    outside: list[Word] = field(default_factory=list)
    above: list[Word] = field(default_factory=list)
    left_title: str = ""
    errors: list[str] = field(default_factory=list)
    page: np.ndarray | None = field(default=None, repr=False)  # the image OCR read
    scale: float = 2.0
    lang: str = "eng"
    timeout_s: float = 15.0

    def read_line(self, region: Box) -> list[Word]:
        """OCR one short line again, alone (a label the block pass dropped)."""
        if self.page is None:
            return []
        try:
            words = ocr_words(
                self.page,
                region,
                scale=self.scale,
                psm=7,
                timeout_s=self.timeout_s,
                lang=self.lang,
            )
        except OcrUnavailable as exc:
            self.errors.append(str(exc))
            return []
        return _clean(words, self.text_height)

    def tick_row_index(self, numeric: bool) -> int | None:
        """Which row below the plot holds the tick labels: the nearer of the first two rows,
        unless the second holds more numbers (``numeric``) or words (the first is then stray
        marks from the ticks)."""
        rows = self.bottom_rows[:2]
        if not rows:
            return None

        def weight(row: list[Word]) -> int:
            return sum(parse_number(w.text) is not None for w in row) if numeric else len(row)

        return 1 if len(rows) == 2 and weight(rows[1]) > weight(rows[0]) else 0

    def bottom_ticks(self, numeric: bool) -> list[Word]:
        index = self.tick_row_index(numeric)
        return [] if index is None else self.bottom_rows[index]

    def bottom_title(self, numeric: bool) -> str:
        """The axis title: the rows below the tick-label row."""
        index = self.tick_row_index(numeric)
        after = [] if index is None else self.bottom_rows[index + 1 :]
        return " ".join(join_words(row) for row in after).strip()

    @property
    def all_words(self) -> list[Word]:
        rows = [w for row in self.bottom_rows for w in row]
        return self.left + rows + self.inside + self.outside + self.above


def estimate_text_height(rgb: np.ndarray, plot: PlotArea) -> float:
    """Median glyph height of the tick labels left of and below the plot (digits' height)."""
    height, width = rgb.shape[:2]
    heights: list[int] = []
    regions = [
        Box(0, plot.box.y0, max(plot.box.x0 - 4, 0), plot.box.y1),
        Box(plot.box.x0, plot.box.y1 + 4, plot.box.x1, height),
    ]
    for region in regions:
        region = region.clip(height, width)
        if region.width < 3 or region.height < 3:
            continue
        crop = rgb[region.y0 : region.y1, region.x0 : region.x1]
        mask = ink_mask(crop, plot.figure_bg, threshold=120).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for index in range(1, count):
            h, w = int(stats[index, cv2.CC_STAT_HEIGHT]), int(stats[index, cv2.CC_STAT_WIDTH])
            if 4 <= h <= 0.08 * height and w <= 2 * h:
                heights.append(h)
    if not heights:
        return max(6.0, 0.02 * height)
    return float(np.median(heights))


def read_text(
    rgb: np.ndarray,
    plot: PlotArea,
    hide: np.ndarray | None,
    *,
    lang: str,
    timeout_s: float,
    enabled: bool = True,
) -> TextLayout:
    """OCR the chart in four or five Tesseract calls: left ticks (block), bottom rows (block),
    the rotated axis title, the title above the plot (block), and the rest (sparse text)."""
    text_height = estimate_text_height(rgb, plot)
    layout = TextLayout(text_height=text_height)
    if not enabled:
        return layout
    height, width = rgb.shape[:2]
    gray = text_gray(rgb, hide, (plot.figure_bg, plot.plot_bg))
    # Gridlines and frames make Tesseract see a table; text a gridline crosses stays dark.
    gray[_straight_lines(gray) & (gray >= 120)] = 255
    scale = ocr_scale(text_height)
    box = plot.box
    pad = round(1.5 * text_height)
    left = Box(0, max(0, box.y0 - pad), box.x0, min(height, box.y1 + pad))
    bottom = Box(max(0, box.x0 - 3 * pad), box.y1, min(width, box.x1 + 2 * pad), height)
    try:
        tick_block, title_block = _left_blocks(gray, left, text_height)
        if tick_block is not None:
            layout.left = _clean(
                ocr_words(gray, tick_block, scale=scale, psm=6, timeout_s=timeout_s, lang=lang)
            )
        if title_block is not None:
            words = ocr_words(
                gray, title_block, scale=scale, psm=7, timeout_s=timeout_s, lang=lang, rotate=True
            )
            layout.left_title = " ".join(w.text for w in _clean(words))  # reading order
        layout.scale, layout.lang, layout.timeout_s = scale, lang, timeout_s
        corner = gray.copy()  # the lowest y tick label overhangs the x-axis: not a category
        corner[: box.y1 + round(0.6 * text_height), : max(box.x0 - 1, 0)] = 255
        for word in layout.left:
            if word.box.y1 > box.y1:
                hidden = word.box.pad(2).clip(height, width)
                corner[hidden.y0 : hidden.y1, hidden.x0 : hidden.x1] = 255
        bottom_words = _clean(
            ocr_words(corner, bottom, scale=scale, psm=6, timeout_s=timeout_s, lang=lang)
        )
        layout.bottom_rows = group_rows(bottom_words)
        layout.page = corner
        top = Box(box.x0, 0, width, box.y0)
        layout.above = _clean(
            ocr_words(gray, top, scale=scale, psm=6, timeout_s=timeout_s, lang=lang), text_height
        )
        rest = gray.copy()
        rest[left.y0 : left.y1, : left.x1] = 255
        rest[bottom.y0 :, bottom.x0 : bottom.x1] = 255
        rest[: box.y0, box.x0 :] = 255
        main = Box(0, 0, width, box.y1)
        words = ocr_words(rest, main, scale=scale, psm=11, timeout_s=timeout_s, lang=lang)
        words = _clean(words, text_height)
    except OcrUnavailable as exc:
        layout.errors.append(str(exc))
        return layout
    inner = plot.inner
    for word in words:
        if inner.contains_point(word.box.cx, word.box.cy):
            layout.inside.append(word)
        else:
            layout.outside.append(word)
    return layout


def _straight_lines(gray: np.ndarray) -> np.ndarray:
    """Pixels of long, thin, dark horizontal or vertical lines (axes, gridlines, frames),
    grown by one. Ink is judged against the local background, so a grey panel is not ink."""
    height, width = gray.shape
    local = cv2.medianBlur(np.clip(gray, 0, 255).astype(np.uint8), 21).astype(np.float32)
    drawn = (gray < local - 25).astype(np.uint8)  # darker than what surrounds it: ink
    lines = np.zeros_like(drawn)
    across, down = max(25, width // 8), max(25, height // 8)
    for long_shape, thick_shape in (((across, 1), (across, 6)), ((1, down), (6, down))):
        long_parts = cv2.morphologyEx(drawn, cv2.MORPH_OPEN, np.ones(long_shape[::-1], np.uint8))
        thick_parts = cv2.morphologyEx(drawn, cv2.MORPH_OPEN, np.ones(thick_shape[::-1], np.uint8))
        lines |= long_parts & (1 - thick_parts)
    return cv2.dilate(lines, np.ones((3, 3), np.uint8)).astype(bool)


def _clean(words: list[Word], text_height: float | None = None) -> list[Word]:
    """Words with a letter or digit and a plausible size (Tesseract sometimes reads a
    whole plot region as one garbage 'word')."""
    kept = [w for w in words if is_wordlike(w.text)]
    if text_height is None:
        return kept
    return [
        w
        for w in kept
        if min(w.box.height, w.box.width) <= 4 * text_height
        and w.box.width / len(w.text) <= 3 * text_height
    ]


def _left_blocks(gray: np.ndarray, region: Box, text_height: float) -> tuple[Box | None, ...]:
    """Split the left margin into the tick-label block (next to the axis) and, further left,
    the axis title: a narrow column of rotated text, one long run of ink from top to bottom
    (tick labels are short rows with gaps between them)."""
    region = region.clip(*gray.shape)
    if region.width < 3:
        return None, None
    crop = gray[region.y0 : region.y1, region.x0 : region.x1]
    background = float(np.median(crop))
    inked = np.abs(crop - background) > 60
    columns = np.flatnonzero(inked.any(axis=0))
    if columns.size == 0:
        return None, None
    blocks: list[list[int]] = [[int(columns[0]), int(columns[0]) + 1]]
    for column in columns[1:]:
        if column - blocks[-1][1] > 0.4 * text_height:
            blocks.append([int(column), int(column) + 1])
        else:
            blocks[-1][1] = int(column) + 1
    if len(blocks) > 1 and _is_tick_marks(crop, blocks[-1], background):
        blocks.pop()
    title_index = None
    for index, block in enumerate(blocks[:-1]):
        if _is_rotated_text(inked[:, block[0] : block[1]], text_height):
            title_index = index
    margin = max(2, round(0.3 * text_height))
    first_tick = blocks[title_index + 1][0] if title_index is not None else blocks[0][0]
    tick_box = Box(max(region.x0 + first_tick - margin, region.x0), region.y0, region.x1, region.y1)
    title_box = None
    if title_index is not None:
        title = blocks[title_index]
        title_box = Box(
            max(region.x0 + title[0] - margin, 0),
            region.y0,
            region.x0 + min(title[1] + margin, first_tick),
            region.y1,
        )
    return tick_box, title_box


def _is_rotated_text(block: np.ndarray, text_height: float) -> bool:
    """One narrow, tall stretch of ink with only letter-sized gaps: rotated words."""
    if block.shape[1] > 1.8 * text_height:
        return False
    rows = np.flatnonzero(block.any(axis=1))
    if rows.size == 0:
        return False
    gaps = np.diff(rows)
    longest_gap = int(gaps.max()) if gaps.size else 0
    return rows[-1] - rows[0] >= 2.0 * text_height and longest_gap <= 1.8 * text_height


def _is_tick_marks(crop: np.ndarray, block: list[int], background: float) -> bool:
    """A block of short horizontal strokes across its whole width: the ticks, not labels."""
    part = np.abs(crop[:, block[0] : block[1]] - background) > 60
    rows = part.any(axis=1)
    if not rows.any() or block[1] - block[0] > 12:
        return False
    return bool(np.all(part[rows].sum(axis=1) >= 0.8 * (block[1] - block[0])))
