"""What a committed payment event has to tell: a paid order (revenue, merchant alerts) and payment alerts.

Run after the payment's transaction committed; subscribers are the runtime's ``on_order_paid`` and
``on_payment_alert`` lists (the app wires them). A failing subscriber is logged: the payment itself is
already safe in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

from elara_bot.db import Conn
from elara_bot.observability import count_order_paid
from elara_bot.orders import repository as orders_repo
from elara_bot.orders.schemas import OrderPublic, PaymentAlert, PaymentOutcome
from elara_bot.orders.service import render

log = logging.getLogger(__name__)

PaidHook = Callable[[OrderPublic], Awaitable[None]]
AlertHook = Callable[[PaymentAlert], Awaitable[None]]


async def announce_paid(pool: AsyncConnectionPool[Conn], hooks: list[PaidHook], number: str) -> None:
    """Count the paid order's revenue and tell the subscribers (Slack alerts)."""
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
