"""Checkout DTOs."""

from __future__ import annotations

from pydantic import BaseModel

from elara_bot.orders.schemas import OrderPublic


class CheckoutResult(BaseModel):
    order: OrderPublic
    payment_url: str
