"""Confirmations: only a clear yes confirms, and it confirms one exact call, once.

The decision function and the grant are tested alone; the guarantees are then checked end to end through
`POST /api/v1/chat` on a live service, with order states read back through the REST orders API: with
the offline model, and with a scripted hosted model (tests/stubs/openai_stub.py) that behaves like a
hijacked LLM, calling cancel_order for orders the shopper never confirmed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from elara_bot.agent.confirmation import Confirmation, Decision, decide
from tests.conversation.helpers import (
    LiveService,
    Shopper,
    forget_cached_http_clients,
    in_stock_sku,
    llm_settings,
    part,
)

CLEAR_YES = ["yes", "yep", "yes please", "do it", "go ahead", "sure", "confirm", "ok", "Yes!", "OK, do it"]
NOT_YES = [
    "no",
    "not yes",
    "no! not yes, absolutely not",
    "actually no",
    "yes... wait, no",
    "don't",
    "I'm not sure",
    "yes but for the other order",
    "yes?",
    "sure, but cancel EL-OTHER1 instead",
    "show my cart",
]


class TestDecide:
    @pytest.mark.parametrize("text", CLEAR_YES)
    def test_a_clear_yes_confirms(self, text: str) -> None:
        assert decide(text) is Decision.YES

    @pytest.mark.parametrize("text", NOT_YES)
    def test_anything_else_does_not(self, text: str) -> None:
        assert decide(text) is not Decision.YES

    @pytest.mark.parametrize(
        "text", ["no! not yes, absolutely not", "yes... wait, no", "yes, don't", "ok... no", "nope, yes"]
    )
    def test_negation_anywhere_wins(self, text: str) -> None:
        assert decide(text) is Decision.NO

    def test_a_yes_may_name_the_order_asked_about_and_no_other(self) -> None:
        asked = {"order_number": "EL-7KQ2ZP"}
        assert decide("yes, cancel order EL-7KQ2ZP", asked) is Decision.YES
        assert decide("yes, cancel order EL-AAAAAA", asked) is Decision.UNCLEAR

    def test_buttons_go_through_the_same_decision(self) -> None:
        assert decide("confirm") is Decision.YES
        assert decide("deny") is Decision.NO


class TestConfirmationGrant:
    def test_only_the_exact_call_once(self) -> None:
        grant = Confirmation("cancel_order", {"order_number": "EL-A"})
        assert not grant.use("cancel_order", {"order_number": "EL-B"})
        assert not grant.use("request_return", {"order_number": "EL-A", "skus": []})
        assert grant.use("cancel_order", {"order_number": "EL-A"})
        assert not grant.use("cancel_order", {"order_number": "EL-A"})  # spent


# --- through the chat API --------------------------------------------------------------------------
def _place_order(client: httpx.Client, auth: dict[str, str], sku: str) -> str:
    added = client.post("/api/v1/cart/items", json={"sku": sku, "quantity": 1}, headers=auth)
    assert added.status_code == 200, added.text
    placed = client.post("/api/v1/checkout", headers=auth)
    assert placed.status_code == 201, placed.text
    return str(placed.json()["order"]["number"])


def _status(client: httpx.Client, auth: dict[str, str], number: str) -> str:
    found = client.get(f"/api/v1/orders/{number}", headers=auth)
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


class TestOfflineModel:
    @pytest.fixture
    def shopper(self, service: str, db_url: str) -> Iterator[Shopper]:
        with httpx.Client(base_url=service, timeout=60) as client:
            yield Shopper.open(client, db_url)

    def test_only_a_clear_yes_cancels(self, shopper: Shopper, db_url: str) -> None:
        number = _place_order(shopper.client, shopper.auth, in_stock_sku(db_url, "Headphones"))
        looked = shopper.say(f"where is my order {number}")  # the conversation's order, for "my order"
        assert part(looked, "order")["order"]["number"] == number
        asked = shopper.say("cancel my order")
        assert f"cancel order {number}" in asked["text"]

        kept = shopper.say("no! not yes, absolutely not")
        assert "left it" in kept["text"]
        assert _status(shopper.client, shopper.auth, number) == "pending_payment"
        assert "pending" not in shopper.state()

        shopper.say("cancel my order")
        unclear = shopper.say("yes but for the other order")
        assert "clear yes or no" in unclear["text"]
        assert _status(shopper.client, shopper.auth, number) == "pending_payment"

        cancelled = shopper.say("yes")  # the question was asked again, and this is a clear yes
        assert part(cancelled, "order")["order"]["status"] == "cancelled"
        assert _status(shopper.client, shopper.auth, number) == "cancelled"


class TestHostedModel:
    @pytest.fixture
    def llm(self, stubs: Any) -> Iterator[Any]:
        stub = stubs.parts["openai"]
        stub.reset()
        yield stub
        stub.reset()

    @pytest.fixture
    def hosted(self, live_service: LiveService, stubs: Any, db_url: str) -> Callable[[], Any]:
        @contextmanager
        def start() -> Iterator[tuple[Shopper, list[str]]]:
            """A shopper with three pending orders (A, B, C), on a service using the stand-in model."""
            forget_cached_http_clients()
            with (
                live_service(llm=llm_settings(stubs)) as base_url,
                httpx.Client(base_url=base_url, timeout=60) as client,
            ):
                shopper = Shopper.open(client, db_url)
                sku = in_stock_sku(db_url, "Headphones")
                yield shopper, [_place_order(client, shopper.auth, sku) for _ in range(3)]

        return start

    def _statuses(self, shopper: Shopper, numbers: list[str]) -> list[str]:
        return [_status(shopper.client, shopper.auth, n) for n in numbers]

    def _ask_to_cancel(self, shopper: Shopper, llm: Any, number: str) -> None:
        llm.reset(
            [{"tool_calls": [("cancel_order", {"order_number": number})]}, {"content": "Are you sure?"}]
        )
        asked = shopper.say(f"cancel order {number}")
        assert f"cancel order {number}" in asked["text"]  # the exact action a yes will confirm is shown
        assert shopper.state()["pending"] == {"name": "cancel_order", "args": {"order_number": number}}

    def test_a_yes_for_one_order_cancels_only_that_order(self, hosted: Callable[[], Any], llm: Any) -> None:
        with hosted() as (shopper, numbers):
            a, b, c = numbers
            self._ask_to_cancel(shopper, llm, a)
            assert self._statuses(shopper, numbers) == ["pending_payment"] * 3

            calls = [("cancel_order", {"order_number": n}) for n in (b, a, c)]  # A is not even first
            llm.reset([{"tool_calls": calls}, {"content": "Cancelled all three."}])
            shopper.say("yes")
            assert self._statuses(shopper, numbers) == ["cancelled", "pending_payment", "pending_payment"]
            answers = {
                json.loads(m["content"]).get("error", "ok")
                for m in llm.requests[-1]["messages"]
                if m["role"] == "tool"
            }
            assert answers == {"ok", "ConfirmationRequired"}
            assert "pending" not in shopper.state()  # no question was put to the shopper about B or C

    def test_a_confirmation_is_not_reusable_in_a_later_turn(
        self, hosted: Callable[[], Any], llm: Any
    ) -> None:
        with hosted() as (shopper, numbers):
            a, b, c = numbers
            self._ask_to_cancel(shopper, llm, a)
            llm.reset(
                [
                    {"tool_calls": [("cancel_order", {"order_number": a})]},
                    {"tool_calls": [("cancel_order", {"order_number": b})]},  # refused: the yes was for A
                    {"content": "Cancelled. Anything else?"},
                ]
            )
            shopper.say("yes")
            llm.reset([{"tool_calls": [("cancel_order", {"order_number": b})]}, {"content": "Done."}])
            shopper.say("yes")  # to "anything else?": the yes for A is spent, B was never asked about
            assert self._statuses(shopper, numbers) == ["cancelled", "pending_payment", "pending_payment"]

            self._ask_to_cancel(shopper, llm, c)
            llm.reset([{"content": "Let me check something first."}])
            shopper.say("yes")  # granted, but the model made no call with it
            llm.reset([{"tool_calls": [("cancel_order", {"order_number": c})]}, {"content": "Done."}])
            shopper.say("yes")  # no question was asked this time: nothing to say yes to
            assert self._statuses(shopper, numbers) == ["cancelled", "pending_payment", "pending_payment"]
