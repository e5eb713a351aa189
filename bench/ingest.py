"""Ingest throughput: products/s of ``import_catalog`` vs the raw model encode rate on the same texts, and the
CPU seconds the import took in this process (encoding, validation) and in its PostgreSQL backend (writes,
triggers, indexes). On a shared machine products/s follows the load; the CPU seconds barely do, so compare
those between two versions of the code.

python -m bench.ingest [--products 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def _process_cpu() -> float:
    """CPU seconds (user + system) of this process, all its threads."""
    times = os.times()
    return times.user + times.system


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds of a PostgreSQL backend on this machine (Linux /proc), None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


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
                row = await (await conn.execute("SELECT pg_backend_pid() AS pid")).fetchone()
                await conn.commit()
                backend = int(row["pid"]) if row else 0
                backend_start, process_start = _backend_cpu(backend), _process_cpu()
                start = time.perf_counter()
                async with conn.transaction():
                    await import_catalog(conn, embedder, path, progress=False)
                backend_end, process_cpu = _backend_cpu(backend), _process_cpu() - process_start
                await vacuum_catalog(conn)  # as `elara catalog import` does
                import_rate = count / (time.perf_counter() - start)
        finally:
            server.stop()
    backend_cpu = (
        f"{backend_end - backend_start:.1f}" if backend_start is not None and backend_end is not None else "-"
    )
    table = Table(title=f"ingest, {count} products (load {os.getloadavg()[0]:.1f} at the end)")
    columns = (
        "raw encode products/s",
        "import products/s",
        "import / encode",
        "CPU s here",
        "CPU s database",
    )
    for column in columns:
        table.add_column(column)
    table.add_row(
        f"{encode_rate:.0f}",
        f"{import_rate:.0f}",
        f"{import_rate / encode_rate:.0%}",
        f"{process_cpu:.1f}",
        backend_cpu,
    )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=2000)
    asyncio.run(run(parser.parse_args().products))


if __name__ == "__main__":
    main()
