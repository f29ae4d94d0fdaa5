"""browse: fetch and render web pages (Playwright + Chromium, or plain HTTP) behind the SSRF guard.

Modules: ``config`` (BrowseSettings), ``protocol`` (BrowseRequest, PageResult), ``errors``,
``extractor`` (HTML → text/links/tables), ``encoding`` (charset detection), ``http_fetcher``
(httpx, no JS), ``egress_proxy`` (the guarded proxy every Chromium connection goes through),
``browser_pool`` (one browser, a bounded pool of pages), ``renderer`` (navigation in
Chromium), ``service`` (the logic), ``deployment`` (BrowseDeployment) and ``builder``.
Importing this package imports neither Playwright nor Ray.
"""
