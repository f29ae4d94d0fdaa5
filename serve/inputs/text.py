"""What user text asks the action stages to act on: URLs to browse, code to run."""

from __future__ import annotations

import re

# The one URL pattern: any scheme, so non-web schemes can be named in errors (or left as text).
# The authority may be a bracketed IPv6 literal; the rest stops at spaces, quotes and brackets.
URL_PATTERN = re.compile(
    r"\b([a-z][a-z0-9+.-]{1,15})://(?:\[[^\]\s/]*\][^\s<>\"')\]\[]*|[^\s<>\"')\]]+)",
    re.IGNORECASE,
)
TRAILING = ".,;:!?)]}'\""

_FENCED = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.S | re.I)
_RUN_CUES = re.compile(
    r"\b(run|execute|output|print(?:s|ed)?|return(?:s|ed)?|result|evaluate|what does .* (?:print|"
    r"output|return))\b",
    re.I,
)


def find_urls(text: str, schemes: tuple[str, ...] | list[str]) -> list[str]:
    """URLs with one of ``schemes`` in ``text``, in order, de-duplicated, punctuation trimmed."""
    found: list[str] = []
    for match in URL_PATTERN.finditer(text):
        if match.group(1).lower() not in schemes:
            continue
        url = _trim(match.group(0))
        if url not in found:
            found.append(url)
    return found


def _trim(url: str) -> str:
    """Drop sentence punctuation after a URL (a ``]`` closing an IPv6 literal stays)."""
    while url and url[-1] in TRAILING:
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


def find_code(text: str) -> list[str]:
    """Fenced Python blocks the text asks to run (code shown for discussion is not run)."""
    code = [block.strip("\n") for block in _FENCED.findall(text) if block.strip()]
    if code and not _RUN_CUES.search(_FENCED.sub(" ", text)):
        return []
    return code
