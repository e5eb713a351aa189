"""Inbound messages, reply parts and SSE events (docs/contracts.md "Reply parts and chat wire format")."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from elara_bot.cart.schemas import CartPublic
from elara_bot.orders.schemas import OrderPublic

Channel = Literal["web", "telegram", "slack", "email", "cli"]


# The button actions `conversation.actions.plan_action` carries out (tests/api/test_hostile_input.py holds
# the two together): a request the schema allows is never refused by the grammar.
ACTION_PATTERN = (
    r"^(view_cart|checkout|popular|confirm|deny|add:[^:]+(:-?[0-9]{1,9})?|(remove|more_like|order_status):.+)$"
)
# Some character that str.strip() keeps (Python's whitespace, spelled out: regex dialects disagree on \s)
NOT_BLANK_PATTERN = (
    "[^\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)


class ChatRequest(BaseModel):
    """Body of `POST /api/v1/chat`: typed text, or a button's `action` (its label as `message`)."""

    message: str = Field(default="", max_length=4000, examples=["running shoes under $100"])
    action: str | None = Field(
        default=None,
        max_length=200,
        json_schema_extra={"pattern": ACTION_PATTERN},  # checked below, with a clearer message
        examples=[None, "add:SKU-123:1", "view_cart", "checkout"],
    )
    model_config = ConfigDict(
        json_schema_extra={  # what the validator below requires, for clients and schema-driven tests
            "anyOf": [
                {"required": ["action"], "properties": {"action": {"type": "string"}}},
                {"required": ["message"], "properties": {"message": {"pattern": NOT_BLANK_PATTERN}}},
            ]
        }
    )

    @field_validator("action")
    @classmethod
    def _known_action(cls, action: str | None) -> str | None:
        if action is not None and re.fullmatch(ACTION_PATTERN, action) is None:
            raise ValueError(f"unknown action {action!r}")
        return action

    @model_validator(mode="after")
    def _says_something(self) -> ChatRequest:
        if not self.action and not self.message.strip():
            raise ValueError("the message is empty: type something or press a button")
        return self


class InboundMessage(BaseModel):
    """One shopper turn from any channel, as a connector hands it to the conversation service.

    `customer_id` is set when the channel has already authenticated the shopper (the web session);
    otherwise the customer is found or created from (`channel`, `external_user_id`).
    """

    channel: Channel
    external_user_id: str = Field(max_length=200)
    conversation_key: str = Field(max_length=200)
    text: str = Field(default="", max_length=4096)  # what Telegram accepts (the web API's ChatRequest: 4000)
    display_name: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=200)
    customer_id: uuid.UUID | None = None


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


class ToolOutcome(BaseModel):
    """What a shopper tool hands back beside the text the model reads (`ToolMessage.artifact`): the reply
    parts the shopper sees and the facts the conversation's memory keeps."""

    parts: list[ReplyPart] = Field(default_factory=list)
    error: str | None = None  # the `ElaraError`'s name; "ConfirmationRequired": the call waits for a yes
    shown: list[ProductCard] | None = None  # the products listed (none found: empty), with their positions
    cart: CartPublic | None = None  # the cart after the call
    order_number: str | None = None  # the order placed or looked at


class ToolEvent(BaseModel):
    """SSE `event: tool`: `label` is what the shopper is shown while it runs."""

    name: str
    label: str
    status: Literal["started", "done", "error"]


class DeltaEvent(BaseModel):
    """SSE `event: delta`."""

    text: str


class ErrorEvent(BaseModel):
    """SSE `event: error`."""

    error: str
    detail: str
    status: int = 500
    retry_after_s: int | None = None


class HistoryTurn(BaseModel):
    """One stored message of a conversation (`role` "human_agent" is a merchant speaking in a handoff)."""

    id: int
    role: Literal["user", "assistant", "human_agent"]
    text: str
    parts: list[ReplyPart] = Field(default_factory=list)
    created_at: datetime


@dataclass(frozen=True)
class ReplyEvent:
    """One event of a streamed turn: `tool`, `delta`, `part`, `done` or `error` (data as on the wire)."""

    event: Literal["tool", "delta", "part", "done", "error"]
    data: BaseModel

    def frame(self) -> str:
        return sse(self.event, self.data)


def sse(event: str, data: BaseModel | dict[str, object]) -> str:
    """One server-sent event frame."""
    body = data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data, default=str)
    return f"event: {event}\ndata: {body}\n\n"
