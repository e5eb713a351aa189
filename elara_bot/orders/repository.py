"""SQL for orders, their lines, history, payments and stock reservation."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TypedDict, cast
from uuid import UUID

from psycopg.types.json import Jsonb

from elara_bot.db import Conn


# --- rows -----------------------------------------------------------------------------------------
class NewOrder(TypedDict):
    id: UUID
    number: str


class OrderRow(TypedDict):
    """An order as ``ORDER_COLUMNS`` reads it (``currency`` is ``char(3)``: strip it)."""

    id: UUID
    number: str
    customer_id: UUID
    status: str
    currency: str
    total_minor: int
    created_at: datetime
    tracking: list[str]
    payment_url: str | None
    payment_provider: str | None
    payment_session_id: str | None
    stock_reserved: bool
    reserved_until: datetime | None


class OrderLineRow(TypedDict):
    """A line as ordered, its unit price captured at order time (also what `insert_line` writes)."""

    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    quantity: int
    unit_price_minor: int


class OrderEventRow(TypedDict):
    status: str
    note: str | None
    created_at: datetime


class PaymentEventRow(TypedDict):
    """What `insert_payment_event` keeps of a provider event."""

    provider: str
    event_id: str
    kind: str
    session_id: str | None
    amount_minor: int | None
    currency: str | None


class ReviewPaymentRow(TypedDict):
    session_id: str
    amount_minor: int
    currency: str


class StaleOrderRow(TypedDict):
    id: UUID
    number: str
    payment_provider: str | None
    payment_session_id: str | None


NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_number() -> str:
    return "EL-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))


async def insert_order(
    conn: Conn, customer_id: UUID, currency: str, total_minor: int, reserved_until: datetime
) -> NewOrder:
    cur = await conn.execute(
        "INSERT INTO orders (number, customer_id, status, currency, total_minor, reserved_until)"
        " VALUES (%s, %s, 'pending_payment', %s, %s, %s) RETURNING id, number",
        (new_number(), customer_id, currency, total_minor, reserved_until),
    )
    row = await cur.fetchone()
    assert row is not None
    await add_event(conn, row["id"], "pending_payment", "order placed, stock reserved")
    return cast(NewOrder, row)


async def insert_line(conn: Conn, order_id: UUID, line: OrderLineRow) -> None:
    await conn.execute(
        "INSERT INTO order_lines (order_id, sku, product_id, title, options, quantity,"
        " unit_price_minor) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)",
        (
            order_id,
            line["sku"],
            line["product_id"],
            line["title"],
            Jsonb(line["options"]),
            line["quantity"],
            line["unit_price_minor"],
        ),
    )


async def reserve_stock(conn: Conn, sku: str, quantity: int) -> bool:
    """Decrement stock only if enough is left: the conditional update that prevents oversell."""
    cur = await conn.execute(
        "UPDATE variants SET stock = stock - %s, updated_at = now()"
        " WHERE sku = %s AND stock >= %s AND active",
        (quantity, sku, quantity),
    )
    return cur.rowcount == 1


async def add_event(conn: Conn, order_id: UUID, status: str, note: str | None) -> None:
    await conn.execute(
        "INSERT INTO order_events (order_id, status, note) VALUES (%s, %s, %s)",
        (order_id, status, note),
    )


async def set_payment_session(
    conn: Conn, order_id: UUID, provider: str, session_id: str, url: str, amount: int, currency: str
) -> bool:
    """Record the order's own payment session; False (nothing written) unless it is still pending."""
    cur = await conn.execute(
        "UPDATE orders SET payment_provider = %s, payment_session_id = %s, payment_url = %s"
        " WHERE id = %s AND status = 'pending_payment'",
        (provider, session_id, url, order_id),
    )
    if cur.rowcount != 1:
        return False
    await conn.execute(
        "INSERT INTO payments (order_id, provider, session_id, amount_minor, currency)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (provider, session_id) DO NOTHING",
        (order_id, provider, session_id, amount, currency),
    )
    return True


ORDER_COLUMNS = (
    "id, number, customer_id, status, currency, total_minor, created_at, tracking, payment_url,"
    " payment_provider, payment_session_id, stock_reserved, reserved_until"
)


async def order_by_number(conn: Conn, customer_id: UUID | None, number: str) -> OrderRow | None:
    """One order; with a customer id, only that customer's (anyone else's is simply absent)."""
    cur = await conn.execute(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE number = %s"
        " AND (%s::uuid IS NULL OR customer_id = %s::uuid)",
        (number.strip().upper(), customer_id, customer_id),
    )
    return cast(OrderRow | None, await cur.fetchone())


async def order_for_payment_session(conn: Conn, provider: str, session_id: str) -> OrderRow | None:
    cur = await conn.execute(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE payment_provider = %s AND payment_session_id = %s",
        (provider, session_id),
    )
    return cast(OrderRow | None, await cur.fetchone())


async def lock_order_for_payment(
    conn: Conn, provider: str, session_id: str | None, order_id: UUID | None
) -> OrderRow | None:
    """The order a payment event is about, row-locked: the one whose own session it is, else the one
    its reference names (which the caller must not trust as a payment of that order)."""
    cur = await conn.execute(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE (payment_provider = %s AND payment_session_id = %s)"
        " OR id = %s ORDER BY (payment_session_id IS NOT DISTINCT FROM %s) DESC LIMIT 1 FOR UPDATE",
        (provider, session_id, order_id, session_id),
    )
    return cast(OrderRow | None, await cur.fetchone())


async def orders_of(
    conn: Conn, customer_id: UUID | None, status: str | None = None, limit: int = 100
) -> list[OrderRow]:
    cur = await conn.execute(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE (%s::uuid IS NULL OR customer_id = %s::uuid)"
        " AND (%s::text IS NULL OR status = %s::text) ORDER BY created_at DESC LIMIT %s",
        (customer_id, customer_id, status, status, limit),
    )
    return cast(list[OrderRow], await cur.fetchall())


class OrderSummaryRow(TypedDict):
    number: str
    status: str
    titles: list[str]


async def recent_summaries(conn: Conn, customer_id: UUID, limit: int) -> list[OrderSummaryRow]:
    """The customer's newest orders: number, status and the titles of their lines, in one query."""
    cur = await conn.execute(
        "SELECT o.number, o.status, coalesce(array_agg(l.title ORDER BY l.sku)"
        " FILTER (WHERE l.title IS NOT NULL), '{}') AS titles"
        " FROM (SELECT id, number, status, created_at FROM orders WHERE customer_id = %s"
        "       ORDER BY created_at DESC LIMIT %s) o"
        " LEFT JOIN order_lines l ON l.order_id = o.id"
        " GROUP BY o.id, o.number, o.status, o.created_at ORDER BY o.created_at DESC",
        (customer_id, limit),
    )
    return cast(list[OrderSummaryRow], await cur.fetchall())


async def lines_of(conn: Conn, order_id: UUID) -> list[OrderLineRow]:
    cur = await conn.execute(
        "SELECT sku, product_id, title, options, quantity, unit_price_minor FROM order_lines"
        " WHERE order_id = %s ORDER BY sku",
        (order_id,),
    )
    return cast(list[OrderLineRow], await cur.fetchall())


async def events_of(conn: Conn, order_id: UUID) -> list[OrderEventRow]:
    cur = await conn.execute(
        "SELECT status, note, created_at FROM order_events WHERE order_id = %s ORDER BY id",
        (order_id,),
    )
    return cast(list[OrderEventRow], await cur.fetchall())


async def transition(
    conn: Conn, order_id: UUID, from_status: str | tuple[str, ...], to_status: str, note: str | None
) -> bool:
    """Move an order only from the expected state(s); False when it was elsewhere (a no-op)."""
    allowed = [from_status] if isinstance(from_status, str) else list(from_status)
    cur = await conn.execute(
        "UPDATE orders SET status = %s, updated_at = now() WHERE id = %s AND status = ANY(%s)",
        (to_status, order_id, allowed),
    )
    if cur.rowcount != 1:
        return False
    await add_event(conn, order_id, to_status, note)
    return True


async def release_order(
    conn: Conn, order_id: UUID, to_status: str, note: str, from_status: tuple[str, ...] = ("pending_payment",)
) -> bool:
    """Move to a terminal state and give the reserved stock back, exactly once."""
    if not await transition(conn, order_id, from_status, to_status, note):
        return False
    cur = await conn.execute(
        "UPDATE orders SET stock_reserved = false WHERE id = %s AND stock_reserved RETURNING id",
        (order_id,),
    )
    if await cur.fetchone() is not None:
        await conn.execute(
            "UPDATE variants v SET stock = v.stock + l.quantity, updated_at = now()"
            " FROM order_lines l WHERE l.order_id = %s AND l.sku = v.sku",
            (order_id,),
        )
    return True


async def record_webhook(conn: Conn, provider: str, event_id: str) -> bool:
    cur = await conn.execute(
        "INSERT INTO processed_webhooks (provider, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (provider, event_id),
    )
    return cur.rowcount == 1


async def order_id_for_session(conn: Conn, provider: str, session_id: str) -> UUID | None:
    row = await order_for_payment_session(conn, provider, session_id)
    return row["id"] if row else None


async def insert_payment_event(
    conn: Conn,
    event: PaymentEventRow,
    order_id: UUID | None,
    outcome: str,
) -> None:
    """Keep a provider event: what was paid, on which session, and what we did with it."""
    await conn.execute(
        "INSERT INTO payment_events (provider, provider_event_id, order_id, kind, session_id, amount_minor,"
        " currency, outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (provider_event_id) DO NOTHING",
        (
            event["provider"],
            event["event_id"],
            order_id,
            str(event["kind"]),
            event["session_id"],
            event["amount_minor"],
            event["currency"],
            outcome,
        ),
    )


async def review_payments(conn: Conn, order_id: UUID) -> list[ReviewPaymentRow]:
    """The payments that put an order in review (what was paid, on which session), oldest first."""
    cur = await conn.execute(
        "SELECT session_id, amount_minor, currency FROM payment_events"
        " WHERE order_id = %s AND outcome = 'payment_review' AND kind = 'paid' AND session_id IS NOT NULL"
        " AND amount_minor IS NOT NULL AND currency IS NOT NULL ORDER BY id",
        (order_id,),
    )
    return cast(list[ReviewPaymentRow], await cur.fetchall())


async def stale_orders(conn: Conn, now: datetime) -> list[StaleOrderRow]:
    cur = await conn.execute(
        "SELECT id, number, payment_provider, payment_session_id FROM orders"
        " WHERE status = 'pending_payment' AND reserved_until < %s"
        " ORDER BY reserved_until LIMIT 500 FOR UPDATE SKIP LOCKED",
        (now,),
    )
    return cast(list[StaleOrderRow], await cur.fetchall())


async def insert_return(conn: Conn, order_id: UUID, skus: list[str], reason: str | None) -> None:
    await conn.execute(
        "INSERT INTO returns (order_id, skus, reason) VALUES (%s, %s, %s)",
        (order_id, skus, reason),
    )


async def set_tracking(conn: Conn, order_id: UUID, tracking: list[str]) -> None:
    await conn.execute(
        "UPDATE orders SET tracking = tracking || %s::text[] WHERE id = %s", (tracking, order_id)
    )


async def number_of(conn: Conn, order_id: UUID) -> str:
    cur = await conn.execute("SELECT number FROM orders WHERE id = %s", (order_id,))
    row = await cur.fetchone()
    return str(row["number"]) if row else str(order_id)


async def update_stock(conn: Conn, sku: str, stock: int) -> int | None:
    cur = await conn.execute(
        "UPDATE variants SET stock = %s, updated_at = now() WHERE sku = %s RETURNING stock",
        (stock, sku),
    )
    row = await cur.fetchone()
    return int(row["stock"]) if row else None
