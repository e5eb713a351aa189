"""The payment provider protocol, its DTOs, and the one path that applies a payment event."""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel, Field

from elara_bot.db import Conn
from elara_bot.orders import repository as orders_repo

log = logging.getLogger(__name__)


class CheckoutSessionRequest(BaseModel):
    order_id: UUID
    order_number: str
    amount_minor: int = Field(ge=0)
    currency: str
    description: str
    success_url: str
    cancel_url: str
    expires_at: datetime


class CheckoutSession(BaseModel):
    id: str
    url: str
    expires_at: datetime | None = None


class PaymentEventKind(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class PaymentEvent(BaseModel):
    provider: str
    event_id: str
    kind: PaymentEventKind
    order_id: UUID | None = None
    session_id: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession: ...

    async def refund(self, session_id: str, amount_minor: int, currency: str) -> None: ...

    async def expire_session(self, session_id: str) -> None: ...


async def apply_payment_event(conn: Conn, event: PaymentEvent) -> bool:
    """Apply one provider event exactly once; False for a replay or an event with no effect.

    Duplicates are absorbed by ``processed_webhooks``; a late or out-of-order event cannot move
    an order backwards because every transition is a conditional update on the current status.
    """
    if not await orders_repo.record_webhook(conn, event.provider, event.event_id):
        return False
    order_id = event.order_id or await orders_repo.order_id_for_session(
        conn, event.provider, event.session_id or ""
    )
    if order_id is None:
        log.warning("payment event %s names no known order", event.event_id)
        return False
    await orders_repo.insert_payment_event(conn, event.provider, event.event_id, order_id, event.kind)
    if event.kind is PaymentEventKind.PAID:
        return await orders_repo.transition(conn, order_id, "pending_payment", "paid", "payment received")
    if event.kind in (PaymentEventKind.FAILED, PaymentEventKind.EXPIRED):
        return await orders_repo.release_order(conn, order_id, "expired", f"payment {event.kind}")
    return False
