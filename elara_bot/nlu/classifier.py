"""Intent classification over sentence embeddings of the training corpus.

Two classifiers on the same vectors (all-MiniLM-L6-v2, the embedder the search already loads):

* ``logreg``: multinomial logistic regression on the sentence vector joined with tf-idf features of the
  words (unigrams, bigrams) and characters (2-5-grams): the vector carries the meaning, the n-grams the
  cue words ("cart", "basket", "paid") that a 384-dimension average blurs; confidence is the top class's
  probability (dev split of an earlier corpus: 0.861 with the vector alone, 0.889 with the n-grams);
* ``knn``: cosine k-nearest neighbours, votes weighted by similarity; confidence is the similarity of
  the nearest neighbour of the winning class.

A sentence is out of scope when the classifier is unsure (its confidence below the kind's threshold) and it
is also far from every training sentence (cosine similarity to the nearest below ``NEAREST_FLOOR``). Both are
calibrated without dev, by 5-fold cross-validation on train grouped by template (a template's sentences never
on both sides; `scripts/calibrate_nlu.py`, thresholds 0.3 to 0.6, floors 0.45 to 0.7): (0.4, 0.6) gives
accuracy 0.880 at out-of-scope recall 0.930, where the earlier (0.5, 0.55), calibrated on dev, gave 0.876 at
0.907. On the dev split: logreg 0.966 at out-of-scope recall 0.966 (29 sentences). Also tried by the same
cross-validation, none better: C 10 or 20, balanced class weights, a k-NN vote blended in (0.3), the
vector weighted twice. knn alone (an earlier corpus): 0.791 at recall 0.63, so logreg is the default.

The training vectors can be cached on disk, keyed by the corpus file's hash and the model (the vector of a
probe sentence), so a restart does not re-encode the corpus.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from retrieval.embedding import Embedder

log = logging.getLogger(__name__)

Kind = Literal["logreg", "knn"]
# Calibrated by cross-validation on train (scripts/calibrate_nlu.py); `elara eval nlu --sweep` shows dev's.
THRESHOLDS: dict[str, float] = {"logreg": 0.4, "knn": 0.45}
NEAREST_FLOOR = 0.6
_K = 7
_PROBE = "a probe sentence that names the embedding model"


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]  # the best few (intent, score), best first
    nearest: float = 1.0  # cosine similarity of the nearest training sentence


def _matrix(vectors: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
    return np.asarray(np.stack(list(vectors)), dtype=np.float32)


def model_key(embedder: Embedder) -> str:
    """Identifies the embedding model by what it does: its vector of a fixed sentence."""
    probe = np.round(np.asarray(embedder.embed_query(_PROBE), dtype=np.float32)[:16], 4)
    return hashlib.sha256(probe.tobytes() + str(embedder.dimension).encode()).hexdigest()[:16]


def embed_corpus(
    embedder: Embedder, texts: Sequence[str], corpus_key: str, cache_dir: Path | None
) -> NDArray[np.float32]:
    """The texts' vectors, read from ``cache_dir`` when a file for this corpus and model is there."""
    path = cache_dir / f"nlu-{corpus_key}-{model_key(embedder)}.npy" if cache_dir else None
    if path is not None and path.exists():
        cached = np.load(path)
        if cached.shape == (len(texts), embedder.dimension):
            return np.asarray(cached, dtype=np.float32)
    vectors = _matrix(embedder.embed_documents(texts))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError as exc:  # a read-only cache is only slower
            log.warning("could not cache the NLU embeddings in %s: %s", path, exc)
    return vectors


def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # finds the loaded BLAS libraries once; limiting through it is cheap


def _ngrams() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
    )


class IntentClassifier:
    """Fitted on (text, vector, intent) triples; predicts an intent and a confidence per text."""

    def __init__(
        self, kind: Kind, texts: Sequence[str], vectors: NDArray[np.float32], labels: Sequence[str]
    ) -> None:
        from sklearn.linear_model import LogisticRegression

        self.kind = kind
        self.labels = np.asarray(labels)
        self._vectors = vectors
        self._model: LogisticRegression | None = None
        self._ngrams: Any = None
        self._threads = _blas()
        if kind == "logreg":
            self._ngrams = _ngrams().fit(list(texts))
            self._model = LogisticRegression(C=5.0, max_iter=3000)
            # one BLAS thread: the fit is small, and on a busy 2-core machine (the embedder's threads, other
            # processes) more threads made it three times slower (24.5 s against 8.3 s measured here)
            with self._threads.limit(limits=1, user_api="blas"):
                self._model.fit(self._features(texts, vectors), self.labels)

    @property
    def vectors(self) -> NDArray[np.float32]:
        """The training sentences' vectors."""
        return self._vectors

    def _features(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> Any:
        from scipy import sparse

        return sparse.hstack([self._ngrams.transform(list(texts)), sparse.csr_matrix(vectors)]).tocsr()

    def predict(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> list[Prediction]:
        if len(vectors) == 0:
            return []
        import sklearn

        # The inputs are ours and finite: sklearn's checks of them took half of a one-sentence prediction.
        # One BLAS thread: a prediction is a few small products, and two threads fighting the embedder's and
        # the other requests' made the nearest-neighbour product 13 ms instead of 0.7 ms on a busy 2-core box.
        with (
            sklearn.config_context(assume_finite=True, skip_parameter_validation=True),
            self._threads.limit(limits=1, user_api="blas"),
        ):
            found = self._logreg(texts, vectors) if self._model is not None else self._knn(vectors)
            nearest = (vectors @ self._vectors.T).max(axis=1)
        return [
            Prediction(p.intent, p.confidence, p.ranked, float(n))
            for p, n in zip(found, nearest, strict=True)
        ]

    def _logreg(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> list[Prediction]:
        assert self._model is not None
        probs = self._model.predict_proba(self._features(texts, vectors))
        names = [str(c) for c in self._model.classes_]
        out = []
        for row in probs:
            order = np.argsort(-row)[:3]
            ranked = tuple((names[i], float(row[i])) for i in order)
            out.append(Prediction(ranked[0][0], ranked[0][1], ranked))
        return out

    def _knn(self, vectors: NDArray[np.float32]) -> list[Prediction]:
        sims = vectors @ self._vectors.T
        out = []
        for row in sims:
            top = np.argsort(-row)[:_K]
            votes: dict[str, float] = {}
            best: dict[str, float] = {}
            for i in top:
                label = str(self.labels[i])
                votes[label] = votes.get(label, 0.0) + float(row[i])
                best[label] = max(best.get(label, -1.0), float(row[i]))
            ranked = tuple(sorted(((k, best[k]) for k in votes), key=lambda kv: -votes[kv[0]]))[:3]
            out.append(Prediction(ranked[0][0], ranked[0][1], ranked))
        return out
