"""Retrieval evaluation: nDCG@10, MRR@10, Recall@100 and latency through ``search_products``, and the
relevance floor's rejection rate on queries for things the catalog does not sell.

Queries are JSON Lines ``{"id": "q1", "text": "waterproof boots under 200", "kind": "attribute"}``
(``kind`` optional: the report breaks nDCG@10 down by it); qrels are TSV ``query_id<TAB>product_id<TAB>grade``
with grade 0 (not relevant), 1 (partly) or 2 (exactly what was asked). ``bm25`` is a plain Okapi BM25 baseline
(``rank-bm25``) over the same catalog's title, brand, category and description, without the query parser.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from elara_bot.catalog.cache import SearchCaches
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from retrieval.embedding import Embedder

Mode = Literal["hybrid", "vector", "text"]
ReportMode = Literal["hybrid", "vector", "text", "bm25"]
Qrels = dict[str, dict[str, int]]
_WORD = re.compile(r"[a-z0-9]+")


class Query(BaseModel):
    id: str
    text: str
    kind: str | None = None


class ModeReport(BaseModel):
    mode: ReportMode
    queries: int
    ndcg_at_10: float
    mrr_at_10: float
    recall_at_10: float
    recall_at_100: float
    latency_p50_ms: float
    latency_p95_ms: float
    ndcg_by_kind: dict[str, float] = {}


class OffTopicReport(BaseModel):
    mode: Mode
    queries: int
    rejected: int  # queries that returned nothing
    rejection_rate: float
    leaked: list[str]  # the queries that still returned products


def read_queries(path: Path) -> list[Query]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Query.model_validate(json.loads(line)) for line in lines if line.strip()]


def read_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "query_id":
                continue
            qid, pid, grade = row[0], row[1], int(row[2])
            qrels.setdefault(qid, {})[pid] = grade
    return qrels


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains)))

    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return float(dcg([grades.get(pid, 0) for pid in ranked[:k]]) / ideal) if ideal > 0 else 0.0


def mrr_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    for i, pid in enumerate(ranked[:k]):
        if grades.get(pid, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = 100) -> float:
    """The share of relevant products in the top ``k``, out of at most ``k`` (a query with 150 relevant
    products can still reach 1.0 at k = 10)."""
    relevant = {pid for pid, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / min(len(relevant), k) if relevant else 0.0


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def open_catalog(path: Path) -> list[dict[str, object]]:
    """The catalog's JSON Lines rows (``.gz`` read compressed)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


class Bm25Baseline:
    """Okapi BM25 (``rank-bm25``, k1 1.5, b 0.75) over title, brand, category and description."""

    def __init__(self, rows: Sequence[dict[str, object]]) -> None:
        from rank_bm25 import BM25Okapi

        fields = ("title", "brand", "category", "description")
        self.ids = [str(row["id"]) for row in rows]
        self._index = BM25Okapi([_tokens(" ".join(str(row.get(f) or "") for f in fields)) for row in rows])

    def rank(self, text: str, k: int = 100) -> list[str]:
        tokens = _tokens(text)
        if not tokens:
            return []
        scores = self._index.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.ids[i] for i in top if scores[i] > 0]


class _Scores:
    """Per-query figures of one mode, summed up into a ``ModeReport``."""

    def __init__(self) -> None:
        self.ndcg: list[float] = []
        self.mrr: list[float] = []
        self.recall10: list[float] = []
        self.recall100: list[float] = []
        self.latency: list[float] = []
        self.kinds: list[str] = []

    def add(self, query: Query, ranked: Sequence[str], grades: dict[str, int], ms: float) -> None:
        self.ndcg.append(ndcg_at(ranked, grades))
        self.mrr.append(mrr_at(ranked, grades))
        self.recall10.append(recall_at(ranked, grades, 10))
        self.recall100.append(recall_at(ranked, grades, 100))
        self.latency.append(ms)
        self.kinds.append(query.kind or "")

    def report(self, mode: ReportMode) -> ModeReport:
        lat = np.array(self.latency or [0.0])
        by_kind: dict[str, list[float]] = {}
        for kind, value in zip(self.kinds, self.ndcg, strict=True):
            if kind:
                by_kind.setdefault(kind, []).append(value)
        return ModeReport(
            mode=mode,
            queries=len(self.ndcg),
            ndcg_at_10=float(np.mean(self.ndcg or [0.0])),
            mrr_at_10=float(np.mean(self.mrr or [0.0])),
            recall_at_10=float(np.mean(self.recall10 or [0.0])),
            recall_at_100=float(np.mean(self.recall100 or [0.0])),
            latency_p50_ms=float(np.percentile(lat, 50)),
            latency_p95_ms=float(np.percentile(lat, 95)),
            ndcg_by_kind={kind: float(np.mean(values)) for kind, values in sorted(by_kind.items())},
        )


def evaluate_bm25(baseline: Bm25Baseline, queries: Sequence[Query], qrels: Qrels) -> ModeReport:
    """The plain BM25 baseline on the judged queries (their raw text: no parser, no filters)."""
    scores = _Scores()
    for query in (q for q in queries if q.id in qrels):
        start = time.perf_counter()
        ranked = baseline.rank(query.text)
        scores.add(query, ranked, qrels[query.id], (time.perf_counter() - start) * 1000)
    return scores.report("bm25")


async def evaluate(
    conn: Conn,
    embedder: Embedder,
    queries: Sequence[Query],
    qrels: Qrels,
    mode: Mode,
    *,
    settings: SearchSettings | None = None,
    progress: bool = False,
) -> ModeReport:
    """Run every judged query through the API's search pipeline (parse on, no logging) with the search
    ``settings`` (the operator's ``ELARA_SEARCH__*``), never from the ranking cache. Like the service, the
    run keeps the catalog's option vocabulary and product types between queries (a runtime reads them once
    in ten minutes): the latency is a cold query's, not a catalog reload's."""
    uncached = (settings or SearchSettings()).model_copy(update={"result_cache_s": 0})
    caches = SearchCaches()  # rankings are kept for result_cache_s seconds: 0, never
    scores = _Scores()
    judged = [q for q in queries if q.id in qrels]
    clear = getattr(embedder, "cache_clear", None)
    if clear is not None:
        clear()  # every mode pays for its query encodings: latency is the cold-query figure
    embedder.embed_query("warm-up")
    for query in tqdm(judged, desc=f"eval {mode}", disable=not progress):
        start = time.perf_counter()
        result = await search_products(
            conn, embedder, query.text, limit=100, mode=mode, settings=uncached, caches=caches, log=False
        )
        ms = (time.perf_counter() - start) * 1000
        scores.add(query, [hit.product.id for hit in result.hits], qrels[query.id], ms)
    return scores.report(mode)


async def evaluate_off_topic(
    conn: Conn,
    embedder: Embedder,
    queries: Sequence[Query],
    mode: Mode,
    *,
    settings: SearchSettings | None = None,
) -> OffTopicReport:
    """How many ``queries`` (for things the catalog does not sell) return nothing: the relevance floor."""
    uncached = (settings or SearchSettings()).model_copy(update={"result_cache_s": 0})
    leaked = []
    for query in queries:
        result = await search_products(
            conn, embedder, query.text, limit=100, mode=mode, settings=uncached, log=False
        )
        if result.hits:
            leaked.append(query.text)
    rejected = len(queries) - len(leaked)
    return OffTopicReport(
        mode=mode,
        queries=len(queries),
        rejected=rejected,
        rejection_rate=rejected / len(queries) if queries else 0.0,
        leaked=leaked,
    )
