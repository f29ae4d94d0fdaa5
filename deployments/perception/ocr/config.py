"""Settings of the OCR deployment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from serve.config.base import DeploymentSettings


class OcrSettings(DeploymentSettings):
    """Text-layer PDFs, scans and images; Tesseract locally, Nougat on GPUs."""

    enabled: bool = Field(True, description="Deploy OCR (False: PDF and image parts get a 422).")
    backend: Literal["tesseract", "rapidocr", "nougat"] = Field(
        "tesseract",
        description=(
            "Engine for pages without a text layer: tesseract (Debian tesseract-ocr), rapidocr "
            "(PP-OCR on onnxruntime), nougat (academic PDFs; GPU profile, needs its weights)."
        ),
    )
    backend_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Engine options: tesseract `psm`/`oem`, nougat `model`/`batch_size`...",
    )
    languages: list[str] = Field(["eng"], min_length=1, description="Tesseract language packs.")
    max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest PDF or image accepted, in bytes (413)."
    )
    max_pages: int = Field(200, ge=1, description="Most pages read from one PDF (413 beyond).")
    max_pixels: int = Field(
        60_000_000,
        ge=10_000,
        description="Most pixels in one image or rendered page (decompression-bomb guard).",
    )
    dpi: int = Field(200, ge=72, le=600, description="Resolution scanned PDF pages render at.")
    min_text_chars: int = Field(
        20, ge=0, description="A PDF page with fewer text-layer characters is OCR'd instead."
    )
    max_parallel_pages: int = Field(
        2, ge=1, description="Pages OCR'd at once per request (bounded by the cores)."
    )
    max_concurrent_requests: int = Field(
        2, ge=1, description="Documents processed at once per replica; the rest wait."
    )
    extract_tables: bool = Field(True, description="Find tables (ruled in PDFs, by geometry).")
    num_cpus: float = Field(1.0, ge=0, description="Logical CPUs reserved per replica.")
    max_ongoing_requests: int = Field(
        8, ge=1, description="Requests one replica accepts at once (OCR is CPU-bound)."
    )
