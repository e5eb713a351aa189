"""ConversationService with the offline model on the real DB: memory, confirmation, handoff."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from elara_bot.agent.tools import ShopperContext
from elara_bot.conversation.messages import InboundMessage
from elara_bot.conversation.service import ConversationService
from elara_bot.customers import service as customers
from elara_bot.db import Conn
from elara_bot.payments.dev import build_dev_provider
from tests.conftest import make_settings


async def _ctx(conn: Conn, url: str, tmp_path: Path, embedder: Any, who: str) -> ShopperContext:
    settings = make_settings(url, tmp_path)
    shopper = await customers.customer_for_identity(conn, "web", who)
    return ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))


async def test_search_add_by_ordinal_change_quantity_checkout(
    conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Any
) -> None:
    service = ConversationService()

    async def say(text: str) -> Any:
        ctx = await _ctx(conn, shared_db_url, tmp_path, embedder, "conv-1")
        return await service.handle(ctx, "web", "conv-1", InboundMessage(message=text))

    found = await say("mugs")
    cards = found.parts[0].cards
    assert cards[0].position == 1
    added = await say("add the first one")
    cart = added.parts[0].cart
    assert cart.lines[0].quantity == 1
    first_skus = {v.sku for v in cards[0].variants}
    assert cart.lines[0].sku in first_skus
    changed = await say("make it 2")
    assert changed.parts[0].cart.lines[0].quantity == 2
    paid = await say("checkout")
    link = paid.parts[0]
    assert link.type == "checkout_link"
    assert link.total_minor == changed.parts[0].cart.total_minor
    status = await say(f"where is my order {link.order_number}")
    assert status.parts, (link.order_number, status.text)
    assert status.parts[0].order.number == link.order_number


async def test_cancel_only_after_yes_and_handoff_stops_agent(
    conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Any
) -> None:
    seen: list[tuple[UUID, str]] = []

    async def hook(conversation_id: UUID, reason: str) -> None:
        seen.append((conversation_id, reason))

    service = ConversationService(on_handoff=[hook])

    async def say(text: str) -> Any:
        ctx = await _ctx(conn, shared_db_url, tmp_path, embedder, "conv-2")
        return await service.handle(ctx, "web", "conv-2", InboundMessage(message=text))

    await say("mugs")
    await say("add the first one")
    number = (await say("checkout")).parts[0].order_number
    asked = await say(f"cancel order {number}")
    assert asked.parts == []
    assert "yes or no" in asked.text
    kept = await say("no")
    assert "left it" in kept.text
    await say(f"cancel order {number}")
    cancelled = await say("yes")
    assert cancelled.parts[0].order.status == "cancelled"
    handoff = await say("I want to talk to a human")
    assert handoff.parts[0].type == "handoff"
    assert seen == [(handoff.conversation_id, "i want to talk to a human")]
    silent = await say("hello?")
    assert silent.parts == []
    assert "team" in silent.text
