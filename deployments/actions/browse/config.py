"""Settings of the browse deployment (validated with the rest of the config schema)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from deployments.common.netguard import GuardPolicy
from deployments.common.settings import AutoscalingSettings, DeploymentSettings

CHROMIUM_FLAGS = [
    # Without these Chromium keeps calling home, which floods a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
    # Page traffic goes through the guarded proxy; no DNS prefetch. (WebRTC and mDNS are
    # switched off by ``block_webrtc``; the network namespace is the real boundary.)
    "--dns-prefetch-disable",
    "--disable-dev-shm-usage",
    # A page that allocates without end crashes its renderer at 512 MB instead of the host.
    "--js-flags=--max-old-space-size=512",
]

RESOURCE_TYPES = {
    "document",
    "stylesheet",
    "image",
    "media",
    "font",
    "script",
    "texttrack",
    "xhr",
    "fetch",
    "eventsource",
    "websocket",
    "manifest",
    "other",
}


class BrowseSettings(DeploymentSettings):
    """The browse action: Chromium (Playwright) or plain HTTP behind the SSRF guard."""

    num_cpus: float = Field(1.0, ge=0, description="Logical CPUs per replica (Chromium is busy).")
    max_ongoing_requests: int = Field(
        16,
        ge=1,
        description="Requests one replica takes at once; beyond page_pool_size they wait.",
    )
    autoscaling_config: AutoscalingSettings = Field(
        default_factory=lambda: AutoscalingSettings(target_ongoing_requests=4),
        description="Replica autoscaling (one browser per replica).",
    )
    enabled: bool = Field(True, description="Deploy the browse stage.")
    backend: Literal["playwright", "http"] = Field(
        "playwright",
        description=(
            "playwright: render pages in headless Chromium (JS); http: plain HTTP fetch "
            "with httpx, no JS (also used when a request sets render_js=false)."
        ),
    )
    chromium_path: str = Field(
        "/usr/bin/chromium", min_length=1, description="Chromium executable (Debian package)."
    )
    chromium_args: list[str] = Field(
        default_factory=lambda: list(CHROMIUM_FLAGS),
        description="Command-line flags for Chromium.",
    )
    network_isolation: Literal["required", "preferred", "off"] = Field(
        "required",
        description=(
            "Run Chromium in its own network namespace with only loopback, whose one way out "
            "is the guarded egress proxy (no WebRTC/mDNS/UDP or direct TCP past the SSRF "
            "guard). required: the replica fails to start where the host cannot make one "
            "(needs root, or unprivileged user namespaces); preferred: fall back to the host "
            "network, flagged in describe(); off: host network."
        ),
    )
    browser_uid: int = Field(
        64513,
        ge=1,
        lt=2**31,
        description=(
            "Unprivileged uid (and gid) Chromium runs as when the replica runs as root "
            "(a non-root replica keeps its own uid). Not shared with the execute sandbox."
        ),
    )
    chromium_sandbox: Literal["required", "preferred", "off"] = Field(
        "required",
        description=(
            "Chromium's own sandbox (namespaces + seccomp for renderers; needs unprivileged "
            "user namespaces). required: fail to launch without it; preferred: fall back to "
            "--no-sandbox (still unprivileged, flagged in describe()); off: --no-sandbox."
        ),
    )
    block_webrtc: bool = Field(
        True,
        description=(
            "Defence in depth besides the namespace: WebRTC may use no UDP or interface "
            "outside the proxy (profile preferences), no mDNS host candidates, no media "
            "router discovery, and pages see no RTCPeerConnection."
        ),
    )
    page_pool_size: int = Field(
        4, ge=1, le=64, description="Pages (browser contexts) rendering at once per replica."
    )
    page_max_uses: int = Field(
        50, ge=1, description="Requests a pooled page serves before its context is recreated."
    )
    navigation_timeout_s: float = Field(
        15.0, gt=0, description="Default time limit of one request (load + render + extract)."
    )
    max_timeout_s: float = Field(60.0, gt=0, description="Largest timeout_s a request may ask for.")
    wait_until: Literal["commit", "domcontentloaded", "load", "networkidle"] = Field(
        "load", description="Navigation milestone Chromium waits for before reading the page."
    )
    settle_quiet_ms: int = Field(
        300,
        ge=0,
        description=(
            "After the navigation milestone, wait until the page has no fetch/XHR in flight, "
            "no short timer pending and no DOM change for this long (client-side rendering). "
            "0 reads the page right after the milestone."
        ),
    )
    settle_max_ms: int = Field(
        4000, ge=0, description="Longest settle wait; pages that keep polling are read then."
    )
    settle_timer_ms: int = Field(
        2000,
        ge=0,
        description="Timers up to this delay (ms) count as pending work while settling.",
    )
    max_page_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        description=(
            "Bytes one request may download: the document (http backend), or the document "
            "and all its subresources together (Chromium). Over it: 413 page_too_large."
        ),
    )
    max_redirects: int = Field(
        10, ge=0, le=20, description="Redirects followed per request (each hop is checked)."
    )
    max_text_chars: int = Field(
        100_000, ge=100, description="Longest main text returned (longer is truncated)."
    )
    max_links: int = Field(500, ge=0, description="Most links returned per page.")
    max_tables: int = Field(20, ge=0, description="Most tables returned per page.")
    max_table_rows: int = Field(200, ge=1, description="Most rows kept per table.")
    allow_schemes: list[Literal["http", "https"]] = Field(
        default_factory=lambda: ["http", "https"],
        min_length=1,
        description="URL schemes that may be fetched (ws/wss follow http/https).",
    )
    allow_hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Host names (or IP literals) exempt from the private-address and port checks; "
            "'*.corp.example' matches subdomains. Default: none."
        ),
    )
    allow_cidrs: list[str] = Field(
        default_factory=list,
        description=(
            "Networks exempt from the private-address and port checks, e.g. 127.0.0.1/32 "
            "for local tests. Default: none (loopback, private, link-local and metadata "
            "addresses are refused)."
        ),
    )
    allowed_ports: list[int] | None = Field(
        default_factory=lambda: [80, 443, 8080, 8443],
        description="Ports public destinations may use; null allows any port.",
    )
    dns_timeout_s: float = Field(5.0, gt=0, description="Limit of one DNS lookup.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Limit of one TCP connect.")
    user_agent: str | None = Field(
        None,
        description=(
            "User-Agent header; None: Chromium's own, and 'interfaze-browse/0.1' for http."
        ),
    )
    block_resource_types: list[str] = Field(
        default_factory=lambda: ["image", "media", "font"],
        description="Playwright resource types never fetched (faster pages, fewer bytes).",
    )
    viewport_width: int = Field(1280, ge=320, description="Viewport width in CSS pixels.")
    viewport_height: int = Field(800, ge=240, description="Viewport height in CSS pixels.")

    @field_validator("allow_cidrs")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"allow_cidrs: {cidr!r} is not a network: {exc}") from None
        return value

    @field_validator("allowed_ports")
    @classmethod
    def _check_ports(cls, value: list[int] | None) -> list[int] | None:
        bad = [p for p in value or [] if not 0 < p < 65536]
        if bad:
            raise ValueError(f"allowed_ports: {bad} out of range 1-65535")
        return value

    @field_validator("block_resource_types")
    @classmethod
    def _check_resource_types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - RESOURCE_TYPES)
        if unknown:
            raise ValueError(f"unknown resource types {unknown}; known: {sorted(RESOURCE_TYPES)}")
        if "document" in value:
            raise ValueError("block_resource_types must not contain 'document'")
        return value

    @model_validator(mode="after")
    def _check_timeouts(self) -> BrowseSettings:
        if self.navigation_timeout_s > self.max_timeout_s:
            raise ValueError(
                f"navigation_timeout_s ({self.navigation_timeout_s}) exceeds "
                f"max_timeout_s ({self.max_timeout_s})"
            )
        return self

    def guard_policy(self) -> GuardPolicy:
        """The SSRF policy these settings describe."""
        return GuardPolicy.build(
            allow_schemes=self.allow_schemes,
            allow_hosts=self.allow_hosts,
            allow_cidrs=self.allow_cidrs,
            allowed_ports=self.allowed_ports,
            dns_timeout_s=self.dns_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
        )
