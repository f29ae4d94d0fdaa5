"""Errors of the browse deployment (ServeErrors: 4xx reach the client, 5xx degrade the stage)."""

from __future__ import annotations

from deployments.common.errors import (
    InputRejected,
    InputTooLarge,
    StageTimeout,
    UnsupportedInput,
    UpstreamError,
)
from deployments.common.netguard import DestinationUnreachable, ForbiddenDestination, InvalidURL

__all__ = [
    "BrowseTimeout",
    "DestinationUnreachable",
    "ForbiddenDestination",
    "InvalidURL",
    "PageTooLarge",
    "RenderFailed",
    "TooManyRedirects",
    "UnsupportedContent",
]


class BrowseTimeout(StageTimeout):
    """The page did not load (or the selector did not appear) within the time limit."""

    code = "browse_timeout"


class PageTooLarge(InputTooLarge):
    """The page (with its subresources, in Chromium) is over ``max_page_bytes``."""

    code = "page_too_large"


class TooManyRedirects(InputRejected):
    """More redirects than ``max_redirects``, or a redirect loop."""

    code = "too_many_redirects"


class UnsupportedContent(UnsupportedInput):
    """The URL serves something that is not a web page (PDF, image, binary, ...)."""

    code = "unsupported_content_type"


class RenderFailed(UpstreamError):
    """The page crashed the renderer or the browser; the browser is relaunched."""

    code = "render_failed"
