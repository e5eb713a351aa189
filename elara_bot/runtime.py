"""The resources one running service holds, built once in the app's lifespan (or by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool

from elara_bot.config import Settings
from elara_bot.db import Conn
from retrieval.embedding import Embedder


@dataclass
class Runtime:
    settings: Settings
    pool: AsyncConnectionPool[Conn]
    embedder: Embedder
    # Built by later stages of the lifespan (payments, agent, connectors); typed where they are built.
    payments: Any = None
    conversation: Any = None
    connectors: dict[str, Any] = field(default_factory=dict)
    # Awaited with an OrderPublic after the order's transaction commits (Slack alerts subscribe here).
    on_order_paid: list[Any] = field(default_factory=list)
    # Awaited with a PaymentAlert (orders.schemas) after a payment event's transaction commits: a payment
    # held for review, a late payment refunded. Merchant channels (Slack) subscribe here.
    on_payment_alert: list[Any] = field(default_factory=list)
