"""Checkout's second half for a chat turn: the payment pages of the orders the turn placed.

The checkout tool places the order inside the turn's transaction; once that transaction has committed
(stock locks released, connection returned), each order's payment page is asked of the provider and
its link put into the reply. When the provider fails, the order is released, its lines are back in the
cart (``checkout.service.open_payment``) and the reply says so instead of showing a link.
"""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from elara_bot.checkout import service as checkout_service
from elara_bot.config import Settings
from elara_bot.conversation.messages import CheckoutLinkPart, OutboundReply
from elara_bot.db import Conn
from elara_bot.errors import ElaraError
from elara_bot.payments.base import PaymentProvider


async def open_payment_links(
    pool: AsyncConnectionPool[Conn],
    customer_id: UUID,
    numbers: list[str],
    provider: PaymentProvider,
    settings: Settings,
    reply: OutboundReply,
) -> OutboundReply:
    for number in numbers:
        try:
            result = await checkout_service.open_payment(pool, customer_id, number, provider, settings)
        except ElaraError as exc:
            reply.parts = [p for p in reply.parts if not _link_of(p, number)]
            reply.text = f"{reply.text}\n\n{exc.message}".strip()
            continue
        for part in reply.parts:
            if _link_of(part, number):
                assert isinstance(part, CheckoutLinkPart)
                part.url = result.payment_url
    return reply


def _link_of(part: object, number: str) -> bool:
    return isinstance(part, CheckoutLinkPart) and part.order_number == number
