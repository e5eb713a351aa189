"""Order DTOs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

OrderStatus = Literal[
    "pending_payment", "paid", "fulfilled", "delivered", "cancelled", "refunded", "expired", "payment_review"
]


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


class PaymentAlert(BaseModel):
    """Something about a payment the merchant must know (the app hands it to ``runtime.on_payment_alert``):
    a payment that does not match its order (``payment_review``), a payment that arrived after the order
    was cancelled or expired and was refunded (``late_payment_refunded``), money for no known order, a
    charge whose order was never recorded, refunded by the charge journal (``orphan_charge_refunded``)."""

    kind: Literal["payment_review", "late_payment_refunded", "unknown_order", "orphan_charge_refunded"]
    order_number: str | None
    detail: str
    amount_minor: int | None = None
    currency: str | None = None


@dataclass
class PaymentOutcome:
    """What applying one provider event did: ``applied`` when it changed anything; ``paid_order`` (a number)
    when an order became paid; ``alert`` for the merchant. Both are announced after the commit."""

    applied: bool = False
    paid_order: str | None = None
    alert: PaymentAlert | None = None


@dataclass
class ReleasedOrder:
    """An order the sweeper expired, with the payment session to close at the provider."""

    number: str
    provider: str | None
    session_id: str | None
