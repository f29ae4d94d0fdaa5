"""Token-window chunking with overlap and character offsets (the embed model's tokenizer)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A window of the page text: ``text == page_text[start:end]``."""

    text: str
    start: int
    end: int
    tokens: int
    page: int = 0


@functools.lru_cache(maxsize=4)
def load_tokenizer(path: str) -> Any:
    """A ``tokenizers.Tokenizer`` without the truncation/padding the model file ships with."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class TokenChunker:
    """Splits text into windows of ``chunk_tokens`` word pieces overlapping ``overlap``.

    Windows end at a sentence or word boundary when one lies in the last quarter of the window,
    so chunks rarely cut a sentence in half; offsets always index the original text.
    """

    def __init__(
        self,
        tokenizer_path: str | Path,
        *,
        chunk_tokens: int = 192,
        overlap: int = 32,
        max_chars: int | None = None,
    ) -> None:
        if chunk_tokens < 8:
            raise ValueError("chunk_tokens must be at least 8")
        if not 0 <= overlap < chunk_tokens:
            raise ValueError("overlap must be in [0, chunk_tokens)")
        self.tokenizer = load_tokenizer(str(tokenizer_path))
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap
        self.max_chars = max_chars or chunk_tokens * 16

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        return [(s, e) for s, e in encoding.offsets if e > s]

    def _boundary(self, text: str, offsets: list[tuple[int, int]], lo: int, hi: int) -> int:
        """The best token index in (lo, hi] to end a window: after a sentence, else a word."""
        floor = lo + max(1, (hi - lo) * 3 // 4)
        for j in range(hi, floor - 1, -1):
            prev_end = offsets[j - 1][1]
            if text[prev_end - 1 : prev_end] in (".", "!", "?", ":", ";") and (
                j == len(offsets) or offsets[j][0] > prev_end
            ):
                return j
        for j in range(hi, floor - 1, -1):
            if j == len(offsets) or offsets[j][0] > offsets[j - 1][1]:
                return j
        return hi

    def _next_start(self, offsets: list[tuple[int, int]], i: int, j: int) -> int:
        """Where the window after [i, j) starts: ``overlap`` tokens back, moved to a word start
        if one is within a few tokens (scripts without spaces keep the plain position)."""
        start = max(j - self.overlap, i + 1)
        for k in range(start, max(start - 8, i + 1) - 1, -1):
            if offsets[k][0] > offsets[k - 1][1]:
                return k
        return start

    def _split_long(self, chunk: Chunk) -> list[Chunk]:
        """Cut a window wider than ``max_chars`` (a huge unknown "word", e.g. base64)."""
        if len(chunk.text) <= self.max_chars:
            return [chunk]
        parts = []
        for off in range(0, len(chunk.text), self.max_chars):
            piece = chunk.text[off : off + self.max_chars]
            start = chunk.start + off
            parts.append(Chunk(piece, start, start + len(piece), 1, chunk.page))
        return parts

    def chunk(self, text: str, *, page: int = 0) -> list[Chunk]:
        """Chunks of ``text`` in order; empty or whitespace-only text gives none."""
        offsets = self._offsets(text)
        chunks: list[Chunk] = []
        i = 0
        n = len(offsets)
        while i < n:
            hi = min(i + self.chunk_tokens, n)
            j = hi if hi == n else self._boundary(text, offsets, i, hi)
            start, end = offsets[i][0], offsets[j - 1][1]
            chunks.extend(self._split_long(Chunk(text[start:end], start, end, j - i, page)))
            if j >= n:
                break
            i = self._next_start(offsets, i, j)
        return chunks
