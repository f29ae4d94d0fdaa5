"""The chart deployment's output: a table with the axes, series and a confidence."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ChartKind = Literal["bar", "grouped_bar", "line", "hbar", "unknown"]


class ValueAxis(BaseModel):
    """The value axis (y for bar/line charts, x for horizontal bars)."""

    min: float | None = Field(None, description="Value at the low end of the plot area.")
    max: float | None = Field(None, description="Value at the high end of the plot area.")
    unit: str = Field("", description="Unit printed on ticks or in the axis title ('%', '$k').")
    label: str = Field("", description="The axis title as printed.")


class Series(BaseModel):
    name: str = Field(..., description="From the legend, else 'Series N'.")
    values: list[float | None] = Field(
        ..., description="One value per x label; None where it could not be read."
    )


class ChartResult(BaseModel):
    """Chart image → table. ``confidence`` is what the router compares to its threshold."""

    kind: ChartKind = Field("unknown", description="Detected chart type.")
    title: str = Field("", description="Chart title as printed above the plot.")
    x_labels: list[str] = Field(default_factory=list, description="Category labels in order.")
    x_axis_label: str = Field("", description="Title of the category axis.")
    y_axis: ValueAxis = Field(default_factory=ValueAxis, description="The value axis.")
    series: list[Series] = Field(default_factory=list, description="Data series.")
    table: list[list[str]] = Field(
        default_factory=list, description="Header row (category, series names) then one row per x."
    )
    confidence: float = Field(0.0, ge=0, le=1, description="Trust in the whole table, 0-1.")
    is_chart: bool = Field(False, description="Whether the image looks like a chart at all.")
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Per step, in ms.")
    notes: list[str] = Field(default_factory=list, description="What lowered the confidence.")


class ChartClassifyResult(BaseModel):
    is_chart: bool
    confidence: float = Field(..., ge=0, le=1)


class ChartReading(BaseModel):
    """``read``: the classifier's verdict and, for a chart, its table, in one call per image."""

    verdict: ChartClassifyResult = Field(..., description="Is the image a chart at all?")
    result: ChartResult | None = Field(
        None, description="The parse; None when the verdict is below the caller's minimum."
    )
