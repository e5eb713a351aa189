"""The sentence-transformers embedder: order kept across length-sorted batches, parallel encodings safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


# what the tokenizer must do as sentence-transformers does: strip, truncate at 256 tokens, pad, odd characters
ODD = [
    "  padded with spaces  ",
    " ".join(["waterproof leather hiking boots"] * 120),
    "Crème brûlée torch — 18V, 2×Li-ion; naïve café ☕ 東京",
    "x",
    "UPPER and lower CASE",
]


def test_onnxruntime_gives_the_vectors_of_torch(tmp_path: Path) -> None:
    """The exported pipeline (transformer, pooling, normalisation) encodes as torch does, in batches of
    mixed length too (padding); the export is made once, and an embedder finding it runs without torch."""
    torch_run = SentenceTransformerEmbedder(batch_size=3, cache_size=0)
    exporting = SentenceTransformerEmbedder(batch_size=3, cache_size=0, onnx_dir=tmp_path)
    assert (torch_run.runtime, exporting.runtime) == ("torch", "onnxruntime")
    exported = list(tmp_path.glob("*.onnx"))
    assert len(exported) == 1
    theirs = np.stack(torch_run.embed_documents([*TEXTS, *ODD]))
    again = SentenceTransformerEmbedder(batch_size=3, cache_size=0, onnx_dir=tmp_path)
    assert again.runtime == "onnxruntime"
    assert again._model is None  # no torch model loaded
    assert list(tmp_path.glob("*.onnx")) == exported
    assert again.dimension == torch_run.dimension
    for embedder in (exporting, again):
        ours = np.stack(embedder.embed_documents([*TEXTS, *ODD]))
        assert np.abs(ours - theirs).max() < 1e-4
    assert float(np.dot(again.embed_query(TEXTS[1]), theirs[1])) > 0.9999


def test_a_failed_export_leaves_torch(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the models directory should be")
    fallback = SentenceTransformerEmbedder(cache_size=0, onnx_dir=blocked)
    assert fallback.runtime == "torch"
    assert np.linalg.norm(fallback.embed_query("boots")) == pytest.approx(1.0, abs=1e-5)
