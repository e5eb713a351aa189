"""SQL for customers and their channel identities."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from elara_bot.db import Conn

COLUMNS = "c.id, c.display_name, c.email, c.role"


async def find_by_identity(conn: Conn, channel: str, external_id: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM customers c JOIN customer_identities i ON i.customer_id = c.id"
        " WHERE i.channel = %s AND i.external_id = %s AND c.active",
        (channel, external_id),
    )
    return await cur.fetchone()


async def find_by_id(conn: Conn, customer_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM customers c WHERE c.id = %s AND c.active", (customer_id,)
    )
    return await cur.fetchone()


async def insert_customer(
    conn: Conn, display_name: str | None, role: str, email: str | None = None
) -> dict[str, Any]:
    cur = await conn.execute(
        f"INSERT INTO customers AS c (display_name, role, email) VALUES (%s, %s, %s) RETURNING {COLUMNS}",
        (display_name, role, email),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def insert_identity(conn: Conn, customer_id: UUID, channel: str, external_id: str) -> bool:
    """False when the identity already exists (a concurrent create won)."""
    cur = await conn.execute(
        "INSERT INTO customer_identities (customer_id, channel, external_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (channel, external_id) DO NOTHING",
        (customer_id, channel, external_id),
    )
    return cur.rowcount == 1
