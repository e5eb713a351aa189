"""SQL for turning the open cart into an order."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from elara_bot.db import Conn
from elara_bot.orders.repository import OrderLineRow


class CheckoutLineRow(OrderLineRow):
    """A cart line about to become an order line, with what checkout checks first."""

    currency: str  # char(3): strip it
    active: bool


async def lock_cart_lines(conn: Conn, customer_id: UUID) -> tuple[int | None, list[CheckoutLineRow]]:
    """The open cart (row-locked against a concurrent checkout by the same customer) and its lines."""
    cur = await conn.execute(
        "SELECT id FROM carts WHERE customer_id = %s AND status = 'open' FOR UPDATE", (customer_id,)
    )
    cart = await cur.fetchone()
    if cart is None:
        return None, []
    cur = await conn.execute(
        "SELECT l.sku, v.product_id, p.title, v.options, l.quantity,"
        " v.price_minor AS unit_price_minor, v.currency, v.active"
        " FROM cart_lines l JOIN variants v ON v.sku = l.sku JOIN products p ON p.id = v.product_id"
        " WHERE l.cart_id = %s ORDER BY l.sku",
        (cart["id"],),
    )
    return int(cart["id"]), cast(list[CheckoutLineRow], await cur.fetchall())


async def close_cart(conn: Conn, cart_id: int) -> None:
    await conn.execute(
        "UPDATE carts SET status = 'checked_out', updated_at = now() WHERE id = %s", (cart_id,)
    )


async def restore_cart(conn: Conn, customer_id: UUID, order_id: UUID) -> None:
    """Put an order's lines back into the customer's open cart (created if need be), merged with what
    is there: a checkout whose payment page could not be opened loses nothing."""
    await conn.execute(
        "INSERT INTO carts (customer_id) VALUES (%s)"
        " ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING",
        (customer_id,),
    )
    cur = await conn.execute(
        "SELECT id FROM carts WHERE customer_id = %s AND status = 'open' FOR UPDATE", (customer_id,)
    )
    cart = await cur.fetchone()
    if cart is None:  # a concurrent checkout closed the fresh cart: open another
        await restore_cart(conn, customer_id, order_id)
        return
    await conn.execute(
        "INSERT INTO cart_lines AS c (cart_id, sku, quantity)"
        " SELECT %s, l.sku, l.quantity FROM order_lines l WHERE l.order_id = %s"
        " ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = c.quantity + EXCLUDED.quantity",
        (cart["id"], order_id),
    )
    await conn.execute("UPDATE carts SET updated_at = now() WHERE id = %s", (cart["id"],))
