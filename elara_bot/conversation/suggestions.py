"""Quick-reply suggestions: the next steps a shopper most likely wants after this turn."""

from __future__ import annotations

from typing import Any

from elara_bot.contracts import QuickRepliesPart, QuickReply, ReplyPart

START = [
    QuickReply(label="Running shoes", message="Show me running shoes"),
    QuickReply(label="My cart", message="Show my cart", action="view_cart"),
    QuickReply(label="My orders", message="Where is my order?"),
]
AFTER_SEARCH = [
    QuickReply(label="Add the first one", message="Add the first one"),
    QuickReply(label="Cheaper", message="Show me cheaper ones"),
    QuickReply(label="My cart", message="Show my cart", action="view_cart"),
]
AFTER_CART = [
    QuickReply(label="Check out", message="I'd like to check out", action="checkout"),
    QuickReply(label="Keep shopping", message="Show me something else"),
]
AFTER_CHECKOUT = [QuickReply(label="Order status", message="What is the status of my order?")]
CONFIRM = [
    QuickReply(label="Yes", message="Yes", action="confirm"),
    QuickReply(label="No", message="No", action="deny"),
]


OFFER = [QuickReply(label="Yes", message="Yes, show me"), QuickReply(label="No", message="No thanks")]


def suggest(
    parts: list[ReplyPart], pending: dict[str, Any] | None, *, first_turn: bool, offer: bool = False
) -> list[ReplyPart]:
    """Quick replies for a reply with these parts (none when nothing obvious comes next); ``offer``: the
    reply offers something to show ("want to see it?")."""
    if pending is not None:
        return [QuickRepliesPart(replies=CONFIRM)]
    if offer:
        return [QuickRepliesPart(replies=OFFER)]
    kinds = {part.type for part in parts}
    if "checkout_link" in kinds:
        return [QuickRepliesPart(replies=AFTER_CHECKOUT)]
    if "cart" in kinds:
        cart = next(part for part in parts if part.type == "cart")
        return [QuickRepliesPart(replies=AFTER_CART)] if cart.cart.lines else []
    if "product_cards" in kinds:
        return [QuickRepliesPart(replies=AFTER_SEARCH)]
    if first_turn and not parts:
        return [QuickRepliesPart(replies=START)]
    return []
