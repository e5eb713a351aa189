"""A conversation's memory between turns, kept in `conversations.state` (jsonb), and reply building.

The state holds what older messages would otherwise have to carry: the products last shown (with their
positions, for "the second one"), the last search and filters (for "cheaper"), the cart's lines, a
confirmation waiting for a yes (one exact call, for one turn), the handoff flag. It survives trimming of
the message history.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage

from elara_bot.agent.confirmation import Confirmation, Decision, decide, describe
from elara_bot.agent.offline import OfflineMemory, ShownProduct
from elara_bot.contracts import (
    CartPart,
    CheckoutLinkPart,
    HandoffPart,
    OrderPart,
    OutboundReply,
    ProductCardsPart,
    ReplyPart,
)

NOTE_PRODUCTS = 10
NOTE_VARIANTS = 12


def confirmation(state: dict[str, Any], text: str) -> Confirmation | None:
    """The shopper's clear yes to the question the last reply asked: a grant for exactly that call."""
    pending = state.get("pending")
    if pending is None or decide(text, pending.get("args")) is not Decision.YES:
        return None
    return Confirmation.of(pending)


def ask_to_confirm(reply: OutboundReply, pending: dict[str, Any] | None) -> None:
    """Make sure the reply names the exact action a yes will confirm (a hosted model's own wording may
    not, or may name another order than the call it was refused)."""
    if pending is None:
        return
    what = describe(str(pending["name"]), dict(pending.get("args") or {}))
    if what.lower() not in reply.text.lower():
        reply.text = f"{reply.text}\n\nTo confirm: do you want me to {what}? Please answer yes or no."


def _json(message: ToolMessage) -> dict[str, Any]:
    try:
        data = json.loads(message.text)
    except ValueError:
        return {"error": "ToolError", "detail": message.text}
    return data if isinstance(data, dict) else {"result": data}


def tool_outcome(message: BaseMessage) -> tuple[str, bool, list[ReplyPart]] | None:
    """(tool name, failed, reply parts) for a tool's answer; None for other messages."""
    if not isinstance(message, ToolMessage):
        return None
    data = _json(message)
    failed = "error" in data or message.status == "error"
    return message.name or "", failed, [] if failed else _parts(message.name or "", data)


def _parts(name: str, data: dict[str, Any]) -> list[ReplyPart]:
    if name in {"search_products", "recommend"}:
        return [ProductCardsPart.model_validate({"cards": data["products"]})] if data.get("products") else []
    if name == "checkout":
        return [CheckoutLinkPart.model_validate(data)]
    if "cart" in data:
        return [CartPart.model_validate({"cart": data["cart"]})]
    if "order" in data:
        return [OrderPart.model_validate({"order": data["order"]})]
    if name == "handoff_to_human":
        return [HandoffPart(status="requested", detail=str(data.get("reason", "")))]
    return []


def build_reply(conversation_id: UUID, produced: list[BaseMessage], answer: str | None) -> OutboundReply:
    parts: list[ReplyPart] = []
    for message in produced:
        outcome = tool_outcome(message)
        if outcome is not None:
            parts.extend(outcome[2])
    finals = [m for m in produced if isinstance(m, AIMessage) and not m.tool_calls]
    text = answer if answer is not None else (finals[-1].text if finals else "")
    return OutboundReply(text=text or "Done.", parts=parts, conversation_id=conversation_id)


def tool_calls(produced: list[BaseMessage]) -> list[dict[str, Any]]:
    """The turn's tool calls, kept with the assistant's message for audit."""
    return [
        {"name": call["name"], "args": call["args"]}
        for message in produced
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]


def remember(
    state: dict[str, Any],
    produced: list[BaseMessage],
    *,
    handoff: bool,
    confirmed: Confirmation | None = None,
) -> None:
    """Fold a turn's messages into the state. A question waiting for a yes lives one turn and names one
    exact call: the offline model's question, or the one call a hosted model was refused for want of a
    confirmation. None when it was refused several different calls (which one would a yes mean?), nor
    right after a confirmed call ran (more irreversible calls straight after one: the shopper asks anew)."""
    calls = {
        call["id"]: call for m in produced if isinstance(m, AIMessage) for call in m.tool_calls if call["id"]
    }
    state.pop("pending", None)
    refused: list[dict[str, Any]] = []
    for message in produced:
        if isinstance(message, AIMessage):
            _remember_call_args(state, message)
            if pending := message.response_metadata.get("elara_pending"):
                refused.append(pending)
        elif isinstance(message, ToolMessage):
            _remember_result(state, message, calls.get(message.tool_call_id), refused)
    distinct = {json.dumps(p, sort_keys=True, default=str): p for p in refused}
    if len(distinct) == 1 and not (confirmed is not None and confirmed.used):
        state["pending"] = next(iter(distinct.values()))
    if handoff:
        state["handoff"] = "active"


def _remember_call_args(state: dict[str, Any], message: AIMessage) -> None:
    for call in message.tool_calls:
        args = call["args"]
        if call["name"] == "search_products":
            state["last_query"] = args.get("query")
            state["last_filters"] = args.get("filters") or {}
        if "sku" in args:
            state["last_sku"] = args["sku"]


def _remember_result(
    state: dict[str, Any], message: ToolMessage, call: ToolCall | None, refused: list[dict[str, Any]]
) -> None:
    data = _json(message)
    if data.get("error") == "ConfirmationRequired" and call is not None:
        refused.append({"name": call["name"], "args": call["args"]})
        return
    if "error" in data:
        return
    if number := data.get("order_number") or (data.get("order") or {}).get("number"):
        state["last_order"] = number
    if message.name in {"search_products", "recommend"}:
        state["shown"] = [_shown(card) for card in data.get("products", [])]
    if isinstance(data.get("cart"), dict):
        state["cart_lines"] = [
            {"sku": line["sku"], "title": line.get("title", ""), "quantity": line["quantity"]}
            for line in data["cart"].get("lines", [])
        ]


def _shown(card: dict[str, Any]) -> dict[str, Any]:
    variants = [
        {"sku": v["sku"], "options": v.get("options", {}), "in_stock": v.get("in_stock", True)}
        for v in card.get("variants", [])
    ]
    return {
        "position": card["position"],
        "product_id": str(card["product_id"]),
        "title": card["title"],
        "variants": variants,
        "price_min_minor": card.get("price_min_minor"),
    }


def offline_memory(state: dict[str, Any]) -> OfflineMemory:
    shown = [
        ShownProduct(
            int(p["position"]),
            str(p["product_id"]),
            str(p["title"]),
            list(p.get("variants", [])),
            p.get("price_min_minor"),
        )
        for p in state.get("shown", [])
    ]
    return OfflineMemory(
        shown=shown,
        last_query=state.get("last_query"),
        last_filters=dict(state.get("last_filters") or {}),
        last_sku=state.get("last_sku"),
        cart_lines=list(state.get("cart_lines", [])),
        pending=state.get("pending"),
        last_order=state.get("last_order"),
    )


def note(state: dict[str, Any]) -> str:
    """What a hosted model should know that the trimmed history may not show."""
    lines: list[str] = []
    if shown := state.get("shown"):
        lines.append(
            "Products last shown to the shopper (position. title [product_id]: variants as SKU=options):"
        )
        for product in shown[:NOTE_PRODUCTS]:
            variants = ", ".join(
                f"{v['sku']}="
                + "/".join(f"{k}:{val}" for k, val in v.get("options", {}).items())
                + ("" if v.get("in_stock", True) else " (out of stock)")
                for v in product.get("variants", [])[:NOTE_VARIANTS]
            )
            lines.append(f"{product['position']}. {product['title']} [{product['product_id']}]: {variants}")
    if cart := state.get("cart_lines"):
        lines.append("Cart: " + "; ".join(f"{c['quantity']} x {c['title']} ({c['sku']})" for c in cart))
    if pending := state.get("pending"):
        lines.append(
            f"Waiting for the shopper to confirm: {pending['name']} {json.dumps(pending.get('args', {}))}"
        )
    return "\n".join(lines)
