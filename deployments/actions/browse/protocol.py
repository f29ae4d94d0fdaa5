"""What the browse deployment takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BrowseRequest(BaseModel):
    """One page to fetch."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., min_length=1, max_length=8192, description="http(s) URL to fetch.")
    render_js: bool = Field(True, description="Render in Chromium (False: plain HTTP, no JS).")
    wait_for: str | None = Field(
        None, max_length=1000, description="CSS selector to wait for after the page loads."
    )
    timeout_s: float | None = Field(
        None, gt=0, description="Time limit of this request (capped by max_timeout_s)."
    )


class Link(BaseModel):
    """A hyperlink on the page, made absolute."""

    text: str
    href: str


class Table(BaseModel):
    """A table as rows of cell texts (header rows first)."""

    rows: list[list[str]]


class PageResult(BaseModel):
    """A fetched page: main text, title, links and tables, with provenance and timings."""

    url: str = Field(..., description="The URL as requested (canonicalised).")
    final_url: str = Field(..., description="The URL after redirects.")
    status: int = Field(..., description="HTTP status of the final response.")
    content_type: str | None = Field(None, description="Media type of the final response.")
    title: str = ""
    text: str = Field("", description="Main text (trafilatura/readability, else body text).")
    links: list[Link] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    fetched_at: datetime
    timings_ms: dict[str, float] = Field(default_factory=dict)
    truncated: bool = Field(False, description="Text, links or tables were cut at a limit.")
    redirects: list[str] = Field(
        default_factory=list, description="URLs that answered with a redirect, in order."
    )
    blocked: list[str] = Field(
        default_factory=list,
        description="Requests of the page the SSRF guard refused (scheme/address/port).",
    )
    renderer: Literal["chromium", "http"]


class IsolationReport(BaseModel):
    """How Chromium is kept from the network and the host (``describe()``, /healthz)."""

    renderer: Literal["chromium", "http"] = Field(
        "chromium", description="http: the backend never starts a browser (nothing to isolate)."
    )
    network: Literal["namespace", "host"] = Field(
        ...,
        description=(
            "namespace: Chromium runs in its own network namespace with only loopback; its "
            "one way out is the guarded egress proxy. host: the host's network (WebRTC/UDP "
            "and direct TCP are then stopped only by Chromium's own settings)."
        ),
    )
    browser_uid: int = Field(..., description="uid Chromium runs as.")
    chromium_sandbox: bool | None = Field(
        None, description="Chromium's own sandbox is on (None: not launched yet)."
    )
    webrtc_blocked: bool = Field(..., description="WebRTC/mDNS switched off in Chromium.")
    layers: list[str] = Field(default_factory=list, description="Layers in force.")
    missing: dict[str, str] = Field(
        default_factory=dict, description="Layers not in force, each with the reason."
    )
    strength: Literal["strong", "reduced", "weak", "n/a"] = Field(
        ...,
        description=(
            "strong: every layer; reduced: network namespace but another layer missing; "
            "weak: no network namespace; n/a: no browser (http backend)."
        ),
    )
    process_uids: list[int] = Field(
        default_factory=list, description="uids of the running Chromium processes."
    )
