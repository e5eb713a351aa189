"""Payment handlers a platform can pay with.

TEST MODE (``dev.elara.test_mode``): the card token ``tok_test_success`` is charged, ``tok_test_decline``
(or any other token) is declined; nothing leaves the machine.

Stripe (``com.stripe.payment_intent``, advertised when the store's payments run on Stripe): the instrument's
credential is a Stripe PaymentMethod id (``{"type": "stripe_payment_method", "token": "pm_..."}``) or a
shared payment token an agent granted the store (``{"type": "stripe_shared_payment_token", "token":
"spt_..."}``); the business creates and confirms one PaymentIntent through ``StripeClient``.

Each charge is keyed by the checkout session and what is charged (credential, amount, currency), so a
retried completion is the same charge at the provider, and a completion retried with another card after a
decline is a new one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from elara_bot.errors import InvalidInput
from elara_bot.payments.base import IntentCharger, PaymentDeclined, PaymentProvider
from elara_bot.ucp.render import STRIPE_HANDLER_ID, TEST_HANDLER_ID, TEST_TOKENS

STRIPE_CREDENTIALS = {"stripe_payment_method": "pm_", "stripe_shared_payment_token": "spt_"}


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:24]


@dataclass
class TestModeCharge:
    """A TEST MODE charge of one token (``__call__`` matches ``checkout.sessions.Charge``)."""

    token: str
    charges: dict[str, str] = field(default_factory=dict)
    reference: str | None = None  # set once the charge succeeded

    async def __call__(self, amount_minor: int, currency: str, idempotency_key: str) -> str:
        if self.token != TEST_TOKENS["success"]:
            raise PaymentDeclined("the card was declined (TEST MODE)")
        digest = _fingerprint(idempotency_key, amount_minor, currency)
        self.reference = self.charges.setdefault(idempotency_key, f"test_ch_{digest}")
        return self.reference


@dataclass
class StripeCharge:
    """One PaymentIntent, created and confirmed with the platform's credential (a ``sessions.Charge``)."""

    stripe: IntentCharger
    credential_type: str
    token: str
    reference: str | None = None  # the PaymentIntent, once it succeeded (a later failure must refund it)

    async def __call__(self, amount_minor: int, currency: str, idempotency_key: str) -> str:
        key = f"{idempotency_key}-{_fingerprint(self.token, amount_minor, currency.upper())}"
        shared = self.credential_type == "stripe_shared_payment_token"
        self.reference = await self.stripe.charge_intent(
            amount_minor,
            currency,
            payment_method=None if shared else self.token,
            shared_token=self.token if shared else None,
            idempotency_key=key,
            metadata={"ucp_checkout_id": idempotency_key.removeprefix("ucp-charge-")},
        )
        return self.reference


Charge = TestModeCharge | StripeCharge


def selected_instrument(payment: Any) -> dict[str, Any]:
    """The instrument the platform selected (or its only one) from ``payment.instruments``."""
    instruments = payment.get("instruments") if isinstance(payment, dict) else None
    if not isinstance(instruments, list) or not instruments:
        raise InvalidInput("payment.instruments is required to complete a checkout")
    chosen = [i for i in instruments if isinstance(i, dict) and i.get("selected")] or instruments[:1]
    instrument = chosen[0]
    if not isinstance(instrument, dict):
        raise InvalidInput("payment.instruments[0] must be an object")
    return instrument


def _token(instrument: dict[str, Any]) -> tuple[str, str]:
    credential = instrument.get("credential")
    token = credential.get("token") if isinstance(credential, dict) else None
    kind = credential.get("type") if isinstance(credential, dict) else None
    if not isinstance(token, str) or not token or len(token) > 500:
        raise InvalidInput("the instrument's credential needs a token")
    return (kind if isinstance(kind, str) else ""), token


def charge_for(
    instrument: dict[str, Any], test_mode: bool, stripe: PaymentProvider | IntentCharger | None
) -> tuple[str, Charge]:
    """The provider name and the charge for this instrument's handler and credential. ``stripe`` is the
    store's provider when it can charge PaymentIntents (else the Stripe handler is not on offer)."""
    handler = instrument.get("handler_id")
    if handler == TEST_HANDLER_ID and test_mode:
        return "ucp_test", TestModeCharge(_token(instrument)[1])
    if handler == STRIPE_HANDLER_ID and isinstance(stripe, IntentCharger):
        kind, token = _token(instrument)
        if kind not in STRIPE_CREDENTIALS:
            # a bare token: its Stripe prefix says what it is
            kind = next((k for k, prefix in STRIPE_CREDENTIALS.items() if token.startswith(prefix)), kind)
        prefix = STRIPE_CREDENTIALS.get(kind)
        if prefix is None or not token.startswith(prefix):
            raise InvalidInput(
                "a Stripe credential is {type: stripe_payment_method, token: pm_...} or"
                " {type: stripe_shared_payment_token, token: spt_...}"
            )
        return "ucp_stripe", StripeCharge(stripe, kind, token)
    raise InvalidInput(f"unknown payment handler {handler!r}")
