"""Document vectors kept on disk between evaluation runs, so that loading an 8,000-product dev set embeds
each product once per model rather than once per run.

The store is one ``.npz`` file per model under the clone's ``.cache/embeddings/`` (git-ignored), keyed by the
SHA-256 of the embedded text: a product whose text changed is encoded afresh, the rest are read back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.embedding import Embedder, Vector

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "embeddings"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class CachedEmbedder:
    """An ``Embedder`` whose document vectors come from a file when it has them; queries pass through."""

    def __init__(self, inner: Embedder, model_name: str, cache_dir: Path = CACHE_DIR) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.path = cache_dir / f"{_digest(model_name)[:16]}.npz"
        self._vectors: dict[str, Vector] = {}
        self._dirty = False
        if self.path.exists():
            with np.load(self.path) as stored:
                self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        keys = [_digest(text) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            fresh = self.inner.embed_documents([texts[i] for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                self._vectors[keys[i]] = np.asarray(vector, dtype=np.float32)
            self._dirty = True
        return [self._vectors[key] for key in keys]

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)

    def cache_clear(self) -> None:
        clear = getattr(self.inner, "cache_clear", None)
        if clear is not None:
            clear()

    def save(self) -> None:
        """Write the store when it gained vectors."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors))
        vectors = np.stack(list(self._vectors.values())) if self._vectors else np.empty((0, self.dimension))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        tmp.replace(self.path)
        self._dirty = False
