"""ConversationService with the offline model on the real DB: memory, confirmation, actions, handoff."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest

from elara_bot.conversation.service import ConversationService
from elara_bot.errors import ElaraError
from tests.conversation.conftest import sayer


def _part(reply: object, kind: str) -> object:
    parts = [p for p in reply.parts if p.type == kind]  # type: ignore[attr-defined]
    assert parts, (kind, reply)
    return parts[0]


async def test_search_add_by_ordinal_change_quantity_checkout(
    conversation: Callable[..., ConversationService],
) -> None:
    say = sayer(conversation(), "conv-1")
    found = await say("headphones")
    cards = _part(found, "product_cards").cards  # type: ignore[attr-defined]
    assert cards[0].position == 1
    added = await say("add the first one")
    if not any(p.type == "cart" for p in added.parts):  # asked which variant: the first one offered
        added = await say("the first one")
    cart = _part(added, "cart").cart  # type: ignore[attr-defined]
    assert cart.lines[0].quantity == 1
    assert cart.lines[0].sku in {v.sku for v in cards[0].variants}
    changed = await say("make it 2")
    assert _part(changed, "cart").cart.lines[0].quantity == 2  # type: ignore[attr-defined]
    link = _part(await say("checkout"), "checkout_link")
    assert link.total_minor == _part(changed, "cart").cart.total_minor  # type: ignore[attr-defined]
    status = await say(f"where is my order {link.order_number}")  # type: ignore[attr-defined]
    assert _part(status, "order").order.number == link.order_number  # type: ignore[attr-defined]


async def test_cancel_only_after_yes_and_handoff_stops_agent(
    conversation: Callable[..., ConversationService], db_url: str
) -> None:
    seen: list[tuple[UUID, str]] = []

    async def hook(conversation_id: UUID, reason: str) -> None:
        seen.append((conversation_id, reason))

    say = sayer(conversation(on_handoff=[hook]), "conv-2")
    await say("headphones")
    if not any(p.type == "cart" for p in (await say("add the first one")).parts):
        await say("the first one")  # which variant: the first one offered
    number = _part(await say("checkout"), "checkout_link").order_number  # type: ignore[attr-defined]
    asked = await say(f"cancel order {number}")
    assert "yes or no" in asked.text
    assert [r.action for r in _part(asked, "quick_replies").replies] == ["confirm", "deny"]  # type: ignore[attr-defined]
    kept = await say("no")
    assert "left it" in kept.text
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT status FROM orders WHERE number = %s", (number,)).fetchone()
    assert row == ("pending_payment",)
    await say(f"cancel order {number}")
    cancelled = await say("yes")
    assert _part(cancelled, "order").order.status == "cancelled"  # type: ignore[attr-defined]
    handoff = await say("I want to talk to a human")
    assert _part(handoff, "handoff")
    assert seen == [(handoff.conversation_id, "I want to talk to a human")]
    silent = await say("hello?")
    assert "team" in silent.text


async def test_buttons_run_without_the_model(conversation: Callable[..., ConversationService]) -> None:
    say = sayer(conversation(), "conv-3")
    cards = _part(await say("kettles"), "product_cards").cards  # type: ignore[attr-defined]
    sku = next(v.sku for v in cards[1].variants if v.in_stock)
    added = await say("Add to cart", f"add:{sku}:2")
    line = _part(added, "cart").cart.lines[0]  # type: ignore[attr-defined]
    assert (line.sku, line.quantity) == (sku, 2)
    removed = await say("Remove", f"remove:{sku}")
    assert _part(removed, "cart").cart.lines == []  # type: ignore[attr-defined]


async def test_database_lost_mid_turn_is_a_503_not_a_500(
    conversation: Callable[..., ConversationService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarting under a turn (the connection is cut) is an outage the shopper may retry."""
    from elara_bot.conversation import store

    async def cut(*args: object, **kwargs: object) -> None:
        raise psycopg.OperationalError("terminating connection due to administrator command")

    say = sayer(conversation(), "conv-db-lost")
    monkeypatch.setattr(store, "recent_messages", cut)
    with pytest.raises(ElaraError) as lost:
        await say("headphones")
    assert lost.value.status_code == 503
    monkeypatch.undo()
    assert _part(await say("headphones"), "product_cards")  # the next turn works
