"""Find what the action stages should act on: URLs to browse, code to run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from serve.api.protocol import ChatMessage
from serve.planner.inputs import URL_PATTERN

_FENCED = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.S | re.I)
_RUN_CUES = re.compile(
    r"\b(run|execute|output|print(?:s|ed)?|return(?:s|ed)?|result|evaluate|what does .* (?:print|"
    r"output|return))\b",
    re.I,
)
TRAILING = ".,;:!?)]}'\""


@dataclass
class ActionTargets:
    urls: list[str]
    code: list[str]


def find_targets(messages: list[ChatMessage], *, max_urls: int = 3) -> ActionTargets:
    """URLs and fenced code blocks in the last user message (the one being answered)."""
    for message in reversed(messages):
        if message.role != "user":
            continue
        text = message.text()
        urls = []
        for url in URL_PATTERN.findall(text):
            url = url.rstrip(TRAILING)
            if url not in urls:
                urls.append(url)
        code = [block.strip("\n") for block in _FENCED.findall(text) if block.strip()]
        if code and not _RUN_CUES.search(_FENCED.sub(" ", text)):
            code = []  # code shown for discussion, not to run
        return ActionTargets(urls[:max_urls], code[:1])
    return ActionTargets([], [])
