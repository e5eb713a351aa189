"""Payments: the provider protocol and its DTOs (base.py) and the adapters (stripe.py, dev.py).

Order-state decisions, the expiry sweeper and the announcements after a payment live in ``orders``.
"""

from __future__ import annotations

from elara_bot.config import Settings
from elara_bot.payments.base import PaymentProvider
from elara_bot.payments.dev import build_dev_provider


def build_provider(settings: Settings) -> PaymentProvider:
    """Stripe when configured (or a key is set), else the TEST MODE dev provider."""
    wants_stripe = settings.payments.provider == "stripe" or (
        settings.payments.provider is None and settings.payments.stripe_secret_key is not None
    )
    if wants_stripe:
        from elara_bot.payments.stripe import StripeProvider

        return StripeProvider(settings)
    return build_dev_provider(settings)
