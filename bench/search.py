"""Search latency and throughput through the HTTP API, and exact-vs-HNSW recall@10.

Starts its own throw-away embedded PostgreSQL, loads the demo catalog or a deterministic synthetic one,
then starts ``elara serve`` on it in a process of its own (a shopper's client is not inside the server)
and times cold queries (each new to the service), several clients searching at once, and repeated
queries. Prints the service's peak RSS too.

    python -m bench.search [--products 50000] [--queries 200] [--clients 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from bench.catalog_synth import DEMO, write_synthetic
from bench.load import RssSampler, run_service
from elara_bot.app import build_embedder
from elara_bot.catalog.importer import import_catalog
from elara_bot.catalog.repository import vacuum_catalog
from elara_bot.config import Settings
from elara_bot.db import EmbeddedPostgres, connect, migrate
from retrieval.embedding import SentenceTransformerEmbedder
from retrieval.indexing import vector_literal

WORDS = [
    "waterproof",
    "boots",
    "coffee",
    "speaker",
    "red",
    "laptop",
    "gift",
    "kettle",
    "chair",
    "camera",
    "mat",
    "travel",
    "smart",
    "warm",
    "music",
    "kids",
    "garden",
    "running",
    "bag",
    "light",
]


def queries(n: int) -> list[str]:
    return [f"{WORDS[i % 20]} {WORDS[(i * 7 + 3) % 20]} {WORDS[(i * 13 + 5) % 20]} {i}" for i in range(n)]


def percentiles(ms: list[float]) -> tuple[float, float, float]:
    a = np.array(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(np.percentile(a, 99))


async def recall_at_10(url: str, embedder: SentenceTransformerEmbedder, texts: list[str]) -> float:
    hits = []
    async with connect(url) as conn:
        for text in texts:
            vec = vector_literal(embedder.embed_query(text))
            sql = "SELECT id FROM products ORDER BY embedding <=> %s LIMIT 10"
            async with conn.transaction():
                await conn.execute("SELECT set_config('hnsw.ef_search', '100', true)")
                approx = {r["id"] for r in await (await conn.execute(sql, [vec])).fetchall()}
            async with conn.transaction():
                await conn.execute("SELECT set_config('enable_indexscan', 'off', true)")
                exact = {r["id"] for r in await (await conn.execute(sql, [vec])).fetchall()}
            hits.append(len(approx & exact) / 10)
    return float(np.mean(hits))


def timed(client: httpx.Client, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter()
        client.get("/api/v1/products/search", params={"q": text, "limit": 10}).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def timed_together(base: str, texts: list[str], clients: int) -> tuple[list[float], float]:
    """``clients`` shoppers at once, each searching its share of ``texts`` back to back."""
    out: list[float] = []

    async def one(client: httpx.AsyncClient, mine: list[str]) -> None:
        for text in mine:
            start = time.perf_counter()
            response = await client.get("/api/v1/products/search", params={"q": text, "limit": 10})
            response.raise_for_status()
            out.append((time.perf_counter() - start) * 1000)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(one(client, texts[i::clients]) for i in range(clients)))
        return out, len(texts) / (time.perf_counter() - start)


async def load(url: str, embedder: SentenceTransformerEmbedder, path: Path) -> None:
    await migrate(url)
    async with connect(url) as conn:
        async with conn.transaction():
            await import_catalog(conn, embedder, path, progress=True)
        await vacuum_catalog(conn)


async def product_count(url: str) -> int:
    await migrate(url)
    async with connect(url) as conn:
        row = await (await conn.execute("SELECT count(*) AS n FROM products")).fetchone()
        return int(row["n"]) if row else 0


@dataclass
class Figures:
    cold: list[float]
    cold_rate: float
    together: list[float]
    together_rate: float
    repeated: list[float]
    rss_mb: float
    recall: float


def measure(url: str, n_queries: int, clients: int, data_dir: Path) -> Figures:
    """Time the search API of ``elara serve`` (its own process, as a shopper's client sees it) over ``url``.

    Every timed text is new to the service (its number makes it unique), so each one misses both the
    query-vector cache and the ranking cache: a cold search. The repeated case asks 20 of them again."""
    texts = queries(n_queries)
    extra = {"ELARA_DATABASE__URL": url, "ELARA_LOAD_DEMO": "false"}
    with run_service(data_dir, extra) as (base, pid), RssSampler(pid) as rss:
        with httpx.Client(base_url=base, timeout=30) as client:
            timed(client, [f"warm up {i}" for i in range(5)])
            start = time.perf_counter()
            cold = timed(client, texts)
            cold_rate = len(texts) / (time.perf_counter() - start)
            repeated = timed(client, texts[:20] * 5)
        together, together_rate = asyncio.run(timed_together(base, [f"{t} together" for t in texts], clients))
    return Figures(cold, cold_rate, together, together_rate, repeated, rss.peak / 2**20, 0.0)


def run(products: int, n_queries: int, clients: int, keep: Path | None) -> None:
    embedder = build_embedder(Settings(env="test", load_demo=False))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    with tempfile.TemporaryDirectory(prefix="elara-bench-") as tmp:
        path = DEMO if products <= 50 else write_synthetic(Path(tmp) / "cat.jsonl", products)
        server = EmbeddedPostgres((keep or Path(tmp)) / "pg", delete_on_exit=keep is None)
        try:
            url = server.url("postgres")
            if asyncio.run(product_count(url)) != products:  # a kept database is loaded once
                asyncio.run(load(url, embedder, path))
            figures = measure(url, n_queries, clients, Path(tmp) / "service")
            figures.recall = asyncio.run(recall_at_10(url, embedder, queries(n_queries)[:50]))
        finally:
            server.stop()
    report(figures, products, n_queries, clients)


def report(f: Figures, products: int, n_queries: int, clients: int) -> None:
    table = Table(title=f"search via HTTP, {products} products, {n_queries} queries")
    for column in ("case", "p50 ms", "p95 ms", "p99 ms", "queries/s"):
        table.add_column(column)
    table.add_row("cold (new query)", *(f"{x:.1f}" for x in percentiles(f.cold)), f"{f.cold_rate:.0f}")
    table.add_row(
        f"cold, {clients} clients at once",
        *(f"{x:.1f}" for x in percentiles(f.together)),
        f"{f.together_rate:.0f}",
    )
    table.add_row("repeated query", *(f"{x:.1f}" for x in percentiles(f.repeated)), "")
    Console().print(table)
    Console().print(f"HNSW recall@10 vs exact scan (ef_search=100): {f.recall:.3f}")
    Console().print(f"service peak RSS: {f.rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4, help="shoppers searching at once")
    parser.add_argument(
        "--keep", type=Path, help="keep the database in this directory and reuse it (no re-import)"
    )
    args = parser.parse_args()
    run(args.products, args.queries, args.clients, args.keep)


if __name__ == "__main__":
    main()
