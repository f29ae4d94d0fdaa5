"""Settings of the index deployment: chunking, crawl limits, fetch limits, SSRF allow-lists."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from deployments.common.netguard import GuardPolicy
from deployments.common.settings import DeploymentSettings, StrictModel

MODEL_MAX_TOKENS = 254  # all-MiniLM-L6-v2 reads 256 word pieces, two of them [CLS]/[SEP]


class CrawlSettings(StrictModel):
    """Limits of a crawl; they are ceilings: a request may ask for less, never more."""

    max_depth: int = Field(2, ge=0, le=10, description="Link hops followed from the start URL.")
    max_pages: int = Field(
        50, ge=1, le=100_000, description="Most pages fetched per crawl (errors included)."
    )
    politeness_delay_s: float = Field(
        1.0, ge=0, le=60, description="Pause between two requests to the same host."
    )
    max_crawl_delay_s: float = Field(
        10.0, ge=0, description="Cap on a robots.txt Crawl-delay (larger values are clipped)."
    )
    respect_robots: bool = Field(
        True, description="Obey robots.txt (RFC 9309: 4xx allows all, 5xx/unreachable none)."
    )
    same_site: bool = Field(
        True, description="Follow links to the start URL's host only (www. prefix ignored)."
    )
    max_crawl_s: float = Field(
        1800.0, gt=0, description="Wall-clock limit of one crawl; pages after it are skipped."
    )
    user_agent: str = Field(
        "interfaze-serve-indexer/0.1",
        min_length=1,
        description="User-Agent sent and matched against robots.txt groups.",
    )


class IndexSettings(DeploymentSettings):
    """The ``index`` deployment: parse, chunk, embed and store documents and crawls."""

    enabled: bool = Field(True, description="Deploy the indexer (POST /v1/documents).")
    num_cpus: float = Field(0.5, ge=0, description="Logical CPUs reserved per replica.")
    max_ongoing_requests: int = Field(
        8, ge=1, description="Index jobs one replica runs at once (crawls are long)."
    )
    tokenizer: str = Field(
        "minilm",
        min_length=1,
        description="Model whose tokenizer.json counts chunk tokens (match the embed model).",
    )
    chunk_tokens: int = Field(
        192,
        ge=16,
        le=MODEL_MAX_TOKENS,
        description=f"Word pieces per chunk (at most {MODEL_MAX_TOKENS}: the model's window).",
    )
    chunk_overlap: int = Field(
        32, ge=0, description="Word pieces shared by consecutive chunks (< chunk_tokens)."
    )
    crawl: CrawlSettings = Field(default_factory=CrawlSettings, description="Crawl limits.")
    max_page_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest fetched page, in bytes (larger: 413)."
    )
    max_file_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest uploaded file, in bytes (larger: 413)."
    )
    max_pdf_pages: int = Field(2000, ge=1, description="Most pages of one PDF (more: 413).")
    max_text_chars: int = Field(
        5_000_000, ge=1000, description="Most characters of parsed text per document (413)."
    )
    timeout_s: float = Field(20.0, gt=0, description="Time limit of one fetch, redirects included.")
    max_redirects: int = Field(5, ge=0, le=30, description="Redirect hops followed per fetch.")
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (or IP literals) exempt from the SSRF guard's private-address checks.",
    )
    allow_cidrs: list[str] = Field(
        default_factory=list,
        description="Networks exempt from the SSRF guard (tests allow 127.0.0.1/32).",
    )
    allowed_ports: list[int] | None = Field(
        default_factory=lambda: [80, 443, 8080, 8443],
        description="Ports public destinations may use; null allows any port.",
    )
    embed_batch: int = Field(
        64, ge=1, le=4096, description="Chunks per embed call (progress is reported per batch)."
    )
    ttl_s: int | None = Field(
        None, ge=0, description="Freshness of stored documents (None: retrieve's ttl_s)."
    )
    use_ocr_for_pdf: bool = Field(
        True,
        description=(
            "Read PDFs through the OCR deployment when it is wired; otherwise the text layer "
            "with pypdfium2 in this replica."
        ),
    )
    pdf_ocr_mode: Literal["text_layer", "auto"] = Field(
        "text_layer",
        description=(
            "Mode sent to the OCR deployment: text_layer (fast, scans come back empty and are "
            "refused) or auto (pages without a text layer are OCRed: seconds per page)."
        ),
    )

    @field_validator("allow_cidrs")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"allow_cidrs: {cidr!r} is not a network: {exc}") from None
        return value

    @model_validator(mode="after")
    def _check_overlap(self) -> IndexSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be below chunk_tokens "
                f"({self.chunk_tokens})"
            )
        return self

    def guard_policy(self) -> GuardPolicy:
        """The SSRF policy of crawls (every redirect hop and connection is checked)."""
        return GuardPolicy.build(
            allow_hosts=self.allow_hosts,
            allow_cidrs=self.allow_cidrs,
            allowed_ports=self.allowed_ports,
            connect_timeout_s=min(self.timeout_s, 10.0),
        )
