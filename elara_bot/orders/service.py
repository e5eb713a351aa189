"""Orders after checkout: status, history, payments, cancel, returns, fulfilment and the expiry sweeper."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound
from elara_bot.money import format_amount
from elara_bot.orders import repository as repo
from elara_bot.orders.schemas import (
    OrderEvent,
    OrderLine,
    OrderPublic,
    PaymentAlert,
    PaymentOutcome,
    ReleasedOrder,
)
from elara_bot.payments.base import PaymentEvent, PaymentEventKind, PaymentProvider

log = logging.getLogger(__name__)

CANCELLABLE = ("pending_payment", "paid")
CLOSED_UNPAID = ("expired", "cancelled")


async def render(conn: Conn, row: repo.OrderRow) -> OrderPublic:
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


async def _owned(conn: Conn, customer_id: UUID | None, number: str) -> repo.OrderRow:
    row = await repo.order_by_number(conn, customer_id, number)
    if row is None:
        raise NotFound(f"no order {number!r}")
    return row


async def list_orders(conn: Conn, customer_id: UUID, limit: int = 100) -> list[OrderPublic]:
    """The shopper's orders, newest first."""
    return [await render(conn, row) for row in await repo.orders_of(conn, customer_id, limit=limit)]


async def recent_summaries(conn: Conn, customer_id: UUID, limit: int = 5) -> list[repo.OrderSummaryRow]:
    """The shopper's newest orders as a conversation refers to them (number, status, what is in them)."""
    return await repo.recent_summaries(conn, customer_id, limit)


async def get_order(conn: Conn, customer_id: UUID, number: str) -> OrderPublic:
    return await render(conn, await _owned(conn, customer_id, number))


async def cancel_order(conn: Conn, customer_id: UUID, number: str, provider: PaymentProvider) -> OrderPublic:
    """Cancel a pending or paid-but-unshipped order: stock released, refunded when paid.

    A pending order's payment page is closed at the provider first (before any row is written, so no
    lock is held while the provider answers); a payment that still slips through is refunded when its
    event arrives (``apply_payment``)."""
    row = await _owned(conn, customer_id, number)
    if row["status"] not in CANCELLABLE:
        raise Conflict(f"order {row['number']} is {row['status']} and can no longer be cancelled")
    if row["status"] == "pending_payment" and row["payment_session_id"]:
        await provider.expire_session(row["payment_session_id"])
    note = "cancelled by the customer" + (", payment refunded" if row["status"] == "paid" else "")
    if not await repo.release_order(conn, row["id"], "cancelled", note, (row["status"],)):
        raise Conflict(f"order {row['number']} changed state, try again")
    if row["status"] == "paid" and row["payment_session_id"]:
        await provider.refund(
            row["payment_session_id"], int(row["total_minor"]), row["currency"].strip(), f"refund-{row['id']}"
        )
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


async def expire_stale_orders(conn: Conn, now: datetime) -> list[ReleasedOrder]:
    """Expire pending orders whose reservation ran out and release their stock. The caller closes their
    payment sessions at the provider after committing (``orders.sweeper.sweep_once``)."""
    expired: list[ReleasedOrder] = []
    for row in await repo.stale_orders(conn, now):
        if await repo.release_order(conn, row["id"], "expired", "payment window ran out"):
            expired.append(ReleasedOrder(row["number"], row["payment_provider"], row["payment_session_id"]))
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
    """Merchant refund of a paid, fulfilled or delivered order (stock is not restocked), or of an order
    held in ``payment_review`` (what was paid is given back, the reserved stock released)."""
    row = await _owned(conn, None, number)
    if row["status"] == "payment_review":
        return await _refund_review(conn, row, provider)
    if not await repo.transition(
        conn, row["id"], ("paid", "fulfilled", "delivered"), "refunded", "refunded by the merchant"
    ):
        raise Conflict(f"order {row['number']} is {row['status']} and cannot be refunded")
    if row["payment_session_id"]:
        await provider.refund(
            row["payment_session_id"], int(row["total_minor"]), row["currency"].strip(), f"refund-{row['id']}"
        )
    return await render(conn, await _owned(conn, None, number))


async def _refund_review(conn: Conn, row: repo.OrderRow, provider: PaymentProvider) -> OrderPublic:
    """Refund each payment that put the order in review (keys from our ids: a retry refunds nothing
    twice), then release the order and its stock."""
    for i, paid in enumerate(await repo.review_payments(conn, row["id"])):
        key = f"review-refund-{row['id']}-{i}"
        await provider.refund(paid["session_id"], int(paid["amount_minor"]), str(paid["currency"]), key)
    note = "payment under review refunded by the merchant"
    if not await repo.release_order(conn, row["id"], "refunded", note, ("payment_review",)):
        raise Conflict(f"order {row['number']} changed state, try again")
    return await render(conn, await _owned(conn, None, row["number"]))


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


# --- payments -----------------------------------------------------------------------------------------
def _money(amount: int | None, currency: str | None) -> str:
    """An amount as a merchant reads it in the order history: "129.99 USD" (was "12999 USD")."""
    if amount is None or not currency:
        return f"{amount} {(currency or '?').upper()}"
    return format_amount(amount, currency, symbol=False)


async def apply_payment(conn: Conn, event: PaymentEvent, provider: PaymentProvider) -> PaymentOutcome:
    """Apply one provider event exactly once (in the caller's transaction).

    A paid event pays an order only on the order's own recorded session, for its total in its currency.
    Anything else on a pending order puts it in ``payment_review`` for the merchant (never fulfilled); a
    payment on the order's own session after it was cancelled or expired is refunded at once (a failing
    refund raises, the transaction rolls back and the provider retries the event). Replays are absorbed
    by ``processed_webhooks``; every transition is conditional on the current status."""
    if not await repo.record_webhook(conn, event.provider, event.event_id):
        return PaymentOutcome()
    row = await repo.lock_order_for_payment(conn, event.provider, event.session_id, event.order_id)
    own = row is not None and event.session_id is not None and event.session_id == row["payment_session_id"]
    if row is None:
        outcome = _unknown_order(event)
    elif event.kind is PaymentEventKind.PAID:
        outcome = await _paid(conn, row, event, provider, own=own)
    elif event.kind in (PaymentEventKind.FAILED, PaymentEventKind.EXPIRED) and own:
        released = await repo.release_order(conn, row["id"], "expired", f"payment {event.kind}")
        outcome = PaymentOutcome(applied=released)
    else:
        outcome = PaymentOutcome()
    kept = repo.PaymentEventRow(
        provider=event.provider,
        event_id=event.event_id,
        kind=str(event.kind),
        session_id=event.session_id,
        amount_minor=event.amount_minor,
        currency=event.currency,
    )
    await repo.insert_payment_event(conn, kept, row["id"] if row else None, _outcome_name(outcome))
    return outcome


def _outcome_name(outcome: PaymentOutcome) -> str:
    if outcome.alert is not None:
        return outcome.alert.kind
    return "paid" if outcome.paid_order else ("applied" if outcome.applied else "ignored")


def _unknown_order(event: PaymentEvent) -> PaymentOutcome:
    log.warning("payment event %s names no known order", event.event_id)
    if event.kind is not PaymentEventKind.PAID:
        return PaymentOutcome()
    detail = (
        f"a payment of {_money(event.amount_minor, event.currency)} on {event.provider} session"
        f" {event.session_id} names no known order"
    )
    alert = PaymentAlert(
        kind="unknown_order",
        order_number=None,
        detail=detail,
        amount_minor=event.amount_minor,
        currency=event.currency,
    )
    return PaymentOutcome(alert=alert)


def _mismatch(row: repo.OrderRow, event: PaymentEvent, *, own: bool) -> str | None:
    """Why a paid event cannot pay this order, or None when it can."""
    if not own:
        return f"paid on {event.provider} session {event.session_id}, not the order's own session"
    total, currency = int(row["total_minor"]), str(row["currency"]).strip().upper()
    if event.amount_minor != total or (event.currency or "").strip().upper() != currency:
        return f"paid {_money(event.amount_minor, event.currency)} for an order of {_money(total, currency)}"
    return None


async def _paid(
    conn: Conn, row: repo.OrderRow, event: PaymentEvent, provider: PaymentProvider, *, own: bool
) -> PaymentOutcome:
    problem = _mismatch(row, event, own=own)
    if problem is None and row["status"] == "pending_payment":
        if await repo.transition(conn, row["id"], "pending_payment", "paid", "payment received"):
            return PaymentOutcome(applied=True, paid_order=row["number"])
        return PaymentOutcome()
    if own and row["status"] in CLOSED_UNPAID:
        return await _refund_late(conn, row, event, provider)
    if problem is None:  # the order's own payment again (already paid): nothing to do
        return PaymentOutcome()
    if row["status"] == "pending_payment":
        note = f"payment held: {problem}"
        await repo.transition(conn, row["id"], "pending_payment", "payment_review", note)
    else:
        await repo.add_event(conn, row["id"], "payment_review", f"unexpected payment: {problem}")
    alert = PaymentAlert(
        kind="payment_review",
        order_number=row["number"],
        detail=f"Order {row['number']} needs review: {problem}.",
        amount_minor=event.amount_minor,
        currency=event.currency,
    )
    return PaymentOutcome(applied=True, alert=alert)


async def _refund_late(
    conn: Conn, row: repo.OrderRow, event: PaymentEvent, provider: PaymentProvider
) -> PaymentOutcome:
    """Money for an order that was cancelled or expired while its payment page was open: give it back."""
    assert event.session_id is not None
    assert event.amount_minor is not None
    paid = _money(event.amount_minor, event.currency)
    currency = (event.currency or row["currency"]).strip()
    await provider.refund(event.session_id, event.amount_minor, currency, f"late-refund-{row['id']}")
    note = f"late payment of {paid} after the order was {row['status']}: refunded"
    await repo.add_event(conn, row["id"], "refunded", note)
    alert = PaymentAlert(
        kind="late_payment_refunded",
        order_number=row["number"],
        detail=f"Order {row['number']} was {row['status']} when {paid} arrived; the payment was refunded.",
        amount_minor=event.amount_minor,
        currency=event.currency,
    )
    return PaymentOutcome(applied=True, alert=alert)
