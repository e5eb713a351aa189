"""The offline chat model inside a langchain 1.x agent: tool calls out, phrased replies back."""

from __future__ import annotations

import json
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from elara_bot.agent.offline import OfflineMemory, ShownProduct
from elara_bot.agent.offline_model import OfflineChatModel

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
    return create_agent(OfflineChatModel(), tools=[search_products, add_to_cart, view_cart])


async def test_search_runs_tool_and_phrases_the_result() -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("mugs under 20")]})
    messages = result["messages"]
    call = messages[1]
    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "search_products"
    assert call.tool_calls[0]["args"] == {"query": "mugs", "filters": {"max_price_minor": 2000}}
    assert isinstance(messages[2], ToolMessage)
    assert "Blue mugs (12.50 EUR)" in messages[-1].text


async def test_add_by_ordinal_reads_memory_from_config() -> None:
    CART.clear()
    memory = OfflineMemory(
        shown=[ShownProduct(1, "p1", "Blue Mug", [{"sku": "MUG-B", "options": {}, "in_stock": True}])]
    )
    config: Any = {"configurable": {"offline_memory": memory}}
    result = await _agent().ainvoke({"messages": [HumanMessage("add 2 of the first one")]}, config=config)
    assert CART == [{"sku": "MUG-B", "quantity": 2}]
    assert result["messages"][-1].text == "Your cart has 2 item(s), total 25.00 EUR."


async def test_tool_error_is_phrased_not_raised() -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("show my cart")]})
    assert result["messages"][-1].text == "Your cart is empty."


async def test_unbound_tool_is_never_called() -> None:
    result = await _agent().ainvoke({"messages": [HumanMessage("where is my order ELR-1001")]})
    messages = result["messages"]
    assert len(messages) == 2
    assert not messages[1].tool_calls


async def test_confirmation_question_carries_pending_action() -> None:
    model = OfflineChatModel()
    answer = await model.ainvoke([HumanMessage("cancel order ELR-1007")])
    assert answer.tool_calls == []
    assert answer.response_metadata["elara_pending"] == {
        "name": "cancel_order",
        "args": {"order_number": "ELR-1007"},
    }


async def test_greeting_is_answered_without_tools() -> None:
    answer = await OfflineChatModel().ainvoke([HumanMessage("hello")])
    assert answer.tool_calls == []
    assert "help you find products" in answer.text
