"""Checkout: cart → order with reserved stock → a payment page from the provider.

Three steps, so that no connection or stock lock is held while the provider answers (it can take
seconds): ``place_order`` reserves stock, writes the order and closes the cart in the caller's
transaction, which commits; ``open_payment`` then asks the provider for the payment page holding no
connection, and records the session in a short transaction of its own. When the provider fails, the
reservation is released (order ``expired``, stock back) and the lines go back into the shopper's open
cart, and the shopper gets a ``PaymentError`` (502) saying so. ``checkout`` runs all three for the
API; a chat turn places the order in its own transaction and opens the payment after it commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from elara_bot.checkout import repository as repo
from elara_bot.checkout.repository import CheckoutLineRow
from elara_bot.checkout.schemas import CheckoutResult
from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock, PaymentError
from elara_bot.orders import repository as orders_repo
from elara_bot.orders import service as orders
from elara_bot.orders.repository import OrderRow
from elara_bot.orders.schemas import OrderPublic
from elara_bot.payments.base import CheckoutSession, CheckoutSessionRequest, PaymentProvider
from elara_bot.storefront import service as storefront
from elara_bot.storefront.schemas import PricedLine

log = logging.getLogger(__name__)


def _currency(lines: list[CheckoutLineRow]) -> str:
    currencies = {str(line["currency"]).strip() for line in lines}
    if len(currencies) != 1:
        raise InvalidInput(f"the cart mixes currencies {sorted(currencies)}; check out one at a time")
    return currencies.pop()


async def reserve(conn: Conn, lines: list[CheckoutLineRow]) -> None:
    for line in lines:  # ordered by SKU, so concurrent checkouts lock rows in the same order
        if not line["active"] or not await orders_repo.reserve_stock(conn, line["sku"], line["quantity"]):
            raise OutOfStock(f"not enough stock left for {line['sku']} ({line['title']})")


def _urls(settings: Settings, number: str) -> tuple[str, str]:
    values = {"public_url": settings.public_url.rstrip("/"), "order_number": number}
    return settings.payments.success_url.format(**values), settings.payments.cancel_url.format(**values)


def reservation(settings: Settings, provider: PaymentProvider) -> timedelta:
    """How long stock is held: the configured minutes, raised to the provider's shortest payment window
    (Stripe's is 30 minutes) so the payment page and the reservation end together."""
    configured = settings.payments.reservation_minutes * 60
    return timedelta(seconds=max(configured, getattr(provider, "min_reservation_s", 0)))


def priced(lines: list[CheckoutLineRow]) -> list[PricedLine]:
    """The lines as the storefront prices them (unit prices as the catalog has them now)."""
    return [
        PricedLine(
            sku=line["sku"],
            product_id=line["product_id"],
            title=line["title"],
            quantity=int(line["quantity"]),
            unit_price_minor=int(line["unit_price_minor"]),
        )
        for line in lines
    ]


async def place_order(
    conn: Conn, customer_id: UUID, provider: PaymentProvider, settings: Settings
) -> OrderPublic:
    """Reserve stock, write the pending order and close the cart, in the caller's transaction (which
    must commit before ``open_payment``)."""
    cart_id, lines = await repo.lock_cart_lines(conn, customer_id)
    if cart_id is None or not lines:
        raise Conflict("the cart is empty")
    currency = _currency(lines)
    quote = await storefront.quote_for_cart(conn, cart_id, priced(lines), currency)
    if (missing := storefront.shipping_missing(quote)) is not None:
        raise InvalidInput(missing)
    until = datetime.now(UTC) + reservation(settings, provider)
    async with conn.transaction():  # a savepoint: a failed reservation undoes every decrement
        await reserve(conn, lines)
        order = await orders_repo.insert_order(conn, customer_id, currency, quote.total_minor, until)
        for line in lines:
            await orders_repo.insert_line(conn, order["id"], line)
        await storefront.record_order(conn, order["id"], quote)
        await repo.close_cart(conn, cart_id)
    return await orders.get_order(conn, customer_id, order["number"])


async def open_payment(
    pool: AsyncConnectionPool[Conn],
    customer_id: UUID,
    number: str,
    provider: PaymentProvider,
    settings: Settings,
) -> CheckoutResult:
    """The payment page of a committed pending order: asked of the provider with no connection held,
    recorded in a short transaction; on failure the order is released and the cart restored."""
    async with pool.connection() as conn:
        row = await orders_repo.order_by_number(conn, customer_id, number)
        if row is None:
            raise NotFound(f"no order {number!r}")
        if row["status"] != "pending_payment":
            raise Conflict(f"order {number} is {row['status']}, not awaiting payment")
        if row["payment_url"]:
            return CheckoutResult(order=await orders.render(conn, row), payment_url=row["payment_url"])
    request = payment_request(row, settings)
    try:
        session = await provider.create_checkout_session(request)
    except PaymentError as exc:
        await _give_back(pool, customer_id, row["id"], exc)
        raise PaymentError(
            f"The payment page could not be opened ({exc.message}). Nothing was charged: order {number}"
            " was released and your items are back in your cart. Please try again in a moment.",
            exc.status_code,
        ) from exc
    return await _record(pool, customer_id, row, session, provider)


def payment_request(row: OrderRow, settings: Settings) -> CheckoutSessionRequest:
    success, cancel = _urls(settings, row["number"])
    return CheckoutSessionRequest(
        order_id=row["id"],
        order_number=row["number"],
        amount_minor=int(row["total_minor"]),
        currency=str(row["currency"]).strip(),
        description=f"Elara order {row['number']}",
        success_url=success,
        cancel_url=cancel,
        expires_at=row["reserved_until"],
    )


async def _give_back(
    pool: AsyncConnectionPool[Conn], customer_id: UUID, order_id: UUID, exc: PaymentError
) -> None:
    log.warning("payment page for order %s failed: %s; releasing it", order_id, exc.message)
    async with pool.connection() as conn, conn.transaction():
        note = f"payment page could not be opened: {exc.message}"
        if await orders_repo.release_order(conn, order_id, "expired", note):
            await repo.restore_cart(conn, customer_id, order_id)


async def _record(
    pool: AsyncConnectionPool[Conn],
    customer_id: UUID,
    row: OrderRow,
    session: CheckoutSession,
    provider: PaymentProvider,
) -> CheckoutResult:
    async with pool.connection() as conn, conn.transaction():
        recorded = await orders_repo.set_payment_session(
            conn, row["id"], provider.name, session.id, session.url, int(row["total_minor"]), row["currency"]
        )
        fresh = await orders_repo.order_by_number(conn, customer_id, row["number"])
        assert fresh is not None
        order = await orders.render(conn, fresh)
    if not recorded:  # cancelled or expired while the provider answered: close the page again
        await provider.expire_session(session.id)
        raise Conflict(f"order {row['number']} is {fresh['status']}, not awaiting payment")
    return CheckoutResult(order=order, payment_url=session.url)


async def checkout(
    pool: AsyncConnectionPool[Conn], customer_id: UUID, provider: PaymentProvider, settings: Settings
) -> CheckoutResult:
    """The whole checkout for one request: place the order (committed), then open its payment page."""
    async with pool.connection() as conn, conn.transaction():
        order = await place_order(conn, customer_id, provider, settings)
    return await open_payment(pool, customer_id, order.number, provider, settings)
