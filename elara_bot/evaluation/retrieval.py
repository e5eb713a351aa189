"""Retrieval evaluation: nDCG@10, MRR@10, Recall@100 and latency through ``search_products``, and the
relevance floor's rejection rate on queries for things the catalog does not sell.

Queries are JSON Lines ``{"id": "q1", "text": "waterproof boots under 200"}``; qrels are TSV
``query_id<TAB>product_id<TAB>grade`` with grade 0 (not relevant), 1 (partly) or 2 (exactly what was asked).
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from retrieval.embedding import Embedder

Mode = Literal["hybrid", "vector", "text"]
Qrels = dict[str, dict[str, int]]


class Query(BaseModel):
    id: str
    text: str


class ModeReport(BaseModel):
    mode: Mode
    queries: int
    ndcg_at_10: float
    mrr_at_10: float
    recall_at_100: float
    latency_p50_ms: float
    latency_p95_ms: float


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
    relevant = {pid for pid, g in grades.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


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
    ``settings`` (the operator's ``ELARA_SEARCH__*``), never from the ranking cache."""
    uncached = (settings or SearchSettings()).model_copy(update={"result_cache_s": 0})
    ndcg, mrr, recall, latency = [], [], [], []
    judged = [q for q in queries if q.id in qrels]
    clear = getattr(embedder, "cache_clear", None)
    if clear is not None:
        clear()  # every mode pays for its query encodings: latency is the cold-query figure
    embedder.embed_query("warm-up")
    for query in tqdm(judged, desc=f"eval {mode}", disable=not progress):
        start = time.perf_counter()
        result = await search_products(
            conn, embedder, query.text, limit=100, mode=mode, settings=uncached, log=False
        )
        latency.append((time.perf_counter() - start) * 1000)
        ranked = [hit.product.id for hit in result.hits]
        grades = qrels[query.id]
        ndcg.append(ndcg_at(ranked, grades))
        mrr.append(mrr_at(ranked, grades))
        recall.append(recall_at(ranked, grades))
    lat = np.array(latency or [0.0])
    return ModeReport(
        mode=mode,
        queries=len(judged),
        ndcg_at_10=float(np.mean(ndcg or [0.0])),
        mrr_at_10=float(np.mean(mrr or [0.0])),
        recall_at_100=float(np.mean(recall or [0.0])),
        latency_p50_ms=float(np.percentile(lat, 50)),
        latency_p95_ms=float(np.percentile(lat, 95)),
    )


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
