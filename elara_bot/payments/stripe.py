"""Stripe Checkout Sessions (the only module importing ``stripe``)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import stripe
from pydantic import BaseModel, ConfigDict, ValidationError
from stripe.params import PaymentIntentCreateParams, RefundCreateParams
from stripe.params.checkout import SessionCreateParams

from elara_bot.config import Settings
from elara_bot.errors import InvalidInput, PaymentError
from elara_bot.payments.base import (
    CheckoutSession,
    CheckoutSessionRequest,
    IntentState,
    PaymentDeclined,
    PaymentEvent,
    PaymentEventKind,
)

log = logging.getLogger(__name__)

STRIPE_MIN_EXPIRY_S = 30 * 60  # Stripe refuses expires_at under 30 minutes ahead
RESERVATION_MARGIN_S = 2 * 60  # reservation to session creation, and clock skew
TOLERANCE_S = 300  # Stripe's own default signature tolerance, applied both ways


class StripeProvider:
    name = "stripe"
    min_reservation_s = STRIPE_MIN_EXPIRY_S + RESERVATION_MARGIN_S

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
        if settings.payments.reservation_minutes * 60 < STRIPE_MIN_EXPIRY_S:
            log.warning(
                "ELARA_PAYMENTS__RESERVATION_MINUTES=%d is under Stripe's 30-minute minimum for a payment"
                " page: Stripe orders reserve stock for %d minutes instead",
                settings.payments.reservation_minutes,
                self.min_reservation_s // 60,
            )

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        params: SessionCreateParams = {
            "mode": "payment",
            "client_reference_id": str(request.order_id),
            "metadata": {"order_number": request.order_number},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": _expires_at(request.expires_at),
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
        options: stripe.RequestOptions = {"idempotency_key": f"checkout-{request.order_id}"}
        try:
            session = await self._client.v1.checkout.sessions.create_async(params=params, options=options)
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not open a payment page: {exc.user_message or exc}") from exc
        if not session.url:
            raise PaymentError("Stripe returned a session without a payment page")
        return CheckoutSession(id=session.id, url=session.url)

    async def charge_intent(
        self,
        amount_minor: int,
        currency: str,
        *,
        payment_method: str | None,
        shared_token: str | None,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        """Create and confirm a PaymentIntent server to server (``payment_method`` or a shared payment
        token); its id when it succeeded. A card decline, or an intent that would need the payer's action
        (3-D Secure: no payer is present), is ``PaymentDeclined``, and such an intent is cancelled."""
        if (payment_method is None) == (shared_token is None):
            raise InvalidInput("exactly one of a payment method and a shared payment token is needed")
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "confirm": True,
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        if payment_method is not None:
            params["payment_method"] = payment_method
        else:  # Stripe's agentic-commerce parameter (not yet in the typed params of this stripe release)
            params["shared_payment_granted_token"] = shared_token
        try:
            for attempt in range(3):
                # a replay of a charge that was refunded (its order could not be recorded) is no payment:
                # charge anew under a key derived from the refunded one
                key = idempotency_key if attempt == 0 else f"{idempotency_key}-after-refund-{attempt}"
                options: stripe.RequestOptions = {"idempotency_key": key}
                intent = await self._client.v1.payment_intents.create_async(
                    params=cast(PaymentIntentCreateParams, params), options=options
                )
                if not await self._refunded_replay(intent):
                    break
        except stripe.CardError as exc:
            raise PaymentDeclined(f"the card was declined: {exc.user_message or exc.code}") from exc
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not take the payment: {exc.user_message or exc}") from exc
        if intent.status == "succeeded":
            return intent.id
        try:  # requires_action and the like: nobody can finish it, so nothing may be left to capture
            await self._client.v1.payment_intents.cancel_async(intent.id)
        except stripe.StripeError as exc:
            log.warning("could not cancel PaymentIntent %s (%s): %s", intent.id, intent.status, exc)
        raise PaymentDeclined(f"the payment needs the payer's action ({intent.status}); use another method")

    async def _refunded_replay(self, intent: stripe.PaymentIntent) -> bool:
        response = intent.last_response
        replayed = response is not None and response.headers.get("Idempotent-Replayed") == "true"
        if not replayed or intent.status != "succeeded":
            return False
        refunds = await self._client.v1.refunds.list_async(params={"payment_intent": intent.id, "limit": 1})
        return bool(refunds.data)

    async def find_intents(self, journal_id: str, intent_id: str | None) -> list[IntentState]:
        """The PaymentIntents of one charge-journal row: the recorded one (retrieved: always current) and
        those whose metadata names the row (Stripe's search, for an attempt that died before its intent
        was written down; search lags writes by up to a minute, well inside the journal's grace period)."""
        try:
            found: dict[str, stripe.PaymentIntent] = {}
            if intent_id is not None:
                found[intent_id] = await self._client.v1.payment_intents.retrieve_async(intent_id)
            query = f"metadata['journal_id']:'{journal_id}'"
            page = await self._client.v1.payment_intents.search_async(params={"query": query, "limit": 100})
            for intent in page.data:
                found.setdefault(intent.id, intent)
            states = []
            for intent in found.values():
                refunds = await self._client.v1.refunds.list_async(
                    params={"payment_intent": intent.id, "limit": 100}
                )
                refunded = sum(r.amount for r in refunds.data if r.status in ("succeeded", "pending"))
                states.append(
                    IntentState(
                        id=intent.id,
                        status=intent.status,
                        amount_minor=intent.amount,
                        currency=intent.currency.upper(),
                        refunded_minor=refunded,
                    )
                )
            return states
        except stripe.StripeError as exc:
            raise PaymentError(
                f"Stripe could not say what became of a charge: {exc.user_message or exc}"
            ) from exc

    async def cancel_intent(self, intent_id: str) -> None:
        try:
            await self._client.v1.payment_intents.cancel_async(intent_id)
        except stripe.StripeError as exc:
            log.warning("could not cancel PaymentIntent %s: %s", intent_id, exc)

    async def refund(self, session_id: str, amount_minor: int, currency: str, idempotency_key: str) -> None:
        """Refund a Checkout Session's payment, or a PaymentIntent (``pi_...``, from ``charge_intent``)."""
        try:
            if session_id.startswith("pi_"):
                intent_id: str | None = session_id
            else:
                session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
                intent = session.payment_intent
                intent_id = intent if isinstance(intent, str) else getattr(intent, "id", None)
            if intent_id is None:
                raise PaymentError(f"Stripe session {session_id} has no payment to refund")
            params: RefundCreateParams = {"payment_intent": intent_id, "amount": amount_minor}
            options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
            await self._client.v1.refunds.create_async(params=params, options=options)
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the refund: {exc.user_message or exc}") from exc

    async def expire_session(self, session_id: str) -> None:
        try:
            await self._client.v1.checkout.sessions.expire_async(session_id)
        except stripe.StripeError as exc:  # already complete or expired: the webhook path handles it
            log.warning("could not expire Stripe session %s: %s", session_id, exc)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent | None:
        """Verify the signature on the raw body (timestamp within tolerance both ways), then the body's
        shape; the event we act on, or None for others. Anything malformed is a 400, never a 500."""
        if self._webhook_secret is None:
            raise PaymentError("ELARA_PAYMENTS__STRIPE_WEBHOOK_SECRET is not configured", 503)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("the Stripe payload is not UTF-8", 400) from exc
        verify_signature(text, signature, self._webhook_secret)
        try:
            event = _Event.model_validate_json(text)
        except ValidationError as exc:
            raise InvalidInput(f"not a Stripe event: {_first_error(exc)}", 400) from exc
        return event_from_stripe(event.id, event.type, event.data.object)


def verify_signature(payload: str, header: str | None, secret: str) -> None:
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_S)
    except stripe.SignatureVerificationError as exc:
        raise InvalidInput(f"invalid Stripe signature: {exc.user_message or exc}", 400) from exc
    stamps = [item[2:] for item in (header or "").split(",") if item.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + TOLERANCE_S:
        raise InvalidInput("invalid Stripe signature: the timestamp is in the future", 400)


def _expires_at(reservation_end: datetime) -> int:
    """The reservation's end, never under Stripe's minimum (then the late-payment refund covers the gap)."""
    floor = int(time.time()) + STRIPE_MIN_EXPIRY_S + 10
    wanted = int(reservation_end.timestamp())
    if wanted < floor:
        log.warning("reservation ends before Stripe's minimum payment window; the page stays open longer")
    return max(wanted, floor)


class _Data(BaseModel):
    model_config = ConfigDict(strict=True)
    object: dict[str, Any]


class _Event(BaseModel):
    model_config = ConfigDict(strict=True)
    id: str
    type: str
    data: _Data


class _Session(BaseModel):
    """The Checkout Session fields we read, with their types enforced."""

    model_config = ConfigDict(strict=True)
    id: str
    client_reference_id: str | None = None
    payment_status: str | None = None
    amount_total: int | None = None
    currency: str | None = None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


def event_from_stripe(event_id: str, event_type: str, obj: dict[str, Any]) -> PaymentEvent | None:
    kind = _kind(event_type, obj.get("payment_status"))
    if kind is None:
        return None
    try:
        session = _Session.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(f"not a Checkout Session: {_first_error(exc)}", 400) from exc
    if kind is PaymentEventKind.PAID and (session.amount_total is None or not session.currency):
        raise InvalidInput("a paid Checkout Session must carry amount_total and currency", 400)
    return PaymentEvent(
        provider="stripe",
        event_id=event_id,
        kind=kind,
        session_id=session.id,
        order_id=_uuid(session.client_reference_id),
        amount_minor=session.amount_total,
        currency=session.currency.upper() if session.currency else None,
    )


def _kind(event_type: str, payment_status: object) -> PaymentEventKind | None:
    if event_type == "checkout.session.completed":
        return PaymentEventKind.PAID if payment_status == "paid" else None
    return {
        "checkout.session.async_payment_succeeded": PaymentEventKind.PAID,
        "checkout.session.async_payment_failed": PaymentEventKind.FAILED,
        "checkout.session.expired": PaymentEventKind.EXPIRED,
    }.get(event_type)


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
