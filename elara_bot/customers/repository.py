"""SQL for customers and their channel identities."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, cast
from uuid import UUID

from elara_bot.customers.schemas import Role
from elara_bot.db import Conn

COLUMNS = "c.id, c.display_name, c.email, c.role"


class CustomerRow(TypedDict):
    """A customer as ``COLUMNS`` reads it."""

    id: UUID
    display_name: str | None
    email: str | None
    role: Role


async def find_by_identity(conn: Conn, channel: str, external_id: str) -> CustomerRow | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM customers c JOIN customer_identities i ON i.customer_id = c.id"
        " WHERE i.channel = %s AND i.external_id = %s AND c.active",
        (channel, external_id),
    )
    return cast(CustomerRow | None, await cur.fetchone())


async def find_by_id(conn: Conn, customer_id: UUID) -> CustomerRow | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM customers c WHERE c.id = %s AND c.active", (customer_id,)
    )
    return cast(CustomerRow | None, await cur.fetchone())


async def insert_customer(
    conn: Conn, display_name: str | None, role: Role, email: str | None = None, *, anonymous: bool = False
) -> CustomerRow:
    cur = await conn.execute(
        "INSERT INTO customers AS c (display_name, role, email, anonymous) VALUES (%s, %s, %s, %s)"
        f" RETURNING {COLUMNS}",
        (display_name, role, email, anonymous),
    )
    row = await cur.fetchone()
    assert row is not None
    return cast(CustomerRow, row)


async def insert_identity(conn: Conn, customer_id: UUID, channel: str, external_id: str) -> bool:
    """False when the identity already exists (a concurrent create won)."""
    cur = await conn.execute(
        "INSERT INTO customer_identities (customer_id, channel, external_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (channel, external_id) DO NOTHING",
        (customer_id, channel, external_id),
    )
    return cur.rowcount == 1


# --- anonymous web sessions -----------------------------------------------------------------------


async def count_session_creation(conn: Conn, client: str, window_s: int = 60) -> tuple[int, int]:
    """Count one session creation by ``client`` in the current fixed window; returns (count, seconds left).

    The row stays locked until the request's transaction ends: one client's creations are serialised,
    and a refused one (rolled back) does not count."""
    cur = await conn.execute(
        "INSERT INTO session_rate (client, window_start, created)"
        " VALUES (%s, to_timestamp(floor(extract(epoch FROM now()) / %s) * %s), 1)"
        " ON CONFLICT (client, window_start) DO UPDATE SET created = session_rate.created + 1"
        " RETURNING created,"
        " ceil(extract(epoch FROM window_start + make_interval(secs => %s) - now()))::int AS left_s",
        (client, window_s, window_s, window_s),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["created"]), max(1, int(row["left_s"]))


async def prune_session_rate(conn: Conn) -> None:
    await conn.execute("DELETE FROM session_rate WHERE window_start < now() - interval '10 minutes'")


async def count_anonymous(conn: Conn, at_most: int) -> int:
    """Live anonymous sessions, counted up to ``at_most`` (an index-only scan that stops there)."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM (SELECT 1 FROM customers WHERE anonymous LIMIT %s) s", (at_most,)
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


# An anonymous session that has nothing to lose: no order, no cart line, and no cart or conversation
# touched since %(idle_before)s. Its conversations go with it (they would be orphaned otherwise); its
# carts and identity follow by ON DELETE CASCADE.
_IDLE_EMPTY = """
    c.anonymous AND c.created_at < %(idle_before)s
    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
    AND NOT EXISTS (SELECT 1 FROM carts k JOIN cart_lines l ON l.cart_id = k.id WHERE k.customer_id = c.id)
    AND NOT EXISTS (SELECT 1 FROM carts k WHERE k.customer_id = c.id AND k.updated_at >= %(idle_before)s)
    AND NOT EXISTS (
        SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.updated_at >= %(idle_before)s)
"""
# Past its token's lifetime nobody can use a session again: it goes even with a cart (never with orders).
_EXPIRED = """
    c.anonymous AND c.created_at < %(expired_before)s
    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)
"""
_DELETE = """
WITH victims AS (
    SELECT c.id FROM customers c WHERE {where}
    ORDER BY c.created_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
), conversations_gone AS (
    DELETE FROM conversations v USING victims WHERE v.customer_id = victims.id
)
DELETE FROM customers c USING victims WHERE c.id = victims.id
"""


async def delete_idle_anonymous(conn: Conn, idle_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` idle empty anonymous sessions, oldest first; returns how many."""
    cur = await conn.execute(
        _DELETE.format(where=_IDLE_EMPTY).encode(), {"idle_before": idle_before, "limit": limit}
    )
    return cur.rowcount


async def delete_expired_anonymous(conn: Conn, expired_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` anonymous sessions created before ``expired_before`` that have no order."""
    cur = await conn.execute(
        _DELETE.format(where=_EXPIRED).encode(), {"expired_before": expired_before, "limit": limit}
    )
    return cur.rowcount


async def is_staff_identity(conn: Conn, channel: str, external_id: str) -> bool:
    """An active identity on ``channel`` of an active merchant or admin."""
    cur = await conn.execute(
        "SELECT 1 FROM customer_identities i JOIN customers c ON c.id = i.customer_id"
        " WHERE i.channel = %s AND i.external_id = %s AND i.active AND c.active"
        " AND c.role IN ('merchant', 'admin')",
        (channel, external_id),
    )
    return await cur.fetchone() is not None
