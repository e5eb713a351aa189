"""The offline chat model inside a langchain 1.x agent: tool calls out, phrased replies back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.agent.state import ConversationState, ShownProduct, ShownVariant
from elara_bot.agent.tools import ShopperContext
from retrieval.embedding import Embedder
from tests.conftest import make_settings

CART: list[dict[str, Any]] = []


@tool
def search_products(query: str, filters: dict[str, Any] | None = None) -> str:
    """Search the catalog."""
    product = {"position": 1, "title": f"Blue {query}", "price_min_minor": 1250, "currency": "EUR"}
    return json.dumps({"products": [product]})


@tool
def add_to_cart(sku: str, quantity: int) -> str:
    """Add a variant to the cart."""
    CART.append({"sku": sku, "quantity": quantity})
    lines = [dict(line) for line in CART]
    return json.dumps({"cart": {"lines": lines, "total_minor": 1250 * quantity, "currency": "EUR"}})


@tool
def view_cart() -> str:
    """Show the cart."""
    return json.dumps({"error": "CartEmpty", "detail": "Your cart is empty."})


def _agent() -> Any:
    return create_agent(
        OfflineChatModel(), tools=[search_products, add_to_cart, view_cart], context_schema=ShopperContext
    )


@pytest.fixture
def ctx(embedder: Embedder, tmp_path: Path) -> ShopperContext:
    """A context with no database: these tools are stand-ins that never read it."""
    settings = make_settings("postgresql://unused/none", tmp_path)
    return ShopperContext(None, uuid4(), settings, embedder, None)  # type: ignore[arg-type]


async def test_search_runs_tool_and_phrases_the_result(ctx: ShopperContext) -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("mugs under 20")]}, context=ctx)
    messages = result["messages"]
    call = messages[1]
    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "search_products"
    assert call.tool_calls[0]["args"] == {"query": "mugs under 20"}  # the search reads the price words
    assert isinstance(messages[2], ToolMessage)
    assert "Blue mugs under 20 (12.50 EUR)" in messages[-1].text


async def test_add_by_ordinal_reads_the_state_from_the_context(ctx: ShopperContext) -> None:
    CART.clear()
    mug = ShownProduct(position=1, product_id="p1", title="Blue Mug", variants=[ShownVariant(sku="MUG-B")])
    ctx.state = ConversationState(shown=[mug])
    result = await _agent().ainvoke({"messages": [HumanMessage("add 2 of the first one")]}, context=ctx)
    assert CART == [{"sku": "MUG-B", "quantity": 2}]
    assert result["messages"][-1].text == "Your cart has 2 item(s), total 25.00 EUR."


async def test_tool_error_is_phrased_not_raised(ctx: ShopperContext) -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("show my cart")]}, context=ctx)
    assert result["messages"][-1].text == "Your cart is empty."


async def test_unbound_tool_is_never_called(ctx: ShopperContext) -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("where is my order EL-7KQ2ZP")]}, context=ctx)
    messages = result["messages"]
    assert len(messages) == 2
    assert not messages[1].tool_calls


async def test_a_confirmation_question_is_written_to_the_context(ctx: ShopperContext) -> None:
    answer = await OfflineChatModel().ainvoke([HumanMessage("cancel order EL-7KQ2ZP")], context=ctx)
    assert answer.tool_calls == []
    assert ctx.asked is not None
    assert (ctx.asked.tool, ctx.asked.slot, ctx.asked.args) == (
        "cancel_order",
        "confirmation",
        {"order_number": "EL-7KQ2ZP"},
    )


async def test_greeting_is_answered_without_tools(ctx: ShopperContext) -> None:
    answer = await OfflineChatModel().ainvoke([HumanMessage("hello")], context=ctx)
    assert answer.tool_calls == []
    assert "help you find products" in answer.text
