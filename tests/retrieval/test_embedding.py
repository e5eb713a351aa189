"""The sentence-transformers embedder: order kept across length-sorted batches, parallel encodings safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retrieval.embedding import SentenceTransformerEmbedder

TEXTS = [
    "boots",
    "a long description of waterproof leather hiking boots with a rubber sole and a padded collar",
    "espresso machine",
    "red",
    "noise cancelling over-ear headphones with a thirty hour battery",
    "yoga mat",
    "mat",
]


@pytest.fixture(scope="module")
def small_batches() -> SentenceTransformerEmbedder:
    """Batches of two, so seven texts of mixed length are encoded as four batches over the workers."""
    return SentenceTransformerEmbedder(batch_size=2, cache_size=0, workers=2)


def test_documents_come_back_in_their_order(small_batches: SentenceTransformerEmbedder) -> None:
    vectors = small_batches.embed_documents(TEXTS)
    alone = [small_batches.embed_query(t) for t in TEXTS]
    assert len(vectors) == len(TEXTS)
    for vector, expected in zip(vectors, alone, strict=True):
        assert float(np.dot(vector, expected)) > 0.9999
    # and they differ from one another: a shuffled result would fail above
    assert float(np.dot(vectors[0], vectors[1])) < 0.9


def test_vectors_are_unit_length(small_batches: SentenceTransformerEmbedder) -> None:
    norms = np.linalg.norm(np.stack(small_batches.embed_documents(TEXTS)), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_parallel_query_encodings_match_serial_ones(small_batches: SentenceTransformerEmbedder) -> None:
    texts = [f"{t} {i}" for i in range(6) for t in TEXTS]
    serial = [small_batches.embed_query(t) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(small_batches.embed_query, texts))
    for a, b in zip(serial, parallel, strict=True):
        assert float(np.dot(a, b)) > 0.9999


def test_empty_input_encodes_nothing(small_batches: SentenceTransformerEmbedder) -> None:
    assert small_batches.embed_documents([]) == []
