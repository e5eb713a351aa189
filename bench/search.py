"""Search latency and throughput through the HTTP API, and exact-vs-HNSW recall@10.

Starts its own throw-away embedded PostgreSQL and the app on loopback, loads the demo catalog or a
deterministic synthetic one, then times cold queries (query-vector cache cleared) and repeated ones.

    python -m bench.search [--products 50000] [--queries 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from rich.console import Console
from rich.table import Table

from bench.catalog_synth import DEMO, write_synthetic
from elara_bot.app import build_embedder, create_app
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


def run(products: int, n_queries: int, keep: Path | None) -> None:
    settings = Settings(env="test", load_demo=False)
    embedder = build_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    with tempfile.TemporaryDirectory(prefix="elara-bench-") as tmp:
        path = DEMO if products <= 50 else write_synthetic(Path(tmp) / "cat.jsonl", products)
        server = EmbeddedPostgres((keep or Path(tmp)) / "pg", delete_on_exit=keep is None)
        try:
            url = server.url("postgres")
            if asyncio.run(product_count(url)) != products:  # a kept database is loaded once
                asyncio.run(load(url, embedder, path))
            app_settings = Settings(env="test", load_demo=False, data_dir=Path(tmp), database={"url": url})
            config = uvicorn.Config(
                create_app(app_settings, embedder=embedder), host="127.0.0.1", port=0, log_level="warning"
            )
            uv = uvicorn.Server(config)
            thread = threading.Thread(target=uv.run, daemon=True)
            thread.start()
            while not uv.started:
                time.sleep(0.05)
            port = uv.servers[0].sockets[0].getsockname()[1]
            texts = queries(n_queries)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                timed(client, ["warm up"] * 5)
                embedder.cache_clear()
                start = time.perf_counter()
                cold = timed(client, texts)
                throughput = len(texts) / (time.perf_counter() - start)
                repeated = timed(client, texts[:20] * 5)
            uv.should_exit = True
            thread.join(timeout=30)
            recall = asyncio.run(recall_at_10(url, embedder, texts[:50]))
        finally:
            server.stop()
    table = Table(title=f"search via HTTP, {products} products, {n_queries} queries")
    for column in ("case", "p50 ms", "p95 ms", "p99 ms", "queries/s"):
        table.add_column(column)
    table.add_row("cold (new query)", *(f"{x:.1f}" for x in percentiles(cold)), f"{throughput:.0f}")
    table.add_row("repeated query", *(f"{x:.1f}" for x in percentiles(repeated)), "")
    Console().print(table)
    Console().print(f"HNSW recall@10 vs exact scan (ef_search=100): {recall:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--keep", type=Path, help="keep the database in this directory and reuse it (no re-import)"
    )
    args = parser.parse_args()
    run(args.products, args.queries, args.keep)


if __name__ == "__main__":
    main()
