"""Checkout: cart → order with reserved stock → a payment page from the provider."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from elara_bot.checkout import repository as repo
from elara_bot.checkout.schemas import CheckoutResult
from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock, PaymentError
from elara_bot.orders import repository as orders_repo
from elara_bot.orders import service as orders
from elara_bot.payments.base import CheckoutSessionRequest, PaymentProvider

log = logging.getLogger(__name__)


def _currency(lines: list[dict[str, Any]]) -> str:
    currencies = {str(line["currency"]).strip() for line in lines}
    if len(currencies) != 1:
        raise InvalidInput(f"the cart mixes currencies {sorted(currencies)}; check out one at a time")
    return currencies.pop()


async def _reserve(conn: Conn, lines: list[dict[str, Any]]) -> None:
    for line in lines:  # ordered by SKU, so concurrent checkouts lock rows in the same order
        if not line["active"] or not await orders_repo.reserve_stock(conn, line["sku"], line["quantity"]):
            raise OutOfStock(f"not enough stock left for {line['sku']} ({line['title']})")


def _urls(settings: Settings, number: str) -> tuple[str, str]:
    values = {"public_url": settings.public_url.rstrip("/"), "order_number": number}
    return settings.payments.success_url.format(**values), settings.payments.cancel_url.format(**values)


async def checkout(
    conn: Conn, customer_id: UUID, provider: PaymentProvider, settings: Settings
) -> CheckoutResult:
    cart_id, lines = await repo.lock_cart_lines(conn, customer_id)
    if cart_id is None or not lines:
        raise InvalidInput("the cart is empty")
    currency = _currency(lines)
    total = sum(int(line["unit_price_minor"]) * int(line["quantity"]) for line in lines)
    until = datetime.now(UTC) + timedelta(minutes=settings.payments.reservation_minutes)
    async with conn.transaction():  # a savepoint: a failed reservation undoes every decrement
        await _reserve(conn, lines)
        order = await orders_repo.insert_order(conn, customer_id, currency, total, until)
        for line in lines:
            await orders_repo.insert_line(conn, order["id"], line)
        await repo.close_cart(conn, cart_id)
    return await _start_payment(conn, customer_id, order["number"], provider, settings)


async def resume_payment(
    conn: Conn, customer_id: UUID, number: str, provider: PaymentProvider, settings: Settings
) -> CheckoutResult:
    """Ask the provider again for a pending order's payment page (same idempotency key)."""
    return await _start_payment(conn, customer_id, number, provider, settings)


async def _start_payment(
    conn: Conn, customer_id: UUID, number: str, provider: PaymentProvider, settings: Settings
) -> CheckoutResult:
    row = await orders_repo.order_by_number(conn, customer_id, number)
    if row is None:
        raise NotFound(f"no order {number!r}")
    if row["status"] != "pending_payment":
        raise Conflict(f"order {number} is {row['status']}, not awaiting payment")
    if row["payment_url"]:
        return CheckoutResult(order=await orders.render(conn, row), payment_url=row["payment_url"])
    success, cancel = _urls(settings, number)
    request = CheckoutSessionRequest(
        order_id=row["id"],
        order_number=number,
        amount_minor=int(row["total_minor"]),
        currency=str(row["currency"]).strip(),
        description=f"Elara order {number}",
        success_url=success,
        cancel_url=cancel,
        expires_at=row["reserved_until"],
    )
    try:
        session = await provider.create_checkout_session(request)
    except PaymentError as exc:
        log.warning("payment page for %s failed: %s", number, exc.message)
        return CheckoutResult(order=await orders.render(conn, row), payment_url="", payment_error=exc.message)
    await orders_repo.set_payment_session(
        conn, row["id"], provider.name, session.id, session.url, request.amount_minor, request.currency
    )
    fresh = await orders_repo.order_by_number(conn, customer_id, number)
    assert fresh is not None
    return CheckoutResult(order=await orders.render(conn, fresh), payment_url=session.url)
