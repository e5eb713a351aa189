"""The resources one running service holds, built once in the app's lifespan (or by the CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from psycopg_pool import AsyncConnectionPool

from elara_bot.catalog.cache import SearchCaches
from elara_bot.config import Settings
from elara_bot.conversation.service import ConversationService
from elara_bot.db import Conn
from elara_bot.errors import ServiceUnavailable
from elara_bot.orders.announcements import AlertHook, PaidHook
from elara_bot.payments.base import PaymentProvider
from retrieval.embedding import Embedder

OrderChangedHook = Callable[[str], Awaitable[None]]  # awaited with an order's number


class Connector(Protocol):
    """A platform connector the runtime owns (Telegram, Slack): stopped at shutdown."""

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    pool: AsyncConnectionPool[Conn]
    embedder: Embedder
    # What this runtime's searches remember (rankings, the query parser's vocabulary): never the process's.
    search_caches: SearchCaches = field(default_factory=SearchCaches)
    # Built by later stages of the lifespan (app.py): the payment provider, the chat, the connectors.
    payments: PaymentProvider | None = None
    conversation: ConversationService | None = None
    connectors: dict[str, Connector] = field(default_factory=dict)
    # Background loops (the order-expiry and anonymous-session sweepers), cancelled at shutdown.
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Awaited with an OrderPublic after the order's transaction commits (Slack alerts subscribe here).
    on_order_paid: list[PaidHook] = field(default_factory=list)
    # Awaited with a PaymentAlert (orders.schemas) after a payment event's transaction commits: a payment
    # held for review, a late payment refunded. Merchant channels (Slack) subscribe here.
    on_payment_alert: list[AlertHook] = field(default_factory=list)
    # Awaited with an order number after the merchant changed the order (admin API: fulfilled, delivered,
    # refunded) and the change committed. The UCP order webhooks subscribe here.
    on_order_changed: list[OrderChangedHook] = field(default_factory=list)

    def provider(self) -> PaymentProvider:
        """The payment provider (503 before the lifespan built it)."""
        if self.payments is None:
            raise ServiceUnavailable("Payments are not available right now. Please try again later.")
        return self.payments

    def chat(self) -> ConversationService:
        """The conversation service (503 before the lifespan built it)."""
        if self.conversation is None:
            raise ServiceUnavailable("The assistant is not available right now. Please try again later.")
        return self.conversation
