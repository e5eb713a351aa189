"""One conversation turn: load memory, run the agent in the caller's transaction, build parts, save memory.

Memory is the `conversations.state` jsonb (products last shown with positions, the pending confirmation, the
handoff flag) plus `conversation_messages`; the model sees the last `HISTORY_TURNS` messages.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from psycopg.types.json import Jsonb

from elara_bot.agent.offline import OfflineMemory, ShownProduct
from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.agent.tools import SHOPPER_TOOLS, ShopperContext
from elara_bot.conversation.messages import (
    CartPart,
    CheckoutLinkPart,
    HandoffPart,
    InboundMessage,
    OrderPart,
    OutboundReply,
    ProductCardsPart,
    ReplyPart,
)
from elara_bot.db import Conn

HISTORY_TURNS = 12
HandoffHook = Callable[[UUID, str], Awaitable[None]]


@dataclass
class ConversationService:
    """Runs shopper turns; `on_handoff` hooks are awaited with (conversation_id, reason)."""

    model: BaseChatModel = field(default_factory=OfflineChatModel)
    on_handoff: list[HandoffHook] = field(default_factory=list)

    async def handle(
        self, ctx: ShopperContext, channel: str, key: str, inbound: InboundMessage
    ) -> OutboundReply:
        conversation_id, state = await _load(ctx.conn, channel, key, ctx.customer_id)
        if state.get("handoff") == "active":
            await _save_message(ctx.conn, conversation_id, "user", inbound.message, [])
            return OutboundReply(
                text="A member of our team will answer you here.", conversation_id=conversation_id
            )
        memory = _memory(state)
        if memory.pending is not None and _is_yes(inbound.message):
            ctx.confirmed.add(str(memory.pending["name"]))
        history = await _history(ctx.conn, conversation_id)
        agent = create_agent(self.model, tools=SHOPPER_TOOLS, context_schema=ShopperContext)
        config: Any = {"configurable": {"offline_memory": memory}}
        agent_input: Any = {"messages": [*history, HumanMessage(inbound.message)]}
        result = await agent.ainvoke(agent_input, config=config, context=ctx)
        produced = list(result["messages"])[len(history) + 1 :]
        reply = _reply(conversation_id, produced)
        await self._after(ctx, conversation_id, state, produced)
        await _save_message(ctx.conn, conversation_id, "user", inbound.message, [])
        await _save_message(ctx.conn, conversation_id, "assistant", reply.text, reply.parts)
        return reply

    async def _after(
        self, ctx: ShopperContext, conversation_id: UUID, state: dict[str, Any], produced: list[BaseMessage]
    ) -> None:
        final = produced[-1] if produced else AIMessage(content="")
        state["pending"] = (
            final.response_metadata.get("elara_pending") if isinstance(final, AIMessage) else None
        )
        for message in produced:
            if isinstance(message, ToolMessage) and message.name in {"search_products", "recommend"}:
                state["shown"] = json.loads(message.text).get("products", state.get("shown", []))
            if isinstance(message, ToolMessage) and "cart" in (data := json.loads(message.text)):
                state["cart_lines"] = [
                    {"sku": line["sku"], "title": line.get("title", ""), "quantity": line["quantity"]}
                    for line in data["cart"]["lines"]
                ]
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    if "sku" in call["args"]:
                        state["last_sku"] = call["args"]["sku"]
        if ctx.handoff_reasons:
            state["handoff"] = "active"
        await ctx.conn.execute(
            "UPDATE conversations SET state = %s, updated_at = now() WHERE id = %s",
            (Jsonb(state), conversation_id),
        )
        for reason in ctx.handoff_reasons:
            for hook in self.on_handoff:
                await hook(conversation_id, reason)

    async def relay_from_human(self, conn: Conn, conversation_id: UUID, text: str) -> None:
        await _save_message(conn, conversation_id, "human_agent", text, [])

    async def close_handoff(self, conn: Conn, conversation_id: UUID) -> None:
        await conn.execute(
            "UPDATE conversations SET state = state - 'handoff', updated_at = now() WHERE id = %s",
            (conversation_id,),
        )


def _is_yes(text: str) -> bool:
    words = set(text.lower().replace(",", " ").replace("!", " ").split())
    return bool(words & {"yes", "yep", "yeah", "sure", "confirm", "ok", "okay"})


async def _load(conn: Conn, channel: str, key: str, customer_id: UUID) -> tuple[UUID, dict[str, Any]]:
    cur = await conn.execute(
        "INSERT INTO conversations (channel, conversation_key, customer_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (channel, conversation_key) DO UPDATE SET updated_at = now()"
        " RETURNING id, state",
        (channel, key, customer_id),
    )
    row = await cur.fetchone()
    assert row is not None
    return row["id"], dict(row["state"])


async def _history(conn: Conn, conversation_id: UUID) -> list[BaseMessage]:
    cur = await conn.execute(
        "SELECT role, text FROM (SELECT id, role, text FROM conversation_messages WHERE conversation_id = %s"
        " AND role IN ('user', 'assistant') ORDER BY id DESC LIMIT %s) t ORDER BY id",
        (conversation_id, HISTORY_TURNS),
    )
    rows = await cur.fetchall()
    return [HumanMessage(r["text"]) if r["role"] == "user" else AIMessage(content=r["text"]) for r in rows]


async def _save_message(
    conn: Conn, conversation_id: UUID, role: str, text: str, parts: list[ReplyPart]
) -> None:
    dumped = [part.model_dump(mode="json") for part in parts]
    await conn.execute(
        "INSERT INTO conversation_messages (conversation_id, role, text, parts) VALUES (%s, %s, %s, %s)",
        (conversation_id, role, text, Jsonb(dumped)),
    )


def _memory(state: dict[str, Any]) -> OfflineMemory:
    shown = [
        ShownProduct(int(p["position"]), str(p["product_id"]), str(p["title"]), list(p.get("variants", [])))
        for p in state.get("shown", [])
    ]
    return OfflineMemory(
        shown=shown,
        pending=state.get("pending"),
        cart_lines=list(state.get("cart_lines", [])),
        last_sku=state.get("last_sku"),
    )


def _reply(conversation_id: UUID, produced: list[BaseMessage]) -> OutboundReply:
    parts: list[ReplyPart] = []
    for message in produced:
        if isinstance(message, ToolMessage):
            parts.extend(_parts(message.name or "", message.text))
    text = produced[-1].text if produced else ""
    return OutboundReply(text=text, parts=parts, conversation_id=conversation_id)


def _parts(name: str, content: str) -> list[ReplyPart]:
    data = json.loads(content)
    if not isinstance(data, dict) or "error" in data:
        return []
    if name in {"search_products", "recommend"} and data.get("products"):
        return [ProductCardsPart.model_validate({"cards": data["products"]})]
    if "cart" in data:
        return [CartPart.model_validate({"cart": data["cart"]})]
    if name == "checkout":
        return [CheckoutLinkPart.model_validate(data)]
    if "order" in data:
        return [OrderPart.model_validate({"order": data["order"]})]
    if name == "handoff_to_human":
        return [HandoffPart(status="requested", detail=str(data.get("reason", "")))]
    return []
