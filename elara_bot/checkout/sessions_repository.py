"""SQL of checkout sessions and carts (the UCP checkout and cart capabilities), with typed rows; the
service is ``sessions.py``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, TypedDict, cast
from uuid import UUID

from elara_bot.db import Conn

FINAL = ("completed", "canceled")
JSONB = ("lines", "buyer", "destinations")  # columns written as JSON text


class LineRef(TypedDict):
    """A session line as stored: the item (SKU) and quantity; everything else is read from the catalog."""

    id: str
    sku: str
    quantity: int


class SessionRow(TypedDict):
    id: str
    kind: Literal["checkout", "cart"]
    status: str
    currency: str  # char(3): strip it
    lines: list[LineRef]
    buyer: dict[str, Any] | None
    discount_codes: list[str]
    destinations: list[dict[str, Any]]
    selected_destination: str | None
    shipping_service: str | None
    customer_id: UUID | None
    order_id: UUID | None
    platform_profile: str | None
    webhook_url: str | None
    expires_at: datetime
    cart_id: str | None
    created_at: datetime
    updated_at: datetime


class VariantRow(TypedDict):
    """A variant as a session prices and titles it."""

    sku: str
    product_id: str
    title: str
    options: dict[str, Any] | None
    price_minor: int
    currency: str  # char(3): strip it
    stock: int
    active: bool
    image_url: str | None


class OrderLink(TypedDict):
    """The session an order was placed through: its platform and where its webhooks go."""

    id: str
    platform_profile: str | None
    webhook_url: str | None
    customer_id: UUID | None


async def variants(conn: Conn, skus: list[str]) -> dict[str, VariantRow]:
    cur = await conn.execute(
        "SELECT v.sku, v.product_id, p.title, v.options, v.price_minor, v.currency, v.stock, v.active,"
        " p.image_url FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku = ANY(%s)",
        (skus,),
    )
    return {row["sku"]: cast(VariantRow, row) for row in await cur.fetchall()}


async def insert(
    conn: Conn,
    session_id: str,
    kind: Literal["checkout", "cart"],
    currency: str,
    lines: list[LineRef],
    platform_profile: str | None,
    webhook_url: str | None,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO checkout_sessions"
        " (id, kind, status, currency, lines, platform_profile, webhook_url, expires_at)"
        " VALUES (%s, %s, 'incomplete', %s, %s::jsonb, %s, %s, %s)",
        (session_id, kind, currency, json.dumps(lines), platform_profile, webhook_url, expires_at),
    )


async def row(conn: Conn, session_id: str, *, lock: bool = False) -> SessionRow | None:
    cur = await conn.execute(
        "SELECT * FROM checkout_sessions WHERE id = %s" + (" FOR UPDATE" if lock else ""), (session_id,)
    )
    return cast(SessionRow | None, await cur.fetchone())


async def open_checkout_of_cart(conn: Conn, cart_id: str) -> str | None:
    cur = await conn.execute(
        "SELECT id FROM checkout_sessions WHERE cart_id = %s AND status NOT IN ('completed', 'canceled')",
        (cart_id,),
    )
    found = await cur.fetchone()
    return str(found["id"]) if found else None


async def set_cart(conn: Conn, session_id: str, cart_id: str) -> None:
    await conn.execute("UPDATE checkout_sessions SET cart_id = %s WHERE id = %s", (cart_id, session_id))


async def write(conn: Conn, session_id: str, changes: dict[str, Any]) -> None:
    """Set the given columns (``lines``, ``buyer`` and ``destinations`` as JSON values)."""
    if not changes:
        return
    sets = ", ".join(f"{k} = %s{'::jsonb' if k in JSONB else ''}" for k in changes)
    values = [json.dumps(v) if k in JSONB else v for k, v in changes.items()]
    await conn.execute(
        f"UPDATE checkout_sessions SET {sets}, updated_at = now() WHERE id = %s", (*values, session_id)
    )


async def set_status(conn: Conn, session_id: str, status: str) -> None:
    """Store a recomputed status, never over a completion or cancel that committed since the row was read
    (a concurrent complete): the caller's later locked read then sees the final status."""
    await conn.execute(
        "UPDATE checkout_sessions SET status = %s WHERE id = %s AND status NOT IN ('completed', 'canceled')",
        (status, session_id),
    )


async def expire(conn: Conn, session_id: str) -> None:
    await conn.execute("UPDATE checkout_sessions SET status = 'canceled' WHERE id = %s", (session_id,))


async def cancel(conn: Conn, session_id: str) -> None:
    await conn.execute(
        "UPDATE checkout_sessions SET status = 'canceled', updated_at = now() WHERE id = %s", (session_id,)
    )


async def mark_completed(conn: Conn, session_id: str, order_id: UUID) -> None:
    await conn.execute(
        "UPDATE checkout_sessions SET status = 'completed', order_id = %s, updated_at = now() WHERE id = %s",
        (order_id, session_id),
    )


async def order_number(conn: Conn, order_id: UUID) -> str | None:
    cur = await conn.execute("SELECT number FROM orders WHERE id = %s", (order_id,))
    found = await cur.fetchone()
    return str(found["number"]) if found else None


async def set_shipping_address(conn: Conn, order_id: UUID, address: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE orders SET shipping_address = %s::jsonb WHERE id = %s", (json.dumps(address), order_id)
    )


async def session_for_order(conn: Conn, order_id: UUID) -> OrderLink | None:
    cur = await conn.execute(
        "SELECT id, platform_profile, webhook_url, customer_id FROM checkout_sessions WHERE order_id = %s",
        (order_id,),
    )
    return cast(OrderLink | None, await cur.fetchone())


class Owner(TypedDict):
    platform_profile: str | None
    kind: Literal["checkout", "cart"]


async def owner(conn: Conn, session_id: str) -> Owner | None:
    """Who a session (or cart) belongs to."""
    cur = await conn.execute(
        "SELECT platform_profile, kind FROM checkout_sessions WHERE id = %s", (session_id,)
    )
    return cast(Owner | None, await cur.fetchone())


class PlacedOrder(TypedDict):
    """An order placed through a checkout session, with that session's platform and webhook."""

    checkout_id: str
    platform_profile: str | None
    webhook_url: str | None
    order_id: UUID
    customer_id: UUID


async def placed_order(conn: Conn, number: str) -> PlacedOrder | None:
    cur = await conn.execute(
        "SELECT s.id AS checkout_id, s.platform_profile, s.webhook_url, o.id AS order_id, o.customer_id"
        " FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = %s",
        (number,),
    )
    return cast(PlacedOrder | None, await cur.fetchone())
