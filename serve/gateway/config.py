"""Gateway settings: one model per hook, composed into :class:`GatewaySettings`.

Paths are relative to the app's ``data_dir`` unless absolute. The lead adds
``gateway: GatewaySettings`` to ``AppConfig``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from deployments.common.settings import StrictModel

# Detector categories the guards score (policies are keyed by these names).
INJECTION, JAILBREAK = "injection", "jailbreak"
SECRET, CARD, IBAN, EMAIL, PHONE = "secret", "card", "iban", "email", "phone"
GUARD_CATEGORIES = (INJECTION, JAILBREAK, SECRET, CARD, IBAN, EMAIL, PHONE)


class GuardAction(StrEnum):
    """What a guard does about a finding; later members are stronger."""

    ALLOW = "allow"
    REDACT = "redact"
    RESTRICT_TOOLS = "restrict_tools"
    REFUSE = "refuse"

    @property
    def rank(self) -> int:
        return list(GuardAction).index(self)


class PolicyStep(StrictModel):
    """One threshold of a category's policy: at or above ``min_score``, take ``action``."""

    min_score: float = Field(..., ge=0, le=1, description="Lowest risk score this step covers.")
    action: GuardAction = Field(..., description="allow, redact, restrict_tools or refuse.")


Policies = dict[str, list[PolicyStep]]


def _steps(*pairs: tuple[float, str]) -> list[PolicyStep]:
    return [PolicyStep(min_score=s, action=GuardAction(a)) for s, a in pairs]


def _check_policies(policies: Policies) -> None:
    unknown = sorted(set(policies) - set(GUARD_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown guard categories {unknown}; known: {list(GUARD_CATEGORIES)}")


class AuthSettings(StrictModel):
    """API keys sent as ``Authorization: Bearer``; stored salted and hashed."""

    enabled: bool = Field(
        True,
        description=(
            "Require an API key. May be false only in the local profile; the server then "
            "logs a warning at start."
        ),
    )
    key_store_path: str = Field(
        "gateway/keys.db",
        description="SQLite key store (relative to data_dir). Share it (PVC) between pods.",
    )
    cache_ttl_s: float = Field(
        5.0,
        ge=0,
        description="Seconds a replica caches a key record; a revocation takes effect after it.",
    )


class ModelPrice(StrictModel):
    """Price of one model per 1,000 tokens, in the budget's currency."""

    prompt_per_1k: float = Field(0.0, ge=0, description="Price per 1k prompt tokens.")
    completion_per_1k: float = Field(0.0, ge=0, description="Price per 1k completion tokens.")


class LimitSettings(StrictModel):
    """Per-key rate limits (token buckets) and daily budgets in estimated cost."""

    enabled: bool = Field(True, description="Enforce rate limits and budgets.")
    requests_per_minute: int | None = Field(
        600, ge=1, description="Default requests/min per key (None: unlimited)."
    )
    request_burst: int | None = Field(
        None, ge=1, description="Bucket size for requests (None: requests_per_minute)."
    )
    llm_tokens_per_minute: int | None = Field(
        200_000,
        ge=1,
        description=(
            "Default LLM tokens/min per key (None: unlimited). Charged after the request; "
            "a key in debt is refused until its bucket refills."
        ),
    )
    daily_budget: float | None = Field(
        None, ge=0, description="Default estimated cost per key per UTC day (None: unlimited)."
    )
    backend: Literal["memory", "ray_actor"] = Field(
        "memory",
        description=(
            "memory: per replica (tests, one replica); ray_actor: one named Ray actor shared "
            "by every router replica."
        ),
    )
    lease_s: float = Field(
        1.0,
        ge=0,
        le=60,
        description=(
            "ray_actor backend: a router replica leases the request permits a key's rate "
            "allows in this many seconds and admits from them without an actor call (never "
            "more than the limit; token and budget limits read at most this late). 0: one "
            "actor round trip per request."
        ),
    )
    actor_name: str = Field("interfaze-gateway-limits", description="Name of the limits actor.")
    actor_namespace: str | None = Field(
        None, description="Ray namespace of the actor (None: the app name)."
    )
    fail_open: bool = Field(
        True, description="Admit requests when the limits backend cannot be reached."
    )
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict, description="Per-model token prices, keyed by model id."
    )
    default_price: ModelPrice = Field(
        default_factory=ModelPrice, description="Price of a model missing from `prices`."
    )
    stage_costs: dict[str, float] = Field(
        default_factory=dict, description="Flat cost per stage run (ocr, asr, browse, ...)."
    )
    default_stage_cost: float = Field(0.0, ge=0, description="Cost of a stage not listed.")
    usage_flush_s: float = Field(
        2.0, ge=0, description="Seconds between writes of per-key usage to the key store."
    )


class ValidationSettings(StrictModel):
    """Size, count and media checks before any stage runs (400/413/415/422)."""

    enabled: bool = Field(True, description="Validate request bodies.")
    max_body_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest request body in bytes (413)."
    )
    max_messages: int = Field(256, ge=1, description="Most messages in one chat request.")
    max_content_parts: int = Field(64, ge=1, description="Most content parts per request.")
    max_images: int = Field(16, ge=0, description="Most image parts per request.")
    max_files: int = Field(8, ge=0, description="Most file (PDF) parts per request.")
    max_audio: int = Field(4, ge=0, description="Most audio parts per request.")
    max_text_chars: int = Field(
        400_000, ge=1, description="Most characters of text over all messages."
    )
    max_part_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest decoded media part, in bytes."
    )
    max_pdf_pages: int = Field(300, ge=1, description="Most pages of one PDF.")
    max_image_pixels: int = Field(
        40_000_000, ge=1, description="Most pixels (width × height) of one image, from its header."
    )
    max_audio_seconds: float = Field(
        1800.0, gt=0, description="Longest audio part in seconds, from its header."
    )
    image_types: list[str] = Field(
        default_factory=lambda: [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "image/bmp",
            "image/tiff",
        ],
        description="Image media types accepted (sniffed from the bytes).",
    )
    strict_mime: bool = Field(
        False,
        description=(
            "Reject a declared subtype that differs from the bytes (image/png declared, JPEG "
            "sent). A different family (image declared, PDF sent) is always rejected."
        ),
    )
    media_url_schemes: list[str] = Field(
        default_factory=lambda: ["data", "https", "http"],
        description=(
            "URL schemes accepted in image_url (http(s) images are downloaded through the "
            "browse stage's SSRF guard, within max_part_bytes); file_data is always data:."
        ),
    )
    max_urls: int = Field(
        8,
        ge=0,
        description=(
            "Most http(s) URLs in user text per request; the browse stage visits those of the "
            "last user message. Which hosts may be reached is actions.browse's allow-list."
        ),
    )


class InjectionSettings(StrictModel):
    """Prompt-injection and jailbreak detection: rules plus embedding similarity."""

    rules: bool = Field(True, description="Score texts with the pattern rules.")
    embedding: bool = Field(
        True, description="Score texts by similarity to the labelled example set."
    )
    embedding_mode: Literal["always", "cued"] = Field(
        "cued",
        description=(
            "always: embed every text; cued: embed only chunks that contain a cue word "
            "(ignore, instructions, assistant, execute, pretend, ...): attacks nearly always "
            "do, most ordinary questions skip the model."
        ),
    )
    model_path: str | None = Field(
        None, description="Sentence-transformers model folder (None: packaged all-MiniLM-L6-v2)."
    )
    dataset_path: str | None = Field(
        None, description="Labelled examples (JSONL; None: serve/gateway/data/prompt_attacks)."
    )
    neighbours: int = Field(
        3, ge=1, description="Nearest examples per class averaged (attack vs benign similarity)."
    )
    margin_scale: float = Field(
        0.2,
        gt=0,
        description="Similarity margin (attack minus benign) that moves the score from 0.5 to 1.",
    )
    min_similarity: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Below this similarity to the nearest attacks the embedding says 0.",
    )
    embedding_weight: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "Most the embedding alone can score (below 1, so a refusal needs a rule as well)."
        ),
    )
    chunk_words: int = Field(48, ge=8, description="Words per chunk embedded from long texts.")
    max_chunks: int = Field(
        24, ge=1, description="Most chunks embedded per text (rules still read all of it)."
    )
    cache_size: int = Field(4096, ge=0, description="Scored texts remembered (by hash).")


def _input_policies() -> Policies:
    return {
        INJECTION: _steps((0.5, "restrict_tools"), (0.92, "refuse")),
        JAILBREAK: _steps((0.5, "restrict_tools"), (0.92, "refuse")),
        SECRET: _steps((0.5, "redact")),
        CARD: _steps((0.5, "redact")),
        IBAN: _steps((0.5, "redact")),
        EMAIL: _steps((0.5, "allow")),
        PHONE: _steps((0.5, "allow")),
    }


def _observation_policies() -> Policies:
    return {
        INJECTION: _steps((0.45, "restrict_tools")),
        JAILBREAK: _steps((0.45, "restrict_tools")),
        SECRET: _steps((0.5, "redact")),
        CARD: _steps((0.5, "redact")),
        IBAN: _steps((0.5, "redact")),
    }


class InputGuardSettings(StrictModel):
    """Policy on request text and on text extracted from documents, pages and audio."""

    enabled: bool = Field(True, description="Scan request text and observations.")
    scan_roles: list[str] = Field(
        default_factory=lambda: ["user", "tool"],
        description="Message roles scanned (system/developer text is the operator's, trusted).",
    )
    injection: InjectionSettings = Field(
        default_factory=InjectionSettings, description="Injection/jailbreak detector."
    )
    policies: Policies = Field(
        default_factory=_input_policies,
        description="Per category, thresholds → action for request text (strongest applies).",
    )
    observation_policies: Policies = Field(
        default_factory=_observation_policies,
        description=(
            "Per category, thresholds → action for extracted text (documents, pages, audio). "
            "`refuse` is allowed but rarely wanted: the user did not write that text."
        ),
    )
    restricted_tools: list[str] = Field(
        default_factory=lambda: ["execute", "browse"],
        description="Tools removed by a restrict_tools action.",
    )
    neutralize_observations: bool = Field(
        True,
        description="Replace sentences that match injection rules in extracted text by a marker.",
    )
    refuse_with: Literal["error", "message"] = Field(
        "error",
        description=(
            "error: HTTP 400 content_policy_violation; message: HTTP 200 with an assistant "
            "refusal (OpenAI `refusal` field, finish_reason content_filter)."
        ),
    )
    refusal_message: str = Field(
        "I can't help with that request: it was flagged by the content policy.",
        min_length=1,
        description="Text of a refusal.",
    )

    @model_validator(mode="after")
    def _known_categories(self) -> InputGuardSettings:
        _check_policies(self.policies)
        _check_policies(self.observation_policies)
        return self


def _output_policies() -> Policies:
    return {
        SECRET: _steps((0.5, "redact")),
        CARD: _steps((0.5, "redact")),
        IBAN: _steps((0.5, "redact")),
        EMAIL: _steps((0.5, "allow")),
        PHONE: _steps((0.5, "allow")),
    }


class OutputGuardSettings(StrictModel):
    """Policy on the answer: redaction and ``response_format`` enforcement."""

    enabled: bool = Field(True, description="Check answers.")
    policies: Policies = Field(
        default_factory=_output_policies,
        description="Per category, thresholds → action on answers (allow or redact).",
    )
    enforce_response_format: bool = Field(
        True, description="Validate JSON answers against the request's response_format."
    )
    format_retries: int = Field(
        1, ge=0, description="Regenerations allowed when the answer breaks response_format."
    )
    stream_holdback_chars: int = Field(
        48,
        ge=0,
        description="Characters a stream holds back so a secret split across chunks is caught.",
    )

    @model_validator(mode="after")
    def _known_categories(self) -> OutputGuardSettings:
        _check_policies(self.policies)
        bad = [
            c for c, steps in self.policies.items() for s in steps if s.action.rank > 1
        ]  # restrict/refuse make no sense once the answer exists
        if bad:
            raise ValueError(f"output policies may only allow or redact (categories {bad})")
        return self


class AuditSettings(StrictModel):
    """One JSON line per request, size-rotated; optional raw inputs with retention."""

    enabled: bool = Field(True, description="Write the audit log.")
    path: str = Field(
        "audit/requests-{replica}.jsonl",
        description="Log file (relative to data_dir); {replica} keeps replicas' files apart.",
    )
    max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Rotate the log when it would exceed this size."
    )
    backups: int = Field(5, ge=0, description="Rotated files kept (requests.jsonl.1 ...).")
    keep_raw_inputs: bool = Field(
        False, description="Store each stage's raw input (prompts, media, extracted text)."
    )
    raw_dir: str = Field("audit/raw", description="Where raw inputs go (relative to data_dir).")
    raw_retention_days: float = Field(
        7.0, gt=0, description="Raw inputs older than this are deleted."
    )
    purge_interval_s: float = Field(
        3600.0, gt=0, description="How often a replica looks for expired raw inputs."
    )


class GatewaySettings(StrictModel):
    """Auth, limits, validation, input and output guards, and audit, in that order."""

    auth: AuthSettings = Field(default_factory=AuthSettings, description="API keys.")
    limits: LimitSettings = Field(default_factory=LimitSettings, description="Rate limits.")
    validation: ValidationSettings = Field(
        default_factory=ValidationSettings, description="Request validation."
    )
    input_guard: InputGuardSettings = Field(
        default_factory=InputGuardSettings, description="Injection, jailbreak, secrets, PII."
    )
    output_guard: OutputGuardSettings = Field(
        default_factory=OutputGuardSettings, description="Redaction and response_format."
    )
    audit: AuditSettings = Field(default_factory=AuditSettings, description="Audit log.")


def check_profile(settings: GatewaySettings, profile: str) -> None:
    """Auth may be off only in the local profile (call from an AppConfig validator)."""
    if not settings.auth.enabled and profile != "local":
        raise ValueError(
            f"gateway.auth.enabled is false in profile {profile!r}: auth may be disabled only "
            "in the local profile"
        )


def startup_warnings(settings: GatewaySettings, profile: str) -> list[str]:
    """Lines the server must print at start (auth off, fail-open limits...)."""
    warnings = []
    if not settings.auth.enabled:
        warnings.append(
            f"WARNING: API key auth is DISABLED (gateway.auth.enabled=false, profile "
            f"{profile!r}): every request is accepted without a key"
        )
    if not settings.limits.enabled:
        warnings.append("WARNING: rate limits and budgets are disabled (gateway.limits)")
    if not settings.input_guard.enabled:
        warnings.append("WARNING: the input guard is disabled (gateway.input_guard)")
    return warnings
