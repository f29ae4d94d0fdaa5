"""Token counting with the LLM's own tokenizer (falls back to an estimate without one)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

TokenCounter = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """A cheap upper-leaning estimate (~4 characters a token)."""
    return (len(text) + 3) // 4


@lru_cache(maxsize=4)
def counter_for(model_dir: str | None) -> TokenCounter:
    """The exact counter for a local model folder with ``tokenizer.json``, else the estimate."""
    if model_dir:
        path = Path(model_dir) / "tokenizer.json"
        if path.is_file():
            try:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(path))
                return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)
            except Exception:  # a broken file must not take the router down
                logger.exception("cannot load %s; counting tokens approximately", path)
    return approx_tokens


def truncate_to(text: str, budget: int, count: TokenCounter) -> str:
    """The longest prefix of ``text`` (cut at a line or word) within ``budget`` tokens."""
    if count(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:  # binary search on characters
        mid = (low + high + 1) // 2
        if count(text[:mid]) <= budget:
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    for separator in ("\n", " "):
        index = cut.rfind(separator)
        if index > len(cut) * 0.6:
            cut = cut[:index]
            break
    return cut.rstrip()
