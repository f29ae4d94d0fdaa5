"""The load-test configuration (``loadtest/mix.yaml``): request mixes, load shapes, timeouts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

LOADTEST_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = LOADTEST_DIR / "mix.yaml"
REPORTS_DIR = LOADTEST_DIR / "reports"

# Request categories, in the order reports list them.
CATEGORIES = ("text", "arithmetic", "pdf", "scan", "chart", "audio", "url")
Category = Literal["text", "arithmetic", "pdf", "scan", "chart", "audio", "url"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PayloadSettings(_Strict):
    """How the request bodies are pre-generated (once, then cached)."""

    seed: int = Field(7, description="Seed of every generator: same seed, same payloads.")
    variants: int = Field(4, ge=1, le=64, description="Distinct requests per category.")
    max_tokens: int = Field(64, ge=1, description="max_tokens of every chat request.")
    model: str = Field("interfaze", min_length=1, description="The `model` field sent.")


class SpikeShapeSettings(_Strict):
    """Baseline → linear ramp to the peak → hold → drop back to baseline → cool down."""

    kind: Literal["spike"] = "spike"
    base_rps: float = Field(..., ge=0)
    peak_rps: float = Field(..., gt=0)
    baseline_s: float = Field(..., ge=0)
    ramp_s: float = Field(..., ge=0)
    hold_s: float = Field(..., gt=0)
    drop_s: float = Field(0.0, ge=0)
    cool_s: float = Field(..., ge=0)
    rps_per_user: float = Field(1.0, gt=0, description="Requests/s one locust user sends.")


class SteadyShapeSettings(_Strict):
    """A constant rate after a linear warm-up."""

    kind: Literal["steady"] = "steady"
    rps: float = Field(..., gt=0)
    warmup_s: float = Field(0.0, ge=0)
    duration_s: float = Field(..., gt=0)
    rps_per_user: float = Field(1.0, gt=0, description="Requests/s one locust user sends.")


ShapeSettings = Annotated[SpikeShapeSettings | SteadyShapeSettings, Field(discriminator="kind")]


class TimeoutSettings(_Strict):
    connect_s: float = Field(5.0, gt=0)
    request_s: float = Field(30.0, gt=0)


class LoadTestConfig(_Strict):
    """The whole ``mix.yaml``."""

    payloads: PayloadSettings = Field(default_factory=PayloadSettings)
    mixes: dict[str, dict[Category, float]]
    shapes: dict[str, ShapeSettings]
    timeouts: TimeoutSettings = Field(default_factory=TimeoutSettings)

    @field_validator("mixes")
    @classmethod
    def _check_weights(cls, mixes: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, weights in mixes.items():
            if any(w < 0 for w in weights.values()):
                raise ValueError(f"mix {name!r}: weights must be >= 0")
            if sum(weights.values()) <= 0:
                raise ValueError(f"mix {name!r}: at least one weight must be > 0")
        return mixes

    def mix(self, name: str) -> dict[str, float]:
        try:
            return dict(self.mixes[name])
        except KeyError:
            raise KeyError(f"unknown mix {name!r}; known: {sorted(self.mixes)}") from None

    def shape(self, name: str) -> SpikeShapeSettings | SteadyShapeSettings:
        try:
            return self.shapes[name]
        except KeyError:
            raise KeyError(f"unknown shape {name!r}; known: {sorted(self.shapes)}") from None


def load_loadtest_config(path: str | Path | None = None) -> LoadTestConfig:
    """Read and validate ``mix.yaml`` (or another file with the same layout)."""
    raw = yaml.safe_load(Path(path or DEFAULT_CONFIG).read_text()) or {}
    return LoadTestConfig.model_validate(raw)
