"""The reservation expiry sweeper: stale pending orders expire, and their payment pages close; charge
attempts still pending after the grace period are reconciled with the provider (``orders.charges``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from elara_bot.db import Conn
from elara_bot.orders import charges as journal
from elara_bot.orders.announcements import AlertHook, announce_alert
from elara_bot.orders.service import expire_stale_orders
from elara_bot.payments.base import IntentLedger, PaymentProvider

log = logging.getLogger(__name__)


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


async def reconcile_charges(
    pool: AsyncConnectionPool[Conn], provider: PaymentProvider | None, alerts: list[AlertHook], grace_s: float
) -> int:
    """Charges pending longer than ``grace_s`` (their completion died, or its commit failed, after the
    charge): each is refunded when no order holds its money, or failed when none was taken; the merchant
    hears of every refund. Returns how many refunds were made."""
    if not isinstance(provider, IntentLedger):  # the provider charges no PaymentIntents
        return 0
    found = await journal.reconcile_due(pool, provider, grace_s)
    for alert in found:
        await announce_alert(alerts, alert)
    return len(found)


async def run_sweeper(
    pool: AsyncConnectionPool[Conn],
    provider: PaymentProvider | None = None,
    interval_s: float = 60.0,
    *,
    alerts: list[AlertHook] | None = None,
    grace_s: float = 600.0,
) -> None:
    """Expire stale pending orders and reconcile stale charges every ``interval_s`` until cancelled."""
    while True:
        try:
            expired = await sweep_once(pool, provider)
            if expired:
                log.info("expired %d stale orders", len(expired))
        except Exception:  # the sweeper must survive a database hiccup
            log.exception("order expiry sweep failed")
        try:
            refunded = await reconcile_charges(pool, provider, alerts if alerts is not None else [], grace_s)
            if refunded:
                log.warning("refunded %d charges that had no order", refunded)
        except Exception:
            log.exception("charge reconciliation failed")
        await asyncio.sleep(interval_s)


def start_sweeper(
    pool: AsyncConnectionPool[Conn],
    provider: PaymentProvider | None = None,
    *,
    alerts: list[AlertHook] | None = None,
    grace_s: float = 600.0,
) -> asyncio.Task[None]:
    return asyncio.create_task(
        run_sweeper(pool, provider, alerts=alerts, grace_s=grace_s), name="order-expiry-sweeper"
    )
