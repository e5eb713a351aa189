"""Orders after checkout: status, history, cancel, returns, fulfilment and the expiry sweeper."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound
from elara_bot.orders import repository as repo
from elara_bot.orders.schemas import OrderEvent, OrderLine, OrderPublic
from elara_bot.payments.base import PaymentProvider

log = logging.getLogger(__name__)

CANCELLABLE = ("pending_payment", "paid")


async def render(conn: Conn, row: dict[str, Any]) -> OrderPublic:
    lines = [
        OrderLine(
            sku=r["sku"],
            product_id=r["product_id"],
            title=r["title"],
            options={str(k): str(v) for k, v in (r["options"] or {}).items()},
            quantity=int(r["quantity"]),
            unit_price_minor=int(r["unit_price_minor"]),
            line_total_minor=int(r["unit_price_minor"]) * int(r["quantity"]),
        )
        for r in await repo.lines_of(conn, row["id"])
    ]
    return OrderPublic(
        number=row["number"],
        status=row["status"],
        lines=lines,
        total_minor=int(row["total_minor"]),
        currency=str(row["currency"]).strip(),
        created_at=row["created_at"],
        tracking=list(row["tracking"] or []),
        payment_url=row["payment_url"] if row["status"] == "pending_payment" else None,
        history=[OrderEvent.model_validate(e) for e in await repo.events_of(conn, row["id"])],
    )


async def _owned(conn: Conn, customer_id: UUID | None, number: str) -> dict[str, Any]:
    row = await repo.order_by_number(conn, customer_id, number)
    if row is None:
        raise NotFound(f"no order {number!r}")
    return row


async def list_orders(conn: Conn, customer_id: UUID) -> list[OrderPublic]:
    return [await render(conn, row) for row in await repo.orders_of(conn, customer_id)]


async def get_order(conn: Conn, customer_id: UUID, number: str) -> OrderPublic:
    return await render(conn, await _owned(conn, customer_id, number))


async def cancel_order(conn: Conn, customer_id: UUID, number: str, provider: PaymentProvider) -> OrderPublic:
    """Cancel a pending or paid-but-unshipped order: stock released, refunded when paid."""
    row = await _owned(conn, customer_id, number)
    if row["status"] not in CANCELLABLE:
        raise Conflict(f"order {row['number']} is {row['status']} and can no longer be cancelled")
    note = "cancelled by the customer" + (", payment refunded" if row["status"] == "paid" else "")
    if not await repo.release_order(conn, row["id"], "cancelled", note, CANCELLABLE):
        raise Conflict(f"order {row['number']} changed state, try again")
    if row["status"] == "paid" and row["payment_session_id"]:
        await provider.refund(row["payment_session_id"], int(row["total_minor"]), row["currency"])
    return await get_order(conn, customer_id, number)


async def request_return(
    conn: Conn, customer_id: UUID, number: str, skus: list[str], reason: str | None = None
) -> OrderPublic:
    """Ask to return delivered items (τ² policy: only delivered orders, only their own items)."""
    row = await _owned(conn, customer_id, number)
    if row["status"] != "delivered":
        raise Conflict(f"order {row['number']} is {row['status']}: only delivered orders can be returned")
    owned = {line["sku"] for line in await repo.lines_of(conn, row["id"])}
    if not skus or not set(skus) <= owned:
        raise InvalidInput(f"return items must be SKUs of this order: {sorted(owned)}")
    await repo.insert_return(conn, row["id"], sorted(set(skus)), reason)
    await repo.add_event(
        conn, row["id"], "return_requested", f"return requested: {', '.join(sorted(set(skus)))}"
    )
    return await get_order(conn, customer_id, number)


async def expire_stale_orders(conn: Conn, now: datetime) -> list[str]:
    """Expire pending orders whose reservation ran out and release their stock; returns numbers."""
    expired: list[str] = []
    for order_id in await repo.stale_order_ids(conn, now):
        if await repo.release_order(conn, order_id, "expired", "payment window ran out"):
            expired.append(await repo.number_of(conn, order_id))
    return expired


async def admin_list_orders(conn: Conn, status: str | None = None, limit: int = 100) -> list[OrderPublic]:
    return [await render(conn, row) for row in await repo.orders_of(conn, None, status, limit)]


async def mark_fulfilled(conn: Conn, number: str, tracking: list[str]) -> OrderPublic:
    row = await _owned(conn, None, number)
    if not await repo.transition(conn, row["id"], "paid", "fulfilled", f"shipped: {', '.join(tracking)}"):
        raise Conflict(f"order {row['number']} is {row['status']}, only paid orders can ship")
    await repo.set_tracking(conn, row["id"], tracking)
    return await render(conn, await _owned(conn, None, number))


async def mark_delivered(conn: Conn, number: str) -> OrderPublic:
    row = await _owned(conn, None, number)
    if not await repo.transition(conn, row["id"], "fulfilled", "delivered", "delivered"):
        raise Conflict(f"order {row['number']} is {row['status']}, only fulfilled orders deliver")
    return await render(conn, await _owned(conn, None, number))


async def refund_order(conn: Conn, number: str, provider: PaymentProvider) -> OrderPublic:
    """Merchant refund of a paid, fulfilled or delivered order (stock is not restocked)."""
    row = await _owned(conn, None, number)
    if not await repo.transition(
        conn, row["id"], ("paid", "fulfilled", "delivered"), "refunded", "refunded by the merchant"
    ):
        raise Conflict(f"order {row['number']} is {row['status']} and cannot be refunded")
    if row["payment_session_id"]:
        await provider.refund(row["payment_session_id"], int(row["total_minor"]), row["currency"])
    return await render(conn, await _owned(conn, None, number))


async def set_stock(conn: Conn, sku: str, stock: int) -> int:
    if stock < 0:
        raise InvalidInput("stock cannot be negative")
    updated = await repo.update_stock(conn, sku, stock)
    if updated is None:
        raise NotFound(f"unknown SKU {sku!r}")
    return updated


async def order_for_payment_session(conn: Conn, provider: str, session_id: str) -> OrderPublic:
    """The order a payment session belongs to (the session id is the capability)."""
    row = await repo.order_for_payment_session(conn, provider, session_id)
    if row is None:
        raise NotFound("unknown payment session")
    return await render(conn, row)
