"""The conversation's state between turns: one typed object, kept in `conversations.state` (jsonb).

Both models and the tools read it from the run's context (`ShopperContext.state`): the products last shown
(with their positions and variants, for "the second one in size 10"), the last search (for "cheaper"), the
cart's lines, the question the assistant asked and what an answer to it looks like, the last order. It is
folded from the tools' outcomes by `conversation.memory`; a state saved by an older version loads with
what it has (unknown keys are ignored, missing ones take their defaults).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from elara_bot.contracts import ToolOutcome

EARLIER_KEPT = 10  # products of earlier lists kept for references by name


class ShownVariant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sku: str
    options: dict[str, str] = Field(default_factory=dict)
    in_stock: bool = True
    price_minor: int | None = None


class ShownProduct(BaseModel):
    """A product card as the shopper saw it (its position is what "the second one" refers to)."""

    model_config = ConfigDict(extra="ignore")

    position: int
    product_id: str
    title: str
    price_min_minor: int | None = None
    currency: str = ""
    variants: list[ShownVariant] = Field(default_factory=list)


class CartLineRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sku: str
    title: str
    quantity: int
    options: dict[str, str] = Field(default_factory=dict)
    product_id: str = ""


class OrderRef(BaseModel):
    """One of the shopper's recent orders, as "the yoga mat one" refers to it."""

    model_config = ConfigDict(extra="ignore")

    number: str
    status: str
    titles: list[str] = Field(default_factory=list)


class Question(BaseModel):
    """What the assistant asked, for one turn: the request it belongs to and what an answer fills.

    ``slot`` is "confirmation" for a yes/no about running ``tool`` with ``args`` (irreversible calls, or
    "want to see it?"), else the missing piece: "order_number", "product", "variant", "quantity"."""

    intent: str
    slot: str
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    text: str = ""  # the question as the shopper read it
    instead_of_cards: bool = False  # asked about a product found this turn for an add: no list of cards


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    shown: list[ShownProduct] = Field(default_factory=list)
    earlier: list[ShownProduct] = Field(default_factory=list)  # cards of earlier lists, newest first
    focus: str | None = None  # the product the shopper last referred to (its id): "it", "size 10 please"
    focus_options: list[str] = Field(default_factory=list)  # option values last asked about ("the 8GB one")
    last_query: str | None = None
    last_filters: dict[str, Any] = Field(default_factory=dict)
    last_sku: str | None = None
    cart_lines: list[CartLineRef] = Field(default_factory=list)
    pending: dict[str, Any] | None = None  # {"name", "args"}: the one irreversible call a yes confirms
    asked: Question | None = None  # any other question the last reply asked
    last_order: str | None = None  # the order last checked out or looked at
    orders: list[OrderRef] = Field(default_factory=list)  # the shopper's recent orders, newest first
    details: list[ShownProduct] = Field(default_factory=list)  # products looked at this turn (not cards)
    handoff: str | None = None
    last_request: str | None = None  # the intent of the last message's last request ("and a charger" adds)
    turns: int = 0

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> ConversationState:
        try:
            return cls.model_validate(raw or {})
        except ValueError:  # a state this version cannot read: start afresh rather than fail the turn
            return cls()

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)

    def absorb(self, outcome: ToolOutcome) -> None:
        """What a tool's outcome tells: the products listed, the cart's lines, the order placed or seen."""
        if outcome.order_number:
            self.last_order = outcome.order_number
        if outcome.shown is not None:
            shown = [ShownProduct.model_validate(card.model_dump(mode="json")) for card in outcome.shown]
            if shown != self.shown:  # folded twice (during the turn, then after it): the focus stays
                self._remember_earlier(self.shown, shown)
                self.shown = shown
                self.focus = shown[0].product_id if len(shown) == 1 else None
        if outcome.cart is not None:
            self.cart_lines = [CartLineRef.model_validate(line.model_dump()) for line in outcome.cart.lines]

    def _remember_earlier(self, before: list[ShownProduct], now: list[ShownProduct]) -> None:
        """Cards no longer on the latest list stay nameable ("add the mat" after the hoses were shown)."""
        seen = {p.product_id for p in now}
        kept: list[ShownProduct] = []
        for product in [*before, *self.earlier]:  # newest first: the first copy of each is the newest
            if product.product_id not in seen:
                seen.add(product.product_id)
                kept.append(product)
        self.earlier = kept[:EARLIER_KEPT]

    def product(self, product_id: str | None) -> ShownProduct | None:
        return next(
            (p for p in [*self.shown, *self.details, *self.earlier] if p.product_id == product_id), None
        )
