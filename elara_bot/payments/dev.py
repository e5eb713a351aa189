"""The TEST MODE provider: a local payment page whose button drives the same "paid" path as Stripe."""

from __future__ import annotations

import secrets

from elara_bot.config import Settings
from elara_bot.errors import ElaraError
from elara_bot.payments.base import CheckoutSession, CheckoutSessionRequest


class DevPaymentProvider:
    name = "dev"
    min_reservation_s = 0

    def __init__(self, settings: Settings) -> None:
        self._settings = settings  # read at use: public_url may be set after start (tests)
        self.refunds: list[tuple[str, int, str]] = []
        self.refund_keys: list[str] = []
        self.expired: list[str] = []

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        token = "devcs_" + secrets.token_urlsafe(18)
        return CheckoutSession(
            id=token,
            url=f"{self._settings.public_url.rstrip('/')}/pay/{token}",
            expires_at=request.expires_at,
        )

    async def refund(self, session_id: str, amount_minor: int, currency: str, idempotency_key: str) -> None:
        if idempotency_key in self.refund_keys:
            return
        self.refund_keys.append(idempotency_key)
        self.refunds.append((session_id, amount_minor, currency))

    async def expire_session(self, session_id: str) -> None:
        self.expired.append(session_id)


def build_dev_provider(settings: Settings) -> DevPaymentProvider:
    if settings.env == "prod" and not settings.payments.dev_enabled:
        raise ElaraError("the TEST MODE payment provider is refused in production", 500)
    return DevPaymentProvider(settings)
