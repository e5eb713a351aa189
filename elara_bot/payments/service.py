"""Building the configured payment provider, the reservation expiry sweeper task, and the announcements
made after a payment's transaction committed (paid orders, merchant alerts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.observability import count_order_paid
from elara_bot.orders import repository as orders_repo
from elara_bot.orders.schemas import OrderPublic, PaymentAlert, PaymentOutcome
from elara_bot.orders.service import expire_stale_orders, render
from elara_bot.payments.base import PaymentProvider
from elara_bot.payments.dev import build_dev_provider

log = logging.getLogger(__name__)


def build_provider(settings: Settings) -> PaymentProvider:
    """Stripe when configured (or a key is set), else the TEST MODE dev provider."""
    wants_stripe = settings.payments.provider == "stripe" or (
        settings.payments.provider is None and settings.payments.stripe_secret_key is not None
    )
    if wants_stripe:
        from elara_bot.payments.stripe import StripeProvider

        return StripeProvider(settings)
    return build_dev_provider(settings)


async def sweep_once(pool: AsyncConnectionPool[Conn], provider: PaymentProvider | None = None) -> list[str]:
    """Expire stale orders (one short transaction), then close their payment pages at the provider with
    no connection or lock held; returns the expired order numbers."""
    async with pool.connection() as conn, conn.transaction():
        expired = await expire_stale_orders(conn, datetime.now(UTC))
    for order in expired:
        if provider is not None and order.session_id and order.provider == provider.name:
            try:
                await provider.expire_session(order.session_id)
            except Exception:  # a late payment on it is still refunded when its event arrives
                log.exception("could not close the payment page of %s", order.number)
    return [order.number for order in expired]


async def run_sweeper(
    pool: AsyncConnectionPool[Conn], provider: PaymentProvider | None = None, interval_s: float = 60.0
) -> None:
    """Expire stale pending orders every ``interval_s`` until cancelled."""
    while True:
        try:
            expired = await sweep_once(pool, provider)
            if expired:
                log.info("expired %d stale orders", len(expired))
        except Exception:  # the sweeper must survive a database hiccup
            log.exception("order expiry sweep failed")
        await asyncio.sleep(interval_s)


def start_sweeper(
    pool: AsyncConnectionPool[Conn], provider: PaymentProvider | None = None
) -> asyncio.Task[Any]:
    return asyncio.create_task(run_sweeper(pool, provider), name="order-expiry-sweeper")


PaidHook = Callable[[OrderPublic], Awaitable[None]]
AlertHook = Callable[[PaymentAlert], Awaitable[None]]


async def announce_paid(pool: AsyncConnectionPool[Conn], hooks: list[PaidHook], number: str) -> None:
    """After a paid event's transaction committed: count the revenue and tell subscribers (Slack alerts).

    A failing subscriber is logged; the payment itself is already safe in the database.
    """
    async with pool.connection() as conn:
        row = await orders_repo.order_by_number(conn, None, number)
        if row is None:
            return
        order = await render(conn, row)
    count_order_paid(order.total_minor, order.currency)
    for hook in hooks:
        try:
            await hook(order)
        except Exception:
            log.exception("order-paid subscriber failed for %s", order.number)


async def announce_alert(hooks: list[AlertHook], alert: PaymentAlert) -> None:
    """Tell the merchant (``runtime.on_payment_alert`` subscribers, e.g. Slack) about a payment problem."""
    log.warning("payment alert (%s): %s", alert.kind, alert.detail)
    for hook in hooks:
        try:
            await hook(alert)
        except Exception:
            log.exception("payment-alert subscriber failed for %s", alert.order_number)


async def announce(
    pool: AsyncConnectionPool[Conn],
    paid_hooks: list[PaidHook],
    alert_hooks: list[AlertHook],
    outcome: PaymentOutcome,
) -> None:
    """Everything a committed payment event has to tell: run as a background task after the response."""
    if outcome.paid_order is not None:
        await announce_paid(pool, paid_hooks, outcome.paid_order)
    if outcome.alert is not None:
        await announce_alert(alert_hooks, outcome.alert)
