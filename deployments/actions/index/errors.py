"""Errors of the index deployment (ServeErrors: the router renders their status as is)."""

from __future__ import annotations

from deployments.common.errors import InputRejected, Overloaded, UpstreamError


class HttpError(UpstreamError):
    """The server answered with a non-2xx status."""

    code = "http_error"


class EmptyDocument(InputRejected):
    """Parsing found no text (a scanned PDF without a text layer, an empty page...)."""

    status = 422
    code = "empty_document"


class NotIndexed(InputRejected):
    """The start URL was not fetched or not indexable (robots.txt, content type, limits)."""

    status = 422
    code = "not_indexed"


class DependencyUnavailable(Overloaded):
    """A deployment the indexer needs failed; nothing was stored for the current document."""

    code = "dependency_unavailable"


class StoreUnavailable(DependencyUnavailable):
    """The vector store failed; earlier documents are intact."""

    code = "store_unavailable"


class EmbedUnavailable(DependencyUnavailable):
    """The embedder failed."""

    code = "embed_unavailable"
