"""Inbound messages, reply parts and SSE events (docs/contracts.md "Reply parts and chat wire format")."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from elara_bot.cart.schemas import CartPublic
from elara_bot.orders.schemas import OrderPublic


class InboundMessage(BaseModel):
    """One shopper message: typed text, optionally a button action (`add:<sku>:<qty>`, `confirm`...)."""

    message: str = Field(default="", max_length=4000)
    action: str | None = Field(default=None, max_length=200)


class CardVariant(BaseModel):
    sku: str
    options: dict[str, str] = Field(default_factory=dict)
    price_minor: int
    in_stock: bool


class ProductCard(BaseModel):
    position: int
    product_id: uuid.UUID | str
    title: str
    image_url: str | None = None
    description: str = ""
    price_min_minor: int
    price_max_minor: int
    currency: str
    variants: list[CardVariant] = Field(default_factory=list)


class ProductCardsPart(BaseModel):
    type: Literal["product_cards"] = "product_cards"
    cards: list[ProductCard]


class CartPart(BaseModel):
    type: Literal["cart"] = "cart"
    cart: CartPublic


class CheckoutLinkPart(BaseModel):
    type: Literal["checkout_link"] = "checkout_link"
    url: str
    order_number: str
    total_minor: int
    currency: str


class OrderPart(BaseModel):
    type: Literal["order"] = "order"
    order: OrderPublic


class QuickReply(BaseModel):
    label: str
    message: str
    action: str | None = None


class QuickRepliesPart(BaseModel):
    type: Literal["quick_replies"] = "quick_replies"
    replies: list[QuickReply]


class HandoffPart(BaseModel):
    type: Literal["handoff"] = "handoff"
    status: Literal["requested", "active", "closed"]
    detail: str = ""


class ChartPart(BaseModel):
    type: Literal["chart"] = "chart"
    title: str
    png_base64: str


class TablePart(BaseModel):
    type: Literal["table"] = "table"
    title: str
    columns: list[str]
    rows: list[list[str]]


ReplyPart = Annotated[
    ProductCardsPart
    | CartPart
    | CheckoutLinkPart
    | OrderPart
    | QuickRepliesPart
    | HandoffPart
    | ChartPart
    | TablePart,
    Field(discriminator="type"),
]


class OutboundReply(BaseModel):
    text: str
    parts: list[ReplyPart] = Field(default_factory=list)
    conversation_id: uuid.UUID | None = None


class ToolEvent(BaseModel):
    """SSE `event: tool`."""

    name: str
    status: Literal["started", "done", "error"]


class DeltaEvent(BaseModel):
    """SSE `event: delta`."""

    text: str


class ErrorEvent(BaseModel):
    """SSE `event: error`."""

    error: str
    detail: str


def sse(event: str, data: BaseModel | dict[str, object]) -> str:
    """One server-sent event frame."""
    body = data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data, default=str)
    return f"event: {event}\ndata: {body}\n\n"
