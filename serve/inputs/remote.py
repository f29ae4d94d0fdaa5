"""Remote media (``image_url`` with an http(s) URL), fetched through the SSRF guard.

The same guard as the browse deployment decides which hosts may be reached; every connection
(redirects included) is resolved and checked, and the download stops at the part limit.
"""

from __future__ import annotations

from urllib.parse import urljoin

from deployments.common.errors import BadRequest, PayloadTooLarge, ServeError
from deployments.common.netguard import ForbiddenDestination, NetGuard, guarded_client

MAX_REDIRECTS = 3


class RemoteMediaFetcher:
    """Downloads one URL's bytes (bounded in size and time)."""

    def __init__(self, guard: NetGuard, *, max_bytes: int, timeout_s: float = 10.0) -> None:
        self.guard = guard
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def fetch(self, url: str, param: str) -> tuple[bytes, str | None]:
        """The body and its declared content type; a 400 (413 past the limit) otherwise."""
        try:
            async with guarded_client(self.guard, timeout=self.timeout_s) as client:
                for _ in range(MAX_REDIRECTS + 1):
                    self.guard.parse(url)
                    async with client.stream("GET", url) as response:
                        if response.is_redirect and "location" in response.headers:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code >= 400:
                            raise BadRequest(
                                f"{param}: downloading {url[:120]!r} failed with HTTP "
                                f"{response.status_code}",
                                code="invalid_image_url",
                                param=param,
                            )
                        return await self._body(response, param), response.headers.get(
                            "content-type"
                        )
                raise BadRequest(
                    f"{param}: more than {MAX_REDIRECTS} redirects from {url[:120]!r}",
                    code="invalid_image_url",
                    param=param,
                )
        except ForbiddenDestination as exc:  # the browse guard's own 403 and code
            raise ForbiddenDestination(
                f"{param}: {url[:120]!r} is not fetched: {exc.message}", code=exc.code, param=param
            ) from None
        except ServeError as exc:
            if exc.is_client_error:
                raise
            raise BadRequest(
                f"{param}: downloading {url[:120]!r} failed: {exc.message}",
                code="invalid_image_url",
                param=param,
            ) from None
        except Exception as exc:  # timeouts, TLS, resets: the client's URL does not serve
            raise BadRequest(
                f"{param}: downloading {url[:120]!r} failed: {type(exc).__name__}",
                code="invalid_image_url",
                param=param,
            ) from None

    async def _body(self, response, param: str) -> bytes:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(
                    f"{param}: the image is larger than {self.max_bytes} bytes "
                    "(limit gateway.validation.max_part_bytes)",
                    code="media_too_large",
                    param=param,
                )
            chunks.append(chunk)
        return b"".join(chunks)
