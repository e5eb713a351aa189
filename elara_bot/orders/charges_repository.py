"""The charge journal's SQL (see ``elara_bot.orders.charges``): one row per charge attempt of a checkout
session, written before the provider is called."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict, cast
from uuid import UUID

from elara_bot.db import Conn

Status = Literal["pending", "settled", "refunded", "failed"]


class JournalRow(TypedDict):
    id: UUID
    checkout_session_id: str
    idempotency_key: str
    amount_minor: int
    currency: str  # char(3): strip it
    status: Status
    intent_id: str | None
    order_id: UUID | None
    created_at: datetime
    updated_at: datetime


async def open_attempt(conn: Conn, session_id: str, key: str, amount_minor: int, currency: str) -> JournalRow:
    """The attempt's row, new or (the same charge retried under the same key) reopened."""
    cur = await conn.execute(
        "INSERT INTO charge_journal (checkout_session_id, idempotency_key, amount_minor, currency)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (idempotency_key) DO UPDATE SET"
        " status = CASE WHEN charge_journal.status = 'settled' THEN 'settled' ELSE 'pending' END,"
        " updated_at = now() RETURNING *",
        (session_id, key, amount_minor, currency.upper()),
    )
    return cast(JournalRow, await cur.fetchone())


async def record_intent(conn: Conn, journal_id: UUID, intent_id: str) -> None:
    await conn.execute(
        "UPDATE charge_journal SET intent_id = %s, updated_at = now() WHERE id = %s", (intent_id, journal_id)
    )


async def mark(conn: Conn, journal_id: UUID, status: Status, order_id: UUID | None = None) -> bool:
    """Leave ``pending`` for ``status``; False when the row was no longer pending."""
    cur = await conn.execute(
        "UPDATE charge_journal SET status = %s, order_id = coalesce(%s, order_id), updated_at = now()"
        " WHERE id = %s AND status = 'pending'",
        (status, order_id, journal_id),
    )
    return cur.rowcount == 1


async def settle(conn: Conn, intent_id: str, order_id: UUID) -> None:
    """The order holding this charge is recorded: call it in the order's own transaction."""
    await conn.execute(
        "UPDATE charge_journal SET status = 'settled', order_id = %s, updated_at = now()"
        " WHERE intent_id = %s AND status = 'pending'",
        (order_id, intent_id),
    )


async def pending_of_session(conn: Conn, session_id: str, other_than: str) -> list[JournalRow]:
    cur = await conn.execute(
        "SELECT * FROM charge_journal WHERE checkout_session_id = %s AND status = 'pending'"
        " AND idempotency_key <> %s ORDER BY created_at",
        (session_id, other_than),
    )
    return cast(list[JournalRow], await cur.fetchall())


async def due_ids(conn: Conn, before: datetime, limit: int = 100) -> list[UUID]:
    cur = await conn.execute(
        "SELECT id FROM charge_journal WHERE status = 'pending' AND updated_at < %s"
        " ORDER BY updated_at LIMIT %s",
        (before, limit),
    )
    return [row["id"] for row in await cur.fetchall()]


async def lock_pending(conn: Conn, journal_id: UUID, *, with_session: bool) -> JournalRow | None:
    """The row, locked, if it is still pending and nobody else holds it; ``with_session`` also requires
    its checkout session to be free (a completion in flight holds it from before its charge to its
    commit: its row is not an orphan)."""
    cur = await conn.execute(
        "SELECT * FROM charge_journal WHERE id = %s AND status = 'pending' FOR UPDATE SKIP LOCKED",
        (journal_id,),
    )
    row = cast(JournalRow | None, await cur.fetchone())
    if row is None or not with_session:
        return row
    cur = await conn.execute(
        "SELECT id FROM checkout_sessions WHERE id = %s FOR UPDATE SKIP LOCKED", (row["checkout_session_id"],)
    )
    return row if await cur.fetchone() is not None else None


async def order_paid_by(conn: Conn, intent_id: str) -> UUID | None:
    cur = await conn.execute("SELECT id FROM orders WHERE payment_session_id = %s LIMIT 1", (intent_id,))
    row = await cur.fetchone()
    return row["id"] if row else None
