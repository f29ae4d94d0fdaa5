"""Recognise the input kinds in a chat request's content parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from serve.api.protocol import AudioPart, ChatMessage, FilePart, ImagePart, TextPart
from serve.config.schema import InputKind

URL_PATTERN = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)


@dataclass
class InputInventory:
    """What the planner saw: kinds present, counts, and URLs found in user text."""

    kinds: set[InputKind] = field(default_factory=set)
    part_counts: dict[str, int] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)

    def add(self, kind: InputKind) -> None:
        self.kinds.add(kind)
        self.part_counts[kind.value] = self.part_counts.get(kind.value, 0) + 1


def _file_kind(part: FilePart) -> InputKind | None:
    """Files are read as PDFs; the media collector checks the bytes really are one."""
    return InputKind.PDF


def inspect_messages(messages: list[ChatMessage]) -> tuple[InputInventory, list[str]]:
    """Classify every content part; returns the inventory and unreadable-part descriptions."""
    inventory = InputInventory()
    unreadable: list[str] = []
    for m_index, message in enumerate(messages):
        parts = message.content
        if parts is None:
            continue
        if isinstance(parts, str):
            parts = [TextPart(type="text", text=parts)]
        for p_index, part in enumerate(parts):
            if isinstance(part, TextPart):
                inventory.add(InputKind.TEXT)
                if message.role == "user":
                    inventory.urls.extend(URL_PATTERN.findall(part.text))
            elif isinstance(part, ImagePart):
                inventory.add(InputKind.IMAGE)
            elif isinstance(part, AudioPart):
                inventory.add(InputKind.AUDIO)
            elif isinstance(part, FilePart):
                kind = _file_kind(part)
                if kind is None:
                    unreadable.append(f"messages.{m_index}.content.{p_index} (file: not a PDF)")
                else:
                    inventory.add(kind)
    if inventory.urls:
        inventory.kinds.add(InputKind.URL)
        inventory.part_counts[InputKind.URL.value] = len(inventory.urls)
    return inventory, unreadable
