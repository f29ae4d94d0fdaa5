"""Settings of the chart deployment (validated with the rest of the app config)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from deployments.common.settings import AutoscalingSettings, DeploymentSettings


class ChartSettings(DeploymentSettings):
    """Chart image → table: the classical pipeline (Tesseract labels + plot geometry)."""

    enabled: bool = Field(True, description="Deploy the chart parser (False: image charts → OCR).")
    backend: Literal["classical"] = Field(
        "classical",
        description="Parser backend: 'classical' = Tesseract labels, colour masks, tick fit.",
    )
    backend_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Backend-specific knobs passed to the parser (e.g. {'ocr': False}).",
    )
    max_ongoing_requests: int = Field(
        8, ge=1, description="Requests one replica accepts at once (CPU-bound: keep it small)."
    )
    autoscaling_config: AutoscalingSettings = Field(
        default_factory=lambda: AutoscalingSettings(target_ongoing_requests=2.0),
        description="Replica autoscaling.",
    )
    max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest accepted image, in bytes (413 beyond)."
    )
    max_pixels: int = Field(
        40_000_000,
        ge=1024,
        description="Largest accepted width x height, checked from the header before decoding.",
    )
    work_max_side: int = Field(
        2000, ge=256, description="Images are downscaled to this longest side before parsing."
    )
    max_concurrency: int = Field(
        2, ge=1, description="Images parsed at once per replica (threads); others wait."
    )
    ocr_lang: str = Field("eng", min_length=1, description="Tesseract language(s), e.g. 'eng'.")
    ocr_timeout_s: float = Field(
        15.0, gt=0, description="Deadline of one Tesseract call; past it the text is skipped."
    )
    chart_threshold: float = Field(
        0.5, ge=0, le=1, description="is_chart probability at or above which an image is a chart."
    )
