"""Order DTOs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

OrderStatus = Literal["pending_payment", "paid", "fulfilled", "delivered", "cancelled", "refunded", "expired"]


class OrderEvent(BaseModel):
    status: str
    note: str | None
    created_at: datetime


class OrderLine(BaseModel):
    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    quantity: int
    unit_price_minor: int
    line_total_minor: int


class OrderPublic(BaseModel):
    number: str
    status: OrderStatus
    lines: list[OrderLine]
    total_minor: int
    currency: str
    created_at: datetime
    tracking: list[str]
    payment_url: str | None
    history: list[OrderEvent]
