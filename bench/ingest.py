"""Ingest throughput: products/s of ``import_catalog`` vs the raw model encode rate on the same texts.

python -m bench.ingest [--products 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.catalog_synth import write_synthetic
from elara_bot.app import build_embedder
from elara_bot.catalog.importer import _jsonl_rows, import_catalog, option_text
from elara_bot.catalog.repository import vacuum_catalog
from elara_bot.catalog.schemas import ProductIn
from elara_bot.config import get_settings
from elara_bot.db import EmbeddedPostgres, connect, migrate
from retrieval.indexing import embedding_text


async def run(count: int) -> None:
    embedder = build_embedder(get_settings())
    with tempfile.TemporaryDirectory(prefix="elara-ingest-") as tmp:
        path = write_synthetic(Path(tmp) / "cat.jsonl", count)
        texts = []
        for _, data, _ in _jsonl_rows(path):
            p = ProductIn.model_validate(data)
            texts.append(embedding_text(p.title, p.category, option_text(p), p.description))
        embedder.embed_documents(texts[:64])  # warm-up
        start = time.perf_counter()
        embedder.embed_documents(texts)
        encode_rate = count / (time.perf_counter() - start)
        server = EmbeddedPostgres(Path(tmp) / "pg", delete_on_exit=True)
        try:
            url = server.url("postgres")
            await migrate(url)
            async with connect(url) as conn:
                start = time.perf_counter()
                async with conn.transaction():
                    await import_catalog(conn, embedder, path, progress=False)
                await vacuum_catalog(conn)  # as `elara catalog import` does
                import_rate = count / (time.perf_counter() - start)
        finally:
            server.stop()
    table = Table(title=f"ingest, {count} products")
    for column in ("raw encode products/s", "import products/s", "import / encode"):
        table.add_column(column)
    table.add_row(f"{encode_rate:.0f}", f"{import_rate:.0f}", f"{import_rate / encode_rate:.0%}")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=2000)
    asyncio.run(run(parser.parse_args().products))


if __name__ == "__main__":
    main()
