"""Building the configured payment provider and the reservation expiry sweeper task."""

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
from elara_bot.orders.schemas import OrderPublic
from elara_bot.orders.service import expire_stale_orders, render
from elara_bot.payments.base import PaymentEvent, PaymentProvider
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


async def sweep_once(pool: AsyncConnectionPool[Conn]) -> list[str]:
    async with pool.connection() as conn, conn.transaction():
        return await expire_stale_orders(conn, datetime.now(UTC))


async def run_sweeper(pool: AsyncConnectionPool[Conn], interval_s: float = 60.0) -> None:
    """Expire stale pending orders every ``interval_s`` until cancelled."""
    while True:
        try:
            expired = await sweep_once(pool)
            if expired:
                log.info("expired %d stale orders", len(expired))
        except Exception:  # the sweeper must survive a database hiccup
            log.exception("order expiry sweep failed")
        await asyncio.sleep(interval_s)


def start_sweeper(pool: AsyncConnectionPool[Conn]) -> asyncio.Task[Any]:
    return asyncio.create_task(run_sweeper(pool), name="order-expiry-sweeper")


PaidHook = Callable[[OrderPublic], Awaitable[None]]


async def announce_paid(pool: AsyncConnectionPool[Conn], hooks: list[PaidHook], event: PaymentEvent) -> None:
    """After a paid event's transaction committed: count the revenue and tell subscribers (Slack alerts).

    A failing subscriber is logged; the payment itself is already safe in the database.
    """
    async with pool.connection() as conn:
        order_id = event.order_id or await orders_repo.order_id_for_session(
            conn, event.provider, event.session_id or ""
        )
        if order_id is None:
            return
        row = await orders_repo.order_by_number(conn, None, await orders_repo.number_of(conn, order_id))
        if row is None:
            return
        order = await render(conn, row)
    count_order_paid(order.total_minor, order.currency)
    for hook in hooks:
        try:
            await hook(order)
        except Exception:
            log.exception("order-paid subscriber failed for %s", order.number)
