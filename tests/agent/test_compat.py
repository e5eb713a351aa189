"""Issue 18: Elara against the OpenAI-compatible servers operators run, through `ChatOpenAI` over HTTP.

The live service talks to the scripted stand-in (tests/stubs/openai_stub.py), which can behave like
OpenAI, vLLM, Ollama, llama.cpp's llama-server or llama-cpp-python's server (`PROFILES`). Each test drives
a real chat turn and checks what the stand-in was sent and what the cart holds afterwards (REST).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from elara_bot.agent.shopper import clean_text
from elara_bot.config import LLMSettings
from elara_bot.conversation.service import APOLOGY
from tests.conversation.helpers import (
    in_stock_sku,
    metric_total,
)
from tests.stubs.openai_stub import PROFILES

FINAL = "Added 2 headphones to your cart."


def _script(sku: str) -> list[dict[str, Any]]:
    return [
        {"tool_calls": [("search_products", {"query": "headphones"})]},
        {"tool_calls": [("add_to_cart", {"sku": sku, "quantity": 2})]},
        {"content": FINAL},
    ]


def _done_text(events: list[tuple[str, Any]]) -> str:
    assert events[-1][0] == "done", events[-1]
    return str(events[-1][1]["text"])


# --- 1. tool_choice ---------------------------------------------------------------------------------
def test_tool_choice_auto_is_sent_whenever_tools_are_bound(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    """llama-cpp-python's server leaves the tools out of the prompt unless `tool_choice` is sent."""
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(_script(sku))
    with openai_shopper(fallback_to_offline=False) as shopper:
        assert shopper.say("two of the first headphones please")["text"] == FINAL
        assert len(llm.requests) == 3
        assert all(request["tools"] for request in llm.requests)
        assert [request.get("tool_choice") for request in llm.requests] == ["auto"] * 3
        assert shopper.cart() == {sku: 2}


# --- 2. content "" on the assistant message carrying tool calls ------------------------------------
def test_tool_call_message_is_sent_with_empty_string_content(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    """llama-cpp-python's server answers 500 to `"content": null` (the profile does the same)."""
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(_script(sku), profile="llama-cpp-python")
    with openai_shopper(fallback_to_offline=False) as shopper:
        reply = shopper.say("two of the first headphones please")
        assert reply["text"] == FINAL
        assert shopper.cart() == {sku: 2}
        assistant = [m for m in llm.requests[2]["messages"] if m["role"] == "assistant"]
        assert [m["content"] for m in assistant] == ["", ""]
        assert all(m["tool_calls"] for m in assistant)


# --- 3. cut-off streamed arguments ------------------------------------------------------------------
@pytest.mark.parametrize("stream", [True, False], ids=["sse", "json"])
def test_cut_off_tool_arguments_never_run(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str, stream: bool
) -> None:
    """LangChain repairs `{"quantity": 3, "sku": "<sku>` while streaming; the complete bytes are checked."""
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset([{"tool_calls": [("add_to_cart", '{"quantity": 3, "sku": "' + sku)]}])
    with openai_shopper(fallback_to_offline=False) as shopper:
        errors = metric_total(shopper.client, "elara_llm_errors_total")
        if stream:
            events = shopper.stream("three headphones please")
            assert _done_text(events) == APOLOGY
            assert not [data for name, data in events if name == "tool" and data["status"] == "done"]
        else:
            assert shopper.say("three headphones please")["text"] == APOLOGY
        assert len(llm.requests) == 1
        assert shopper.cart() == {}
        assert shopper.tool_call_names() == []
        assert metric_total(shopper.client, "elara_llm_errors_total") > errors


# --- 4. an empty answer is not "Done." --------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "  \n", "functions.checkout: {}"])
def test_empty_answer_is_a_model_failure(openai_shopper: Callable[..., Any], llm: Any, text: str) -> None:
    llm.reset([{"content": text}])
    with openai_shopper(fallback_to_offline=False) as shopper:
        errors = metric_total(shopper.client, "elara_llm_errors_total")
        reply = shopper.say("hello")
        assert reply["text"] == APOLOGY
        assert "Done" not in reply["text"]
        assert metric_total(shopper.client, "elara_llm_errors_total") > errors


def test_empty_answer_falls_back_to_the_offline_model(openai_shopper: Callable[..., Any], llm: Any) -> None:
    llm.reset([{"content": ""}])
    with openai_shopper(fallback_to_offline=True) as shopper:
        reply = shopper.say("show me headphones")
        assert reply["text"] not in ("", "Done.", APOLOGY)
        assert any(p["type"] == "product_cards" for p in reply["parts"])


# --- 5. settings ------------------------------------------------------------------------------------
def test_max_tokens_reaches_the_server(openai_shopper: Callable[..., Any], llm: Any) -> None:
    llm.reset([{"content": "Hi."}])
    with openai_shopper(max_tokens=64) as shopper:
        assert shopper.say("hello")["text"] == "Hi."
    # by the name every OpenAI-compatible server reads (ChatOpenAI alone would send max_completion_tokens)
    assert llm.requests[0]["max_tokens"] == 64
    assert "max_completion_tokens" not in llm.requests[0]


def test_default_timeout_suits_cpu_served_models() -> None:
    assert LLMSettings().timeout_s >= 120
    assert LLMSettings().max_tokens is None


# --- 6. leaked tool-call syntax and HTML entities ---------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("I&#39;m here &amp; ready.", "I'm here & ready."),
        ('Sure. functions.checkout: {"confirm": true}', "Sure."),
        ("functions.view_cart:\nYour cart is empty.", "Your cart is empty."),
        ('One moment. <tool_call>{"name": "view_cart", "arguments": {}}</tool_call>', "One moment."),
        ('Checking. [TOOL_CALLS][{"name": "view_cart", "arguments": {}}]', "Checking."),
        ("See functions.py or the docs.functions.x page", "See functions.py or the docs.functions.x page"),
        ("Tom & Jerry <3", "Tom & Jerry <3"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_entities_and_leaked_calls_never_reach_the_shopper(
    openai_shopper: Callable[..., Any], llm: Any, stream: bool
) -> None:
    llm.reset([{"content": "I'm sure. functions.checkout: {}"}], profile="llama-cpp-python")
    with openai_shopper(fallback_to_offline=False) as shopper:
        text = _done_text(shopper.stream("hi")) if stream else shopper.say("hi")["text"]
        assert text == "I'm sure."
        assert shopper.messages()[-1]["text"] == "I'm sure."


# --- 7. servers that cannot stream tool calls -------------------------------------------------------
def test_empty_streamed_tool_step_is_retried_unstreamed(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(_script(sku), profile="llama-cpp-python")
    with openai_shopper(fallback_to_offline=False) as shopper:
        events = shopper.stream("two of the first headphones please")
        assert _done_text(events).strip() == FINAL
        assert shopper.cart() == {sku: 2}
        streamed = [bool(request.get("stream")) for request in llm.requests]
        # the first tool step streamed, answered empty, asked again unstreamed; unstreamed from then on
        assert streamed == [True, False, False, False]
        llm.reset([{"tool_calls": [("view_cart", {})]}, {"content": "Two headphones."}], "llama-cpp-python")
        assert _done_text(shopper.stream("what is in my cart?")).strip() == "Two headphones."
        assert [bool(request.get("stream")) for request in llm.requests] == [False, False]


# --- 9. the same conversation against every server --------------------------------------------------
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("profile", list(PROFILES))
def test_scripted_conversation_on_every_server(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str, profile: str, stream: bool
) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    script = [
        {"tool_calls": [("search_products", {"query": "headphones"})]},
        {"content": "Here are some headphones."},
        {"tool_calls": [("add_to_cart", {"sku": sku, "quantity": 2})]},
        {"content": "Added them."},
        {"tool_calls": [("view_cart", {})]},
        {"content": "You have 2 headphones in your cart."},
    ]
    llm.reset(script, profile=profile)
    with openai_shopper(fallback_to_offline=False) as shopper:

        def say(text: str) -> str:
            return _done_text(shopper.stream(text)) if stream else str(shopper.say(text)["text"])

        assert say("show me headphones").strip() == "Here are some headphones."
        assert say("add two of the first").strip() == "Added them."
        assert say("what is in my cart?").strip() == "You have 2 headphones in your cart."
        assert shopper.tool_call_names() == ["search_products", "add_to_cart", "view_cart"]
        assert shopper.cart() == {sku: 2}


# --- parallel tool calls that write -----------------------------------------------------------------
def test_parallel_adds_of_one_sku_all_count(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    """Three `add_to_cart` calls in one step ran concurrently on the turn's connection: quantity 1, not 3."""
    sku = in_stock_sku(db_url, "Headphones")
    add = ("add_to_cart", {"sku": sku, "quantity": 1})
    llm.reset([{"tool_calls": [add, add, add]}, {"content": "Added three."}])
    with openai_shopper(fallback_to_offline=False) as shopper:
        assert shopper.say("three headphones, one at a time")["text"] == "Added three."
        results = [json.loads(m["content"]) for m in llm.requests[1]["messages"] if m["role"] == "tool"]
        assert len(results) == 3
        assert sorted(line["quantity"] for r in results for line in r["cart"]["lines"]) == [1, 2, 3]
        assert shopper.cart() == {sku: 3}
