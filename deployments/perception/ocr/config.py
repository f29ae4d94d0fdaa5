"""Settings of the OCR deployment and the options of each OCR backend."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments.common.settings import DeploymentSettings

BackendName = Literal["tesseract", "rapidocr", "nougat"]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TesseractOptions(_Options):
    """``backend_options`` of the tesseract backend."""

    psm: int = Field(3, ge=0, le=13, description="Page segmentation mode (3: automatic).")
    oem: int = Field(1, ge=0, le=3, description="Engine mode (1: LSTM only).")
    min_word_confidence: float = Field(
        0.0, ge=0, le=1, description="Words below this confidence (0..1) are dropped."
    )
    extra_config: str = Field("", description="Extra command-line config, e.g. '-c key=value'.")
    recover_missed: bool = Field(
        True,
        description=(
            "Second pass over ink the first pass left unread (Tesseract's layout analysis can "
            "drop a narrow column of short numbers): only that ink is OCR'd again, as one "
            "block of text, and its words join the page. One more Tesseract run on such pages."
        ),
    )


class RapidOcrOptions(_Options):
    """``backend_options`` of the rapidocr backend (PP-OCR models shipped in the package)."""

    threads: int = Field(0, ge=0, description="onnxruntime intra-op threads (0: library default).")
    text_score: float = Field(0.5, ge=0, le=1, description="Lines scored below this are dropped.")
    use_angle_cls: bool = Field(
        False,
        description=(
            "Run PP-OCR's 0/180° line classifier. Off: on upright pages it flipped some long "
            "lines and garbled them (83% → 100% characters on the bench's clean scans)."
        ),
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Raw RapidOCR params, e.g. {'Det.box_thresh': 0.5}."
    )


class NougatOptions(_Options):
    """``backend_options`` of the nougat backend (transformers' Nougat port)."""

    model: str = Field(
        "facebook/nougat-base",
        min_length=1,
        description="HF model id or local folder with the Nougat weights and processor.",
    )
    device: Literal["auto", "cuda", "cpu"] = Field(
        "auto", description="Where the model runs (auto: cuda when available)."
    )
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = Field(
        "auto", description="Weights dtype (auto: float16 on cuda, float32 on cpu)."
    )
    max_new_tokens: int = Field(3584, ge=1, description="Longest generated markdown per page.")
    num_beams: int = Field(1, ge=1, description="Beam search width (1: greedy).")
    local_files_only: bool = Field(
        False, description="Never contact the hub (offline clusters with a model volume)."
    )
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit).")


BACKEND_OPTIONS: dict[str, type[_Options]] = {
    "tesseract": TesseractOptions,
    "rapidocr": RapidOcrOptions,
    "nougat": NougatOptions,
}


class OcrSettings(DeploymentSettings):
    """Text-layer PDFs, scans and images; Tesseract locally, Nougat on GPUs."""

    enabled: bool = Field(True, description="Deploy OCR (False: PDF and image parts get a 422).")
    backend: BackendName = Field(
        "tesseract",
        description=(
            "Engine for pages without a text layer: tesseract (Debian tesseract-ocr), rapidocr "
            "(PP-OCR on onnxruntime), nougat (academic PDFs; GPU profile, needs its weights)."
        ),
    )
    backend_options: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Engine options, checked against the backend: tesseract psm/oem/"
            "min_word_confidence/extra_config; rapidocr threads/text_score/use_angle_cls/params; "
            "nougat model/device/dtype/max_new_tokens/num_beams/local_files_only/revision."
        ),
    )
    languages: list[str] = Field(
        default_factory=lambda: ["eng"],
        min_length=1,
        description="Tesseract language packs (Debian tesseract-ocr-<lang>), e.g. ['eng', 'deu'].",
    )
    max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest PDF or image accepted, in bytes (413)."
    )
    max_pages: int = Field(
        200, ge=1, description="Most pages read from one request (413 beyond; select `pages`)."
    )
    max_pixels: int = Field(
        60_000_000,
        ge=10_000,
        description=(
            "Most pixels in one image or frame (413, checked from the header before decoding; "
            "also PIL's decompression-bomb limit). PDF pages render at a lower dpi to fit."
        ),
    )
    dpi: int = Field(200, ge=72, le=600, description="Resolution scanned PDF pages render at.")
    assumed_image_dpi: int = Field(
        200,
        ge=50,
        le=1200,
        description=(
            "Resolution assumed for an image that declares none when too little text is on it "
            "to estimate one from the glyph sizes."
        ),
    )
    min_text_chars: int = Field(
        20,
        ge=0,
        description="In mode auto, a PDF page with fewer text-layer characters is OCR'd instead.",
    )
    max_parallel_pages: int = Field(
        2, ge=1, description="Pages OCR'd at once per replica (bounded by the cores)."
    )
    max_concurrent_requests: int = Field(
        2, ge=1, description="Documents processed at once per replica; the rest wait."
    )
    page_timeout_s: float = Field(
        120.0, gt=0, description="Longest OCR of one page before the request fails (413)."
    )
    extract_tables: bool = Field(
        True, description="Find tables: ruled ones in PDFs and scans, unruled ones by geometry."
    )
    deskew: bool = Field(
        True, description="Straighten slightly rotated scans (projection-profile angle search)."
    )
    max_skew_deg: float = Field(10.0, ge=0, le=45, description="Largest skew deskew looks for.")
    detect_orientation: bool = Field(
        False, description="Turn pages scanned sideways or upside down (Tesseract OSD, ~1 s)."
    )
    denoise: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Binarise and despeckle before OCR (auto: when the background is noisy).",
    )
    remove_rulings: bool = Field(
        True, description="Erase table rulings from scans before OCR (they read as | and _)."
    )
    fallback_backend: BackendName | None = Field(
        "rapidocr",
        description=(
            "A second engine for pages the first reads unsurely (page confidence below "
            "fallback_below: thermal receipts, faded photos); its reading replaces the first's "
            "when it is surer. None: off. Unavailable engines are skipped with a warning."
        ),
    )
    fallback_below: float = Field(
        0.85, ge=0, le=1, description="Page confidence under which the fallback engine runs."
    )
    verify_values: bool = Field(
        True,
        description=(
            "Read the words with digits (amounts, dates, numbers) a second time and mark in "
            "each block whether the readings agree (word_checks): against the fallback "
            "engine's reading when the page had one, else by rapidocr's recogniser on the "
            "words' crops (one batch per page). Answers built on a disagreeing word are not "
            "trusted. Needs rapidocr; skipped without it."
        ),
    )
    verify_max_words: int = Field(
        120, ge=1, description="Most words per page read a second time (top of the page first)."
    )
    fallback_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the fallback engine (as backend_options)."
    )
    num_cpus: float = Field(1.0, ge=0, description="Logical CPUs reserved per replica.")
    max_ongoing_requests: int = Field(
        8, ge=1, description="Requests one replica accepts at once (OCR is CPU-bound)."
    )

    @model_validator(mode="after")
    def _check_backend_options(self) -> OcrSettings:
        try:
            BACKEND_OPTIONS[self.backend].model_validate(self.backend_options)
        except ValueError as exc:
            raise ValueError(f"backend_options for {self.backend}: {exc}") from None
        if self.fallback_backend is not None:
            try:
                BACKEND_OPTIONS[self.fallback_backend].model_validate(self.fallback_options)
            except ValueError as exc:
                raise ValueError(f"fallback_options for {self.fallback_backend}: {exc}") from None
        return self

    def options(self) -> Any:
        """The validated options model of the configured backend."""
        return BACKEND_OPTIONS[self.backend].model_validate(self.backend_options)
