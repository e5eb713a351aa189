"""Button actions: what a press means, as tool calls (run without asking the model) or a direct answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elara_bot.agent.confirmation import Confirmation, Decision, decide
from elara_bot.errors import InvalidInput

ToolCall = tuple[str, dict[str, Any]]


@dataclass
class ActionPlan:
    calls: list[ToolCall] = field(default_factory=list)
    answer: str | None = None  # a reply that needs no tool
    confirmed: Confirmation | None = None  # the one call the shopper has just confirmed


def plan_action(action: str, pending: dict[str, Any] | None) -> ActionPlan:
    """`add:<sku>:<qty>`, `remove:<sku>`, `more_like:<product_id>`, `order_status:<number>`, `view_cart`,
    `checkout`, `popular`, `confirm`, `deny`; anything else is refused with a clear message.

    `popular` is the widget's "Show me bestsellers" chip: the store's best sellers (units in paid orders of
    the last 90 days; a browse of the catalog before anything sold), so the chip works in any language."""
    name, _, rest = action.partition(":")
    simple: dict[str, ToolCall] = {
        "view_cart": ("view_cart", {}),
        "checkout": ("checkout", {}),
        "popular": ("best_sellers", {}),
    }
    if name in simple and not rest:
        return ActionPlan(calls=[simple[name]])
    if name in {"confirm", "deny"} and not rest:
        return _decide(decide(name) is Decision.YES, pending)
    if name == "add" and rest:
        sku, _, quantity = rest.rpartition(":") if rest.count(":") else (rest, "", "1")
        return ActionPlan(calls=[("add_to_cart", {"sku": sku, "quantity": _quantity(quantity)})])
    argument = {"remove": "sku", "more_like": "for_product", "order_status": "order_number"}.get(name)
    tool = {"remove": "remove_from_cart", "more_like": "recommend", "order_status": "order_status"}.get(name)
    if argument and tool and rest:
        return ActionPlan(calls=[(tool, {argument: rest})])
    raise InvalidInput(f"unknown action {action!r}")


def _decide(yes: bool, pending: dict[str, Any] | None) -> ActionPlan:
    if pending is None:
        return ActionPlan(answer="There is nothing waiting for a yes or no right now.")
    if not yes:
        return ActionPlan(answer="All right, I've left it as it is.")
    confirmed = Confirmation.of(pending)
    return ActionPlan(calls=[(confirmed.name, dict(confirmed.args))], confirmed=confirmed)


def _quantity(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput(f"the quantity {text!r} is not a whole number") from exc
