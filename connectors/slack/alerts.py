"""Merchant alerts over Slack: paid orders (with the variants now low on stock) and payment problems.

Both are subscribers of the runtime's hooks (wired in ``app.py``); errors are logged: an alert must never
break the payment path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack.blocks import escape
from elara_bot.analytics import service as analytics
from elara_bot.config import SlackSettings
from elara_bot.db import Conn
from elara_bot.money import format_amount
from elara_bot.orders.schemas import OrderPublic, PaymentAlert

log = logging.getLogger(__name__)


@dataclass(eq=False)
class AlertDesk:
    settings: SlackSettings
    pool: AsyncConnectionPool[Conn]
    client: AsyncWebClient

    async def order_paid(self, order: OrderPublic) -> None:
        """``runtime.on_order_paid``: the paid order, and its variants whose stock is now at or below
        ``settings.slack.low_stock_threshold``, to the alerts channel."""
        channel = self.settings.alerts_channel
        if channel is None:
            return
        items = ", ".join(f"{ln.quantity} x {escape(ln.title)}" for ln in order.lines)
        text = f":moneybag: New paid order {order.number}: {format_amount(order.total_minor, order.currency)}"
        try:
            skus = sorted({ln.sku for ln in order.lines})
            async with self.pool.connection() as conn:
                low = await analytics.low_stock(conn, self.settings.low_stock_threshold, len(skus), skus=skus)
            await self.client.chat_postMessage(channel=channel, text=f"{text} ({items})")
            if low:
                stock = ", ".join(f"{v.sku} ({v.stock} left)" for v in sorted(low, key=lambda v: v.sku))
                await self.client.chat_postMessage(channel=channel, text=f":warning: Low stock: {stock}")
        except Exception:
            log.exception("slack alert for order %s failed", order.number)

    async def payment_alert(self, alert: PaymentAlert) -> None:
        """``runtime.on_payment_alert``: a payment held for review or refunded late, to the alerts channel."""
        channel = self.settings.alerts_channel
        if channel is None:
            return
        try:
            await self.client.chat_postMessage(
                channel=channel, text=f":rotating_light: {escape(alert.detail)}"
            )
        except Exception:
            log.exception("slack payment alert for %s failed", alert.order_number)
