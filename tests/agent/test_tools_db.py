"""The shopper tools against the real services and database, driven by the offline model in an agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from elara_bot.agent.confirmation import Confirmation
from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.agent.state import ConversationState, ShownProduct
from elara_bot.agent.tools import SHOPPER_TOOLS, ShopperContext
from elara_bot.customers import service as customers
from elara_bot.db import Conn
from elara_bot.payments.dev import build_dev_provider
from tests.conftest import make_settings


async def _context(conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Any, who: str) -> ShopperContext:
    settings = make_settings(shared_db_url, tmp_path)
    shopper = await customers.customer_for_identity(conn, "web", who)
    return ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))


async def _turn(ctx: ShopperContext, text: str, state: ConversationState | None = None) -> list[Any]:
    agent = create_agent(OfflineChatModel(), tools=SHOPPER_TOOLS, context_schema=ShopperContext)
    ctx.state = state or ConversationState()
    result = await agent.ainvoke({"messages": [HumanMessage(text)]}, context=ctx)
    return list(result["messages"])


def _shown(messages: list[Any]) -> list[ShownProduct]:
    """The cards shown, each with its first variant only (as a search for that variant would show it)."""
    data = json.loads(messages[2].text)
    return [ShownProduct.model_validate({**p, "variants": p["variants"][:1]}) for p in data["products"]]


async def test_search_add_by_ordinal_checkout(
    conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Any
) -> None:
    ctx = await _context(conn, shared_db_url, tmp_path, embedder, "tools-1")
    found = await _turn(ctx, "water bottles")
    assert found[1].tool_calls[0]["name"] == "search_products"
    shown = _shown(found)
    assert shown, "the demo store has water bottles"  # and no mugs: a search for them matches nothing
    added = await _turn(ctx, "add 2 of the first one", ConversationState(shown=shown))
    cart = json.loads(added[2].text)["cart"]
    assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [
        (added[1].tool_calls[0]["args"]["sku"], 2)
    ]
    paid = await _turn(ctx, "checkout")
    order = json.loads(paid[2].text)
    assert order["total_minor"] == cart["total_minor"]
    assert order["order_number"] in paid[-1].text


async def test_cancel_needs_confirmation_and_errors_are_returned(
    conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Any
) -> None:
    ctx = await _context(conn, shared_db_url, tmp_path, embedder, "tools-2")
    pending = {"name": "cancel_order", "args": {"order_number": "ELR-99999"}}
    unconfirmed = await _turn(ctx, "yes", ConversationState(pending=pending))
    assert json.loads(unconfirmed[2].text)["error"] == "ConfirmationRequired"
    ctx.confirmed = Confirmation.of(pending)
    confirmed = await _turn(ctx, "yes", ConversationState(pending=pending))
    assert json.loads(confirmed[2].text)["error"] == "NotFound"
    assert "ELR-99999" in confirmed[-1].text
