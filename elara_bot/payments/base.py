"""The payment provider protocol and its DTOs (order-state decisions live in ``orders.service``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from pydantic import BaseModel, Field

from elara_bot.errors import ElaraError


class CheckoutSessionRequest(BaseModel):
    order_id: UUID
    order_number: str
    amount_minor: int = Field(ge=0)
    currency: str
    description: str
    success_url: str
    cancel_url: str
    expires_at: datetime  # the reservation's end: the payment page closes with it


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
    """One provider event, as the provider reported it (nothing in it is trusted until checked against the
    order: the session must be the order's own, the amount and currency its total)."""

    provider: str
    event_id: str
    kind: PaymentEventKind
    order_id: UUID | None = None  # the reference the payer's session carries (client_reference_id)
    session_id: str | None = None
    amount_minor: int | None = None  # what was paid, for PAID events
    currency: str | None = None


class PaymentProvider(Protocol):
    name: str
    # The shortest payment window the provider accepts; a shorter configured reservation is raised to it.
    min_reservation_s: int

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession: ...

    async def refund(
        self, session_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> None: ...

    async def expire_session(self, session_id: str) -> None: ...


@runtime_checkable
class WebhookParser(Protocol):
    """A provider whose events arrive as signed webhooks (Stripe): the raw body's signature checked, then
    the event read; None for an event type Elara does not act on."""

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent | None: ...


class PaymentDeclined(ElaraError):
    """The payer's bank or the provider refused the charge (nothing was taken)."""

    status_code = 402


@runtime_checkable
class IntentCharger(Protocol):
    """A provider that charges a payer's credential directly, server to server (Stripe PaymentIntents):
    ``payment_method`` (a PaymentMethod id) or ``shared_token`` (a shared payment token an agent granted).
    The idempotency key derives from our own ids, so a retried charge is the same charge. Returns the
    charge's reference (the PaymentIntent id); raises ``PaymentDeclined`` when refused."""

    async def charge_intent(
        self,
        amount_minor: int,
        currency: str,
        *,
        payment_method: str | None,
        shared_token: str | None,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str: ...


class IntentState(BaseModel):
    """A PaymentIntent as the provider reports it now, with what was refunded of it."""

    id: str
    status: str  # Stripe's: succeeded, processing, requires_action, canceled, ...
    amount_minor: int
    currency: str
    refunded_minor: int = 0


@runtime_checkable
class IntentLedger(Protocol):
    """A provider that can say what became of the PaymentIntents of one charge attempt (the charge
    journal's reconciliation): the recorded intent, and every intent whose metadata names the journal row
    (an attempt may have died before its intent's id was written down)."""

    async def find_intents(self, journal_id: str, intent_id: str | None) -> list[IntentState]: ...

    async def cancel_intent(self, intent_id: str) -> None: ...

    async def refund(
        self, session_id: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> None: ...
