"""Checkout DTOs."""

from __future__ import annotations

from pydantic import BaseModel

from elara_bot.orders.schemas import OrderPublic


class CheckoutResult(BaseModel):
    order: OrderPublic
    payment_url: str
    # Set when the payment provider could not be reached: the order stays pending_payment (stock
    # reserved) and ``resume_payment`` retries with the same idempotency key.
    payment_error: str | None = None
