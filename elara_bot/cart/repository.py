"""SQL for carts and cart lines."""

from __future__ import annotations

from typing import TypedDict, cast
from uuid import UUID

from elara_bot.db import Conn

LOCK_ATTEMPTS = 5  # checkouts committed under one cart write before it gives up


class CartLineRow(TypedDict):
    """A cart line with its variant's current price and stock (``currency`` is ``char(3)``: strip it)."""

    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    quantity: int
    price_minor: int
    currency: str
    stock: int


class CartVariantRow(TypedDict):
    sku: str
    stock: int
    active: bool
    currency: str
    title: str


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


_LINES = (
    "SELECT l.sku, v.product_id, p.title, v.options, l.quantity, v.price_minor,"
    " v.currency, v.stock FROM cart_lines l JOIN variants v ON v.sku = l.sku"
    " JOIN products p ON p.id = v.product_id"
)


async def cart_lines(conn: Conn, cart_id: int) -> list[CartLineRow]:
    cur = await conn.execute(f"{_LINES} WHERE l.cart_id = %s ORDER BY l.added_at, l.sku", (cart_id,))
    return cast(list[CartLineRow], await cur.fetchall())


async def open_cart_lines(conn: Conn, customer_id: UUID) -> list[CartLineRow]:
    """The lines of the customer's open cart, read in one query; none when there is no open cart yet."""
    cur = await conn.execute(
        f"{_LINES} JOIN carts c ON c.id = l.cart_id WHERE c.customer_id = %s AND c.status = 'open'"
        " ORDER BY l.added_at, l.sku",
        (customer_id,),
    )
    return cast(list[CartLineRow], await cur.fetchall())


async def variant(conn: Conn, sku: str) -> CartVariantRow | None:
    cur = await conn.execute(
        "SELECT v.sku, v.stock, v.active, v.currency, p.title FROM variants v"
        " JOIN products p ON p.id = v.product_id WHERE v.sku = %s",
        (sku,),
    )
    return cast(CartVariantRow | None, await cur.fetchone())


async def lock_open_cart(conn: Conn, customer_id: UUID) -> int | None:
    """The customer's open cart, created on first use and row-locked (`FOR UPDATE`, the lock checkout
    takes) until the transaction ends: every cart write holds it, so writes and checkouts run one at a
    time per customer. Under READ COMMITTED a checkout that commits while we wait makes the re-checked
    row no longer 'open' and the SELECT finds nothing: then the next attempt creates (or finds) the new
    open cart. None after `LOCK_ATTEMPTS` such losses (a checkout storm; the caller answers 409)."""
    for _ in range(LOCK_ATTEMPTS):
        await conn.execute(
            "INSERT INTO carts (customer_id) VALUES (%s)"
            " ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING",
            (customer_id,),
        )
        cur = await conn.execute(
            "SELECT id FROM carts WHERE customer_id = %s AND status = 'open' FOR UPDATE", (customer_id,)
        )
        if (row := await cur.fetchone()) is not None:
            return int(row["id"])
    return None


async def line_quantity(conn: Conn, cart_id: int, sku: str) -> int:
    cur = await conn.execute(
        "SELECT quantity FROM cart_lines WHERE cart_id = %s AND sku = %s", (cart_id, sku)
    )
    row = await cur.fetchone()
    return int(row["quantity"]) if row else 0


async def add_to_line(conn: Conn, cart_id: int, sku: str, quantity: int, max_quantity: int) -> int | None:
    """Add `quantity` to the line in one statement, only while the sum stays within the per-item
    maximum and the variant's stock (an active variant); the new quantity, or None when refused.
    One statement, so adds interleaved on one connection (a turn's parallel tool calls) cannot lose
    each other's units either."""
    cur = await conn.execute(
        "INSERT INTO cart_lines AS l (cart_id, sku, quantity)"
        " SELECT %(cart)s, v.sku, %(n)s FROM variants v"
        " WHERE v.sku = %(sku)s AND v.active AND %(n)s <= LEAST(v.stock, %(max)s)"
        " ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = l.quantity + EXCLUDED.quantity"
        " WHERE l.quantity + EXCLUDED.quantity"
        " <= LEAST(%(max)s, (SELECT v.stock FROM variants v WHERE v.sku = EXCLUDED.sku))"
        " RETURNING l.quantity",
        {"cart": cart_id, "sku": sku, "n": quantity, "max": max_quantity},
    )
    row = await cur.fetchone()
    return int(row["quantity"]) if row else None


async def set_line(conn: Conn, cart_id: int, sku: str, quantity: int) -> bool:
    """Set an existing line's quantity; False when the line is not in the cart."""
    cur = await conn.execute(
        "UPDATE cart_lines SET quantity = %s WHERE cart_id = %s AND sku = %s", (quantity, cart_id, sku)
    )
    return cur.rowcount > 0


async def touch(conn: Conn, cart_id: int) -> None:
    await conn.execute("UPDATE carts SET updated_at = now() WHERE id = %s", (cart_id,))


async def delete_line(conn: Conn, cart_id: int, sku: str) -> int:
    cur = await conn.execute("DELETE FROM cart_lines WHERE cart_id = %s AND sku = %s", (cart_id, sku))
    return cur.rowcount


async def delete_lines(conn: Conn, cart_id: int) -> None:
    await conn.execute("DELETE FROM cart_lines WHERE cart_id = %s", (cart_id,))
