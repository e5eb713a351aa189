"""Stripe Checkout Sessions (the only module importing ``stripe``)."""

from __future__ import annotations

import logging
import time
from typing import Any
from uuid import UUID

import stripe

from elara_bot.config import Settings
from elara_bot.errors import InvalidInput, PaymentError
from elara_bot.payments.base import (
    CheckoutSession,
    CheckoutSessionRequest,
    PaymentEvent,
    PaymentEventKind,
)

log = logging.getLogger(__name__)

STRIPE_MIN_EXPIRY_S = 30 * 60 + 60  # Stripe refuses expires_at under 30 minutes ahead


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        key = settings.payments.stripe_secret_key
        if key is None:
            raise ValueError("ELARA_PAYMENTS__STRIPE_SECRET_KEY is required for the stripe provider")
        base = {"api": settings.payments.stripe_api_base} if settings.payments.stripe_api_base else None
        self._client = stripe.StripeClient(
            key.get_secret_value(),
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=2,
            http_client=stripe.HTTPXClient(timeout=settings.payments.stripe_timeout_s),
        )
        secret = settings.payments.stripe_webhook_secret
        self._webhook_secret = secret.get_secret_value() if secret else None

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": str(request.order_id),
            "metadata": {"order_number": request.order_number},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_minor,
                        "product_data": {"name": request.description},
                    },
                }
            ],
        }
        expires = int(request.expires_at.timestamp())
        if expires >= time.time() + STRIPE_MIN_EXPIRY_S:
            params["expires_at"] = expires
        options: Any = {"idempotency_key": f"checkout-{request.order_id}"}
        try:
            session = await self._client.v1.checkout.sessions.create_async(params=params, options=options)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not open a payment page: {exc.user_message or exc}") from exc
        if not session.url:
            raise PaymentError("Stripe returned a session without a payment page")
        return CheckoutSession(id=session.id, url=session.url)

    async def refund(self, session_id: str, amount_minor: int, currency: str) -> None:
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
            intent = session.payment_intent
            intent_id = intent if isinstance(intent, str) else getattr(intent, "id", None)
            if intent_id is None:
                raise PaymentError(f"Stripe session {session_id} has no payment to refund")
            params: Any = {"payment_intent": intent_id, "amount": amount_minor}
            options: Any = {"idempotency_key": f"refund-{session_id}-{amount_minor}"}
            await self._client.v1.refunds.create_async(params=params, options=options)
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the refund: {exc.user_message or exc}") from exc

    async def expire_session(self, session_id: str) -> None:
        try:
            await self._client.v1.checkout.sessions.expire_async(session_id)
        except stripe.StripeError as exc:
            log.warning("could not expire Stripe session %s: %s", session_id, exc)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent | None:
        """Verify the signature on the raw body; the event we act on, or None for others."""
        if self._webhook_secret is None:
            raise PaymentError("ELARA_PAYMENTS__STRIPE_WEBHOOK_SECRET is not configured", 503)
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise InvalidInput("invalid Stripe signature", 400) from exc
        except ValueError as exc:
            raise InvalidInput("invalid Stripe payload", 400) from exc
        return event_from_stripe(event.id, event.type, event.data.object.to_dict())


def event_from_stripe(event_id: str, event_type: str, obj: dict[str, Any]) -> PaymentEvent | None:
    kind = _kind(event_type, obj.get("payment_status"))
    if kind is None:
        return None
    reference = obj.get("client_reference_id")
    return PaymentEvent(
        provider="stripe",
        event_id=event_id,
        kind=kind,
        session_id=obj.get("id"),
        order_id=_uuid(reference),
    )


def _kind(event_type: str, payment_status: str | None) -> PaymentEventKind | None:
    if event_type == "checkout.session.completed":
        return PaymentEventKind.PAID if payment_status == "paid" else None
    return {
        "checkout.session.async_payment_succeeded": PaymentEventKind.PAID,
        "checkout.session.async_payment_failed": PaymentEventKind.FAILED,
        "checkout.session.expired": PaymentEventKind.EXPIRED,
    }.get(event_type)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
