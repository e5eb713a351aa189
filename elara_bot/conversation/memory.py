"""A conversation's memory between turns, kept in `conversations.state` (jsonb), and reply building.

The state holds what older messages would otherwise have to carry: the products last shown (with their
positions, for "the second one"), the last search and filters (for "cheaper"), the cart's lines, a
confirmation waiting for a yes (one exact call, for one turn), the handoff flag. It survives trimming of
the message history. It is folded from the tools' outcomes (`ToolMessage.artifact`, a `ToolOutcome`), never
from the JSON the model reads.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from pydantic.main import IncEx

from elara_bot.agent.confirmation import Confirmation, Decision, decide, describe
from elara_bot.agent.offline import OfflineMemory, ShownProduct
from elara_bot.contracts import OutboundReply, ReplyPart, ToolOutcome

NOTE_PRODUCTS = 10
NOTE_VARIANTS = 12
# what the state keeps of a product card: what "the second one in size 10" needs
SHOWN: IncEx = dict.fromkeys(("position", "product_id", "title", "price_min_minor"), True) | {
    "variants": {"__all__": {"sku", "options", "in_stock"}}
}


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


def tool_outcome(message: BaseMessage) -> ToolOutcome | None:
    """A tool's outcome (its artifact); None for other messages. A tool that raised has none: it failed."""
    if not isinstance(message, ToolMessage):
        return None
    if isinstance(message.artifact, ToolOutcome) and message.status != "error":
        return message.artifact
    return ToolOutcome(error="ToolError")


def build_reply(conversation_id: UUID, produced: list[BaseMessage], answer: str | None) -> OutboundReply:
    parts: list[ReplyPart] = []
    for message in produced:
        if (outcome := tool_outcome(message)) is not None:
            parts.extend(outcome.parts)
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
        elif isinstance(message, ToolMessage) and (outcome := tool_outcome(message)) is not None:
            _remember_outcome(state, outcome, calls.get(message.tool_call_id), refused)
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


def _remember_outcome(
    state: dict[str, Any], outcome: ToolOutcome, call: ToolCall | None, refused: list[dict[str, Any]]
) -> None:
    if outcome.error == "ConfirmationRequired" and call is not None:
        refused.append({"name": call["name"], "args": call["args"]})
    if outcome.error is not None:
        return
    if outcome.order_number:
        state["last_order"] = outcome.order_number
    if outcome.shown is not None:
        state["shown"] = [card.model_dump(mode="json", include=SHOWN) for card in outcome.shown]
    if outcome.cart is not None:
        state["cart_lines"] = [
            line.model_dump(include={"sku", "title", "quantity"}) for line in outcome.cart.lines
        ]


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
