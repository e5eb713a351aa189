"""The `openai` model path end to end: the live service's real `ChatOpenAI` against the scripted stand-in.

The stand-in (tests/stubs/openai_stub.py) answers each request with the next step of a script and records
every request body, so these tests assert what the service sent (tools, system prompt, history, streaming),
what it did with the answers (cart and orders in SQL), and that a failing model changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from elara_bot.agent.shopper import TOOL_NAMES
from elara_bot.conversation.memory import NOTE_VARIANTS
from elara_bot.conversation.service import APOLOGY
from elara_bot.prompts import load_prompt
from tests.conversation.helpers import (
    LiveService,
    Shopper,
    forget_cached_http_clients,
    in_stock_sku,
    kinds,
    llm_settings,
    metric_total,
    part,
    parts,
    sql,
)

FINAL = "Added 2 headphones to your cart."


def _script(sku: str) -> list[dict[str, Any]]:
    return [
        {"tool_calls": [("search_products", {"query": "headphones"})]},
        {"tool_calls": [("add_to_cart", {"sku": sku, "quantity": 2})]},
        {"content": FINAL},
    ]


def _assert_tool_sequence(requests: list[dict[str, Any]], sku: str) -> None:
    """The three requests the stand-in saw: the question, then each tool's result fed back in turn."""
    assert len(requests) == 3
    offered = {tool["function"]["name"] for tool in requests[0]["tools"]}
    assert offered == TOOL_NAMES
    last = requests[2]["messages"]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert last[1]["content"] == "two of the first headphones please"
    calls = [
        (call["function"]["name"], json.loads(call["function"]["arguments"]))
        for m in last
        if m["role"] == "assistant"
        for call in m["tool_calls"]
    ]
    assert calls == [
        ("search_products", {"query": "headphones"}),
        ("add_to_cart", {"sku": sku, "quantity": 2}),
    ]
    found = json.loads(last[3]["content"])
    assert sku in {v["sku"] for card in found["products"] for v in card["variants"]}  # a SKU from results
    cart = json.loads(last[5]["content"])["cart"]
    assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [(sku, 2)]


def test_json_turn_runs_the_scripted_tool_calls(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(_script(sku))
    with openai_shopper() as shopper:
        reply = shopper.say("two of the first headphones please")
        assert reply["text"] == FINAL
        assert kinds(reply) == ["product_cards", "cart", "quick_replies"]
        _assert_tool_sequence(llm.requests, sku)
        assert all(not request.get("stream") for request in llm.requests)
        assert shopper.cart() == {sku: 2}
        assert shopper.tool_call_names() == ["search_products", "add_to_cart"]
        assert not [m for m in shopper.messages() if m["role"] == "tool"]


def test_sse_turn_streams_the_model_tokens(openai_shopper: Callable[..., Any], llm: Any, db_url: str) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(_script(sku))
    with openai_shopper() as shopper:
        events = shopper.stream("two of the first headphones please")
        assert all(request.get("stream") is True for request in llm.requests)
        _assert_tool_sequence(llm.requests, sku)
        done = events[-1][1]
        deltas = [data["text"] for name, data in events if name == "delta"]
        assert len(deltas) > 1  # word by word, as the stand-in streamed it
        assert "".join(deltas) == done["text"]
        assert done["text"].strip() == FINAL
        tools = [(data["name"], data["status"]) for name, data in events if name == "tool"]
        assert tools == [
            ("search_products", "started"),
            ("search_products", "done"),
            ("add_to_cart", "started"),
            ("add_to_cart", "done"),
        ]
        assert [data["type"] for name, data in events if name == "part"] == ["product_cards", "cart"]
        assert shopper.cart() == {sku: 2}


def test_system_prompt_and_conversation_note(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    llm.reset(
        [
            {"tool_calls": [("search_products", {"query": "headphones"})]},
            {"content": "Here are some headphones."},
            {"content": "The second one is wired."},
        ]
    )
    prompt = load_prompt("shopper_assistant")
    with openai_shopper() as shopper:
        cards = part(shopper.say("show me headphones"), "product_cards")["cards"]
        first = llm.requests[0]["messages"][0]
        assert first["role"] == "system"
        assert first["content"].startswith(prompt)
        assert "# This conversation" not in first["content"]  # nothing to remember yet

        shopper.say("is the second one wired?")
        second = llm.requests[2]["messages"]
        system = second[0]["content"]
        assert system.startswith(prompt)
        note = system.split("# This conversation", 1)[1]
        for card in cards:
            assert f"{card['position']}. {card['title']} [{card['product_id']}]" in note
            for variant in card["variants"][:NOTE_VARIANTS]:
                assert f"{variant['sku']}=" in note
        assert [(m["role"], m.get("content")) for m in second[1:]] == [
            ("user", "show me headphones"),
            ("assistant", "Here are some headphones."),
            ("user", "is the second one wired?"),
        ]


# --- failures ---------------------------------------------------------------------------------------
FAILURES: dict[str, Callable[[str], list[dict[str, Any]]]] = {
    # max_retries=1: the client tries twice before it gives up
    "server_error": lambda sku: [{"fail": 500}, {"fail": 500}],
    "timeout": lambda sku: [{"fail": "timeout", "sleep": 4}, {"fail": "timeout", "sleep": 4}],
    "malformed_tool_call": lambda sku: [
        {"tool_calls": [("add_to_cart", '{"sku": "' + sku + '", "quantity": ')]}
    ],
    "unknown_tool": lambda sku: [{"tool_calls": [("delete_all_orders", {"confirm": True})]}],
    "fails_after_adding": lambda sku: [
        {"tool_calls": [("add_to_cart", {"sku": sku, "quantity": 3})]},
        {"fail": 500},
        {"fail": 500},
    ],
}
# how many requests the stand-in sees before the service gives up on the model
REQUESTS = {
    "server_error": 2,
    "timeout": 2,
    "malformed_tool_call": 1,
    "unknown_tool": 1,
    "fails_after_adding": 3,
}


@pytest.mark.parametrize("fallback", [False, True], ids=["apology", "offline_fallback"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_model_failure_changes_nothing(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str, failure: str, fallback: bool
) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    kept = in_stock_sku(db_url, "Water Bottle")
    with openai_shopper(fallback_to_offline=fallback) as shopper:
        # some history first, through buttons (they never ask the model): an order and a cart line
        shopper.say("Add", f"add:{kept}:1")
        number = part(shopper.say("Check out", "checkout"), "checkout_link")["order_number"]
        shopper.say("Add", f"add:{kept}:2")
        assert llm.requests == []
        cart, orders = shopper.cart(), shopper.orders()
        assert cart == {kept: 2}
        assert [o["number"] for o in orders] == [number]
        errors = metric_total(shopper.client, "elara_llm_errors_total")

        llm.reset(FAILURES[failure](sku))
        started = time.monotonic()
        reply = shopper.say("show me headphones")
        elapsed = time.monotonic() - started

        assert len(llm.requests) == REQUESTS[failure], "the hosted model was asked first"
        if failure == "timeout":
            assert elapsed >= 2 * 2, "both attempts waited for the 2 s timeout"
        if failure == "fails_after_adding":
            added = json.loads(llm.requests[1]["messages"][-1]["content"])  # the add ran inside the turn
            assert (sku, 3) in [(line["sku"], line["quantity"]) for line in added["cart"]["lines"]]
        assert shopper.cart() == cart  # nothing the failed turn did survives
        assert shopper.orders() == orders
        messages = shopper.messages()
        assert not [m for m in messages if m["role"] == "tool"]
        assert (messages[-2]["role"], messages[-2]["text"]) == ("user", "show me headphones")
        calls = [call["name"] for call in messages[-1]["tool_calls"]]
        if fallback:
            assert kinds(reply)[0] == "product_cards"  # the offline model answered the same message
            assert "headphones" in part(reply, "product_cards")["cards"][0]["title"].lower()
            assert calls == ["search_products"]
        else:
            assert reply["text"] == APOLOGY
            assert parts(reply, "product_cards") == []
            assert (messages[-1]["role"], messages[-1]["text"], calls) == ("assistant", APOLOGY, [])
        counted = metric_total(shopper.client, "elara_llm_errors_total")
        # the shopper can carry on
        llm.reset([{"content": "Still here."}])
        assert shopper.say("hello?")["text"] == "Still here."
        assert counted > errors, f"{failure} was not counted in elara_llm_errors_total"


def test_rolled_back_turn_leaves_no_trace_in_sql(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    """The add that ran before the model failed is gone from cart_lines, not only from the reply."""
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(FAILURES["fails_after_adding"](sku))
    with openai_shopper(fallback_to_offline=False) as shopper:
        assert shopper.say("three headphones please")["text"] == APOLOGY
        assert len(llm.requests) == 3
        assert llm.requests[1]["messages"][-1]["role"] == "tool"  # the add did run, inside the turn
        assert json.loads(llm.requests[1]["messages"][-1]["content"])["cart"]["lines"][0]["quantity"] == 3
        assert shopper.cart() == {}
        lines = sql(
            db_url,
            "SELECT l.sku FROM cart_lines l JOIN carts c ON c.id = l.cart_id WHERE c.customer_id = %s",
            (shopper.customer_id,),
        )
        assert lines == []
        assert "last_sku" not in shopper.state()
        assert "cart_lines" not in shopper.state()


def test_second_service_in_one_process_reaches_the_model(
    live_service: LiveService, stubs: Any, llm: Any, db_url: str
) -> None:
    """Two app lifetimes in one process (tests, `asyncio.run` twice): the second still talks to the model.

    Fails while `build_chat_model` lets langchain-openai share its process-wide cached httpx client: that
    client's pooled connections belong to the first service's (closed) event loop.
    """
    forget_cached_http_clients()
    for attempt in range(2):
        llm.reset([{"content": f"Hello {attempt}."}])
        with (
            live_service(llm=llm_settings(stubs, fallback_to_offline=False)) as base_url,
            httpx.Client(base_url=base_url, timeout=60) as client,
        ):
            shopper = Shopper.open(client, db_url)
            assert shopper.say("hello")["text"] == f"Hello {attempt}.", attempt


def test_a_relaxed_search_reaches_the_hosted_model_and_its_offer_shows_the_alternatives(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    """Issue 13: the model is told what emptied the search and what is nearest, and the shopper's yes
    shows exactly those products (no other product is presented as a match)."""
    llm.reset(
        [
            {"tool_calls": [("search_products", {"query": "yoga mat under $50"})]},
            {"content": "No yoga mats under $50; the cheapest is $92.53. Want to see it?"},
        ]
    )
    with openai_shopper() as shopper:
        first = shopper.say("a yoga mat under $50")
        assert "product_cards" not in kinds(first)
        found = json.loads(llm.requests[1]["messages"][-1]["content"])
        assert found["products"] == []
        assert "yoga mat" in found["nothing_matched"].lower()
        assert found["relaxed"]
        ids = [a["product_id"] for a in found["alternatives"]]
        assert ids
        llm.reset(
            [
                {"tool_calls": [("show_products", {"product_ids": ids})]},
                {"content": "Here it is."},
            ]
        )
        second = shopper.say("yes please")
        cards = part(second, "product_cards")["cards"]
        assert [card["product_id"] for card in cards] == ids
        assert shopper.cart() == {}


def test_a_clarification_question_changes_nothing_and_the_answer_adds_that_variant(
    openai_shopper: Callable[..., Any], llm: Any, db_url: str
) -> None:
    sku = in_stock_sku(db_url, "Headphones")
    llm.reset(
        [
            {"tool_calls": [("search_products", {"query": "headphones"})]},
            {"content": "Which colour would you like?"},
        ]
    )
    with openai_shopper() as shopper:
        asked = shopper.say("add headphones to my cart")
        assert asked["text"] == "Which colour would you like?"
        assert shopper.cart() == {}
        llm.reset([{"tool_calls": [("add_to_cart", {"sku": sku, "quantity": 1})]}, {"content": "Added."}])
        shopper.say("the first colour you have")
        assert shopper.cart() == {sku: 1}
        system = llm.requests[0]["messages"][0]["content"]
        assert "never add one" in system  # the prompt tells the model to ask when a variant is unclear
