"""The pool skips its checkout check only for connections the server has not closed."""

from __future__ import annotations

import asyncio

import psycopg

from elara_bot.db import _untouched, connect


async def test_an_idle_connection_is_untouched_until_its_backend_is_terminated(shared_db_url: str) -> None:
    async with connect(shared_db_url) as conn, connect(shared_db_url) as admin:
        await conn.execute("SELECT 1")
        await conn.commit()
        assert _untouched(conn)
        pid = conn.info.backend_pid
        await admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        await admin.commit()
        for _ in range(100):  # the server's error and close arrive on the socket
            if not _untouched(conn):
                break
            await asyncio.sleep(0.02)
        assert not _untouched(conn)  # so the pool checks it, finds it broken and purges the idle ones
        try:
            await conn.execute("SELECT 1")
        except psycopg.OperationalError:
            pass
        else:
            raise AssertionError("a terminated backend still answered")


async def test_a_connection_inside_a_transaction_is_always_checked(shared_db_url: str) -> None:
    async with connect(shared_db_url) as conn:
        await conn.execute("SELECT 1")  # autocommit off: a transaction is open
        assert not _untouched(conn)
        await conn.rollback()
        assert _untouched(conn)
