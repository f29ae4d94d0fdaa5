"""The parsed form of a chat request's input, built once by validation and read downstream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from serve.stages.spec import InputKind

# Citation prefixes of media sources: doc1, img1, audio1.
SOURCE_PREFIX = {InputKind.PDF: "doc", InputKind.IMAGE: "img", InputKind.AUDIO: "audio"}


@dataclass(frozen=True)
class MediaInput:
    """One decoded media part, named for citations and checked against its real type."""

    source_id: str  # doc1, img1, audio1
    kind: InputKind  # pdf, image, audio
    data: bytes
    mime: str  # sniffed from the bytes
    param: str  # where it came from: messages.<i>.content.<j>
    filename: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # pages, width/height, seconds

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RequestInputs:
    """Everything the planner, the stages and the small stack read from the request."""

    question: str = ""  # the last user message's text: what is being answered
    media: list[MediaInput] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # to browse (last user message, checked)
    code: list[str] = field(default_factory=list)  # fenced code the question asks to run
    part_counts: dict[str, int] = field(default_factory=dict)  # per input kind
    text_chars: int = 0
    pending: list[Any] = field(default_factory=list)  # remote media still to download
    owner: str | None = None  # the API key asking: whose indexed documents are searched

    @property
    def kinds(self) -> set[InputKind]:
        """Input kinds present (text always counts when there is a question)."""
        kinds = {m.kind for m in self.media}
        if self.urls:
            kinds.add(InputKind.URL)
        if self.question.strip() or not kinds:
            kinds.add(InputKind.TEXT)
        return kinds

    def media_of(self, *kinds: InputKind) -> list[MediaInput]:
        return [m for m in self.media if m.kind in kinds]
