"""SQL for carts and cart lines."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from elara_bot.db import Conn


async def open_cart_id(conn: Conn, customer_id: UUID) -> int:
    """The customer's open cart, created on first use (one per customer: partial unique index)."""
    await conn.execute(
        "INSERT INTO carts (customer_id) VALUES (%s)"
        " ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING",
        (customer_id,),
    )
    cur = await conn.execute(
        "SELECT id FROM carts WHERE customer_id = %s AND status = 'open'", (customer_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def cart_lines(conn: Conn, cart_id: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT l.sku, v.product_id, p.title, v.options, l.quantity, v.price_minor,"
        " v.currency, v.stock FROM cart_lines l JOIN variants v ON v.sku = l.sku"
        " JOIN products p ON p.id = v.product_id WHERE l.cart_id = %s ORDER BY l.added_at, l.sku",
        (cart_id,),
    )
    return await cur.fetchall()


async def variant(conn: Conn, sku: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT v.sku, v.stock, v.active, v.currency, p.title FROM variants v"
        " JOIN products p ON p.id = v.product_id WHERE v.sku = %s",
        (sku,),
    )
    return await cur.fetchone()


async def line_quantity(conn: Conn, cart_id: int, sku: str) -> int:
    cur = await conn.execute(
        "SELECT quantity FROM cart_lines WHERE cart_id = %s AND sku = %s", (cart_id, sku)
    )
    row = await cur.fetchone()
    return int(row["quantity"]) if row else 0


async def upsert_line(conn: Conn, cart_id: int, sku: str, quantity: int) -> None:
    await conn.execute(
        "INSERT INTO cart_lines (cart_id, sku, quantity) VALUES (%s, %s, %s)"
        " ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity",
        (cart_id, sku, quantity),
    )
    await conn.execute("UPDATE carts SET updated_at = now() WHERE id = %s", (cart_id,))


async def delete_line(conn: Conn, cart_id: int, sku: str) -> int:
    cur = await conn.execute("DELETE FROM cart_lines WHERE cart_id = %s AND sku = %s", (cart_id, sku))
    return cur.rowcount


async def delete_lines(conn: Conn, cart_id: int) -> None:
    await conn.execute("DELETE FROM cart_lines WHERE cart_id = %s", (cart_id,))
