"""The OpenAI-compatible path: ChatOpenAI over HTTP against the scripted stand-in, streaming and not."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

CART: list[dict[str, Any]] = []


@tool
def search_products(query: str) -> str:
    """Search the catalog."""
    return json.dumps({"products": [{"position": 1, "title": f"Blue {query}"}]})


@tool
def add_to_cart(sku: str, quantity: int) -> str:
    """Add a variant to the cart."""
    CART.append({"sku": sku, "quantity": quantity})
    return json.dumps({"cart": {"lines": CART}})


def _model(stubs: Any, *, streaming: bool, timeout: float = 10) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-test",
        base_url=f"{stubs.base_url}/openai/v1",
        api_key="test",  # type: ignore[arg-type]
        timeout=timeout,
        max_retries=0,
        streaming=streaming,
        use_responses_api=False,
    )


@pytest.fixture
def llm(stubs: Any) -> Any:
    stub = stubs.parts["openai"]
    stub.reset()
    CART.clear()
    return stub


SCRIPT = [
    {"tool_calls": [("search_products", {"query": "mug"})]},
    {"tool_calls": [("add_to_cart", {"sku": "MUG-1", "quantity": 2})]},
    {"content": "Added two mugs to your cart."},
]


@pytest.mark.parametrize("streaming", [False, True])
async def test_agent_runs_scripted_tool_calls(stubs: Any, llm: Any, streaming: bool) -> None:
    llm.reset(SCRIPT)
    agent = create_agent(_model(stubs, streaming=streaming), tools=[search_products, add_to_cart])
    result = await agent.ainvoke({"messages": [HumanMessage("two mugs please")]})
    calls = [c["name"] for m in result["messages"] for c in getattr(m, "tool_calls", [])]
    assert calls == ["search_products", "add_to_cart"]
    assert CART == [{"sku": "MUG-1", "quantity": 2}]
    assert result["messages"][-1].text.strip() == "Added two mugs to your cart."
    assert len(llm.requests) == 3
    assert {t["function"]["name"] for t in llm.requests[0]["tools"]} == {"search_products", "add_to_cart"}
    assert llm.requests[0].get("stream", False) is streaming
    assert llm.requests[2]["messages"][-1]["role"] == "tool"


async def test_server_error_raises_without_tool_effects(stubs: Any, llm: Any) -> None:
    llm.reset([{"fail": 500}])
    agent = create_agent(_model(stubs, streaming=False), tools=[search_products, add_to_cart])
    with pytest.raises(openai.InternalServerError):
        await agent.ainvoke({"messages": [HumanMessage("hi")]})
    assert CART == []


async def test_timeout_raises(stubs: Any, llm: Any) -> None:
    llm.reset([{"fail": "timeout", "sleep": 1.5}])
    agent = create_agent(_model(stubs, streaming=False, timeout=0.3), tools=[search_products])
    with pytest.raises((openai.APITimeoutError, httpx.TimeoutException)):
        await agent.ainvoke({"messages": [HumanMessage("hi")]})


async def test_malformed_tool_arguments_are_not_executed(stubs: Any, llm: Any) -> None:
    llm.reset([{"tool_calls": [("add_to_cart", '{"sku": "MUG-1", "quantity": ')]}, {"content": "sorry"}])
    agent = create_agent(_model(stubs, streaming=False), tools=[add_to_cart])
    result = await agent.ainvoke({"messages": [HumanMessage("add a mug")]})
    assert CART == []
    assert result["messages"][1].invalid_tool_calls


async def test_unknown_tool_is_reported_back_to_model(stubs: Any, llm: Any) -> None:
    llm.reset([{"tool_calls": [("set_price", {"sku": "MUG-1", "price_minor": 1})]}, {"content": "I can't."}])
    agent = create_agent(_model(stubs, streaming=False), tools=[add_to_cart])
    result = await agent.ainvoke({"messages": [HumanMessage("make it free")]})
    assert CART == []
    tool_reply = result["messages"][2]
    assert tool_reply.type == "tool"
    assert "set_price" in tool_reply.text
    assert result["messages"][-1].text == "I can't."
