"""A conversation's memory between turns, kept in `conversations.state` (jsonb), and reply building.

The state (`agent.state.ConversationState`, typed) holds what older messages would otherwise have to carry:
the products last shown (with their positions, for "the second one"), the last search and filters (for
"cheaper"), the cart's lines, a confirmation waiting for a yes (one exact call, for one turn), any other
question the last reply asked, the handoff flag. It survives trimming of the message history. It is folded
from the tools' outcomes (`ToolMessage.artifact`, a `ToolOutcome`), never from the JSON the model reads.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage

from elara_bot.agent.confirmation import Confirmation, Decision, decide, describe
from elara_bot.agent.state import CartLineRef, ConversationState, OrderRef, Question
from elara_bot.cart import service as carts
from elara_bot.contracts import OutboundReply, ReplyPart, ToolOutcome
from elara_bot.db import Conn
from elara_bot.orders import service as orders

NOTE_PRODUCTS = 10
NOTE_VARIANTS = 12
IRREVERSIBLE = frozenset({"cancel_order", "request_return"})  # the calls a yes is asked for
RECENT_ORDERS = 5


async def refresh(conn: Conn, customer_id: UUID, state: ConversationState) -> None:
    """The cart's lines and the recent orders as they are now: the shopper may have changed them outside
    this chat (the cart page, another channel, a payment)."""
    cart = await carts.view_cart(conn, customer_id)
    state.cart_lines = [CartLineRef.model_validate(line.model_dump()) for line in cart.lines]
    recent = await orders.recent_summaries(conn, customer_id, RECENT_ORDERS)
    state.orders = [OrderRef.model_validate(row) for row in recent]


def confirmation(state: ConversationState, text: str) -> Confirmation | None:
    """The shopper's clear yes to the question the last reply asked: a grant for exactly that call."""
    pending = state.pending
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
    state: ConversationState,
    produced: list[BaseMessage],
    *,
    handoff: bool,
    confirmed: Confirmation | None = None,
    asked: Question | None = None,
) -> None:
    """Fold a turn's messages into the state. A question lives one turn. A question waiting for a yes
    names one exact call: the offline model's question (``asked``), or the one call a hosted model was
    refused for want of a confirmation. None when it was refused several different calls (which one would
    a yes mean?), nor right after a confirmed call ran (more irreversible calls straight after one: the
    shopper asks anew)."""
    calls = {
        call["id"]: call for m in produced if isinstance(m, AIMessage) for call in m.tool_calls if call["id"]
    }
    state.pending, state.asked = None, None
    refused: list[dict[str, Any]] = []
    if asked is not None and asked.slot == "confirmation" and asked.tool in IRREVERSIBLE:
        refused.append({"name": asked.tool, "args": asked.args})
    elif asked is not None:
        state.asked = asked
    for message in produced:
        if isinstance(message, AIMessage):
            _remember_call_args(state, message)
        elif isinstance(message, ToolMessage) and (outcome := tool_outcome(message)) is not None:
            _remember_outcome(state, outcome, calls.get(message.tool_call_id), refused)
    distinct = {json.dumps(p, sort_keys=True, default=str): p for p in refused}
    if len(distinct) == 1 and not (confirmed is not None and confirmed.used):
        state.pending = next(iter(distinct.values()))
    if handoff:
        state.handoff = "active"


def _remember_call_args(state: ConversationState, message: AIMessage) -> None:
    for call in message.tool_calls:
        args = call["args"]
        if call["name"] == "search_products":
            state.last_query = args.get("query")
            state.last_filters = {k: v for k, v in (args.get("filters") or {}).items() if k != "exclude"}
        if "sku" in args:
            state.last_sku = args["sku"]


def _remember_outcome(
    state: ConversationState, outcome: ToolOutcome, call: ToolCall | None, refused: list[dict[str, Any]]
) -> None:
    if outcome.error == "ConfirmationRequired" and call is not None:
        refused.append({"name": call["name"], "args": call["args"]})
    if outcome.error is None:
        state.absorb(outcome)


def note(state: ConversationState) -> str:
    """What a hosted model should know that the trimmed history may not show."""
    lines: list[str] = []
    if state.shown:
        lines.append(
            "Products last shown to the shopper (position. title [product_id]: variants as SKU=options):"
        )
        for product in state.shown[:NOTE_PRODUCTS]:
            variants = ", ".join(
                f"{v.sku}="
                + "/".join(f"{k}:{val}" for k, val in v.options.items())
                + ("" if v.in_stock else " (out of stock)")
                for v in product.variants[:NOTE_VARIANTS]
            )
            lines.append(f"{product.position}. {product.title} [{product.product_id}]: {variants}")
    if state.cart_lines:
        lines.append("Cart: " + "; ".join(f"{c.quantity} x {c.title} ({c.sku})" for c in state.cart_lines))
    if state.pending:
        pending = state.pending
        lines.append(
            f"Waiting for the shopper to confirm: {pending['name']} {json.dumps(pending.get('args', {}))}"
        )
    if state.asked and state.asked.text:
        lines.append(f"You asked the shopper: {state.asked.text}")
    return "\n".join(lines)
