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
from elara_bot.contracts import CheckoutLinkPart, OutboundReply
from elara_bot.conversation import store
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
            reply = _without_link(reply, number, exc.message)
        else:
            for part in reply.parts:
                if isinstance(part, CheckoutLinkPart) and part.order_number == number:
                    part.url = result.payment_url
        if reply.conversation_id is not None:
            async with pool.connection() as conn, conn.transaction():
                await store.rewrite_checkout_reply(
                    conn, reply.conversation_id, number, reply.text, reply.parts
                )
    return reply


def _without_link(reply: OutboundReply, number: str, why: str) -> OutboundReply:
    parts = [p for p in reply.parts if not (isinstance(p, CheckoutLinkPart) and p.order_number == number)]
    return reply.model_copy(update={"text": f"{reply.text}\n\n{why}".strip(), "parts": parts})
