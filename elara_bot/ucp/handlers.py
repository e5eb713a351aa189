"""Payment handlers a platform can pay with. TEST MODE: the card token ``tok_test_success`` is charged,
``tok_test_decline`` (or any other token) is declined; nothing leaves the machine. Each charge is keyed by
the checkout session, so a retried completion charges once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from elara_bot.checkout.sessions import PaymentDeclined
from elara_bot.errors import InvalidInput
from elara_bot.ucp.render import TEST_HANDLER_ID, TEST_TOKENS


@dataclass
class TestModeCharge:
    """A TEST MODE charge of one token (``__call__`` matches ``checkout.sessions.Charge``)."""

    token: str
    charges: dict[str, str] = field(default_factory=dict)

    async def __call__(self, amount_minor: int, currency: str, idempotency_key: str) -> str:
        if self.token != TEST_TOKENS["success"]:
            raise PaymentDeclined("the card was declined (TEST MODE)")
        digest = hashlib.sha256(f"{idempotency_key}:{amount_minor}:{currency}".encode()).hexdigest()[:24]
        return self.charges.setdefault(idempotency_key, f"test_ch_{digest}")


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


def charge_for(instrument: dict[str, Any], test_mode: bool) -> tuple[str, TestModeCharge]:
    """The provider name and the charge for this instrument's handler and credential."""
    if instrument.get("handler_id") != TEST_HANDLER_ID or not test_mode:
        raise InvalidInput(f"unknown payment handler {instrument.get('handler_id')!r}")
    credential = instrument.get("credential")
    token = credential.get("token") if isinstance(credential, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidInput("the instrument's credential needs a token")
    return "ucp_test", TestModeCharge(token)
