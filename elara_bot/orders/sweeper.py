"""The reservation expiry sweeper: stale pending orders expire, and their payment pages close."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from elara_bot.db import Conn
from elara_bot.orders.service import expire_stale_orders
from elara_bot.payments.base import PaymentProvider

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
) -> asyncio.Task[None]:
    return asyncio.create_task(run_sweeper(pool, provider), name="order-expiry-sweeper")
