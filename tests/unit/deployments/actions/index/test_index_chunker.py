"""Token chunking: real MiniLM tokenizer, exact character offsets, overlap, odd scripts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from deployments.actions.index.chunker import TokenChunker
from deployments.embed.model import tokenizer_file

LICENSE = Path("/usr/share/common-licenses/GPL-3")


@pytest.fixture(scope="module")
def chunker() -> TokenChunker:
    return TokenChunker(tokenizer_file(), chunk_tokens=48, overlap=12)


def sample_text() -> str:
    if LICENSE.is_file():
        return LICENSE.read_text()[:12000]
    return " ".join(f"Sentence {i} says something about item {i}." for i in range(400))


def test_offsets_are_exact_and_windows_bounded(chunker: TokenChunker) -> None:
    text = sample_text()
    chunks = chunker.chunk(text, page=4)
    assert len(chunks) > 10
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert 0 < c.tokens <= 48 and c.page == 4
        assert chunker.count_tokens(c.text) <= 48
    assert chunks[0].start == len(text) - len(text.lstrip())
    assert chunks[-1].end == len(text.rstrip())


def test_consecutive_chunks_overlap_and_cover_the_text(chunker: TokenChunker) -> None:
    text = sample_text()
    chunks = chunker.chunk(text)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end, "consecutive chunks share some text"
        assert b.start > a.start, "every chunk moves forward"
        gap = text[a.end : b.start]
        assert not gap.strip()


def test_windows_prefer_sentence_ends(chunker: TokenChunker) -> None:
    text = " ".join(f"Short sentence number {i} ends here." for i in range(60))
    chunks = chunker.chunk(text)
    assert sum(c.text.endswith(".") for c in chunks) >= len(chunks) - 1


def test_unicode_and_degenerate_inputs(chunker: TokenChunker) -> None:
    assert chunker.chunk("") == [] and chunker.chunk(" \n\t ") == []
    text = "Ünïcödé café naïve — 日本語のテキストです。" * 20
    chunks = chunker.chunk(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    cjk = chunker.chunk("日本語のテキスト" * 100)
    assert 15 < len(cjk) < 30, "scripts without spaces still advance by chunk - overlap"
    blob = chunker.chunk("A" * 20000)  # one giant unknown word, e.g. base64
    assert all(len(c.text) <= chunker.max_chars for c in blob)
    assert "".join(c.text for c in blob) == "A" * 20000


def test_bad_parameters() -> None:
    with pytest.raises(ValueError):
        TokenChunker(tokenizer_file(), chunk_tokens=16, overlap=16)
