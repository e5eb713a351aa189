"""The offline model's dialogue: one shopper message + the conversation state -> tool calls, or words and
a question. Everything below runs the real understanding (the NLU trained on the real embedder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elara_bot.agent.offline import Plan, respond
from elara_bot.agent.state import CartLineRef, ConversationState, Question, ShownProduct, ShownVariant
from elara_bot.nlu import Nlu
from retrieval.embedding import Embedder


@pytest.fixture(scope="module")
def nlu(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Nlu:
    return Nlu.for_embedder(embedder, Path(tmp_path_factory.mktemp("nlu")))


def _variant(sku: str, price: int = 5000, stock: bool = True, **options: str) -> ShownVariant:
    return ShownVariant(sku=sku, options=options, in_stock=stock, price_minor=price)


def _state(**overrides: Any) -> ConversationState:
    boots = ShownProduct(
        position=1, product_id="p-boots", title="Trail Hiking Boots", price_min_minor=7000, currency="USD",
        variants=[
            _variant("BOOT-9", 7000, size="9", color="brown"),
            _variant("BOOT-10", 7000, size="10", color="brown"),
        ],
    )  # fmt: skip
    shoes = ShownProduct(
        position=2, product_id="p-shoes", title="Running Shoes", price_min_minor=6000, currency="USD",
        variants=[
            _variant("RUN-RED-9", 6000, size="9", color="red"),
            _variant("RUN-RED-10", 6000, size="10", color="red"),
            _variant("RUN-BLACK-10", 6500, size="10", color="black"),
            _variant("RUN-BLUE-10", 6000, stock=False, size="10", color="blue"),
        ],
    )  # fmt: skip
    kettle = ShownProduct(
        position=3, product_id="p-kettle", title="Electric Kettle", price_min_minor=3000, currency="USD",
        variants=[_variant("KET-1", 3000)],
    )  # fmt: skip
    state = ConversationState(
        shown=[boots, shoes, kettle],
        last_query="shoes",
        last_filters={"max_price_minor": 8000},
        last_sku="RUN-RED-10",
        cart_lines=[
            CartLineRef(
                sku="RUN-RED-10", title="Running Shoes", quantity=2, options={"size": "10", "color": "red"}
            ),
            CartLineRef(sku="KET-1", title="Electric Kettle", quantity=1),
        ],
    )  # fmt: skip
    return state.model_copy(update=overrides)


def _calls(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.args) for c in plan.calls]


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("add the kettle", "KET-1"),
        ("I'll take the cheapest one", "KET-1"),
        ("add the boots in size 10", "BOOT-10"),
        ("I'll take the running shoes in black", "RUN-BLACK-10"),
        ("put the second one in my basket, red, size 9", "RUN-RED-9"),
        ("add the last one you showed", "KET-1"),
    ],
)
def test_references_and_variants_pick_exactly_what_was_named(nlu: Nlu, text: str, sku: str) -> None:
    plan = respond(text, _state(), nlu)
    assert _calls(plan) == [("add_to_cart", {"sku": sku, "quantity": 1})]


def test_a_variant_left_open_is_asked_and_the_answer_completes_the_add(nlu: Nlu) -> None:
    state = _state()
    asked = respond("add the running shoes", state, nlu)
    assert asked.calls == []
    assert asked.question is not None
    assert asked.question.slot == "variant"
    assert "red" in (asked.answer or "")
    assert "black" in (asked.answer or "")
    state.asked = asked.question
    answered = respond("black one in 10 please", state, nlu)
    assert _calls(answered) == [("add_to_cart", {"sku": "RUN-BLACK-10", "quantity": 1})]


def test_an_option_the_product_lacks_is_said_not_swapped(nlu: Nlu) -> None:
    plan = respond("add the boots in size 12", _state(), nlu)
    assert plan.calls == []
    assert "12" in (plan.answer or "")


def test_cart_edits_by_name_and_quantity_words(nlu: Nlu) -> None:
    assert _calls(respond("take the kettle out", _state(), nlu)) == [("remove_from_cart", {"sku": "KET-1"})]
    only_one = respond("I only need one pair of the running shoes, not two", _state(), nlu)
    assert _calls(only_one) == [("update_cart_item", {"sku": "RUN-RED-10", "quantity": 1})]
    assert _calls(respond("clear my cart", _state(), nlu)) == [("clear_cart", {})]


def test_two_requests_in_one_message_run_in_order(nlu: Nlu) -> None:
    plan = respond("remove the kettle and show me my cart", _state(), nlu)
    assert [name for name, _ in _calls(plan)] == ["remove_from_cart", "view_cart"]


def test_cancel_asks_which_order_then_confirms_then_acts(nlu: Nlu) -> None:
    state = _state()
    which = respond("I need to cancel an order", state, nlu)
    assert which.calls == []
    assert which.question is not None
    assert which.question.slot == "order_number"
    state.asked = which.question
    confirm = respond("EL-7KQ2ZP", state, nlu)
    assert confirm.calls == []
    assert confirm.question is not None
    assert confirm.question.slot == "confirmation"
    state.asked, state.pending = None, {"name": "cancel_order", "args": confirm.question.args}
    done = respond("go ahead", state, nlu)
    assert _calls(done) == [("cancel_order", {"order_number": "EL-7KQ2ZP"})]
    declined = respond("actually no", state, nlu)
    assert declined.calls == []
    assert declined.kind == "denied"


def test_yes_to_an_offer_shows_what_was_offered(nlu: Nlu) -> None:
    offer = Question(
        intent="show_alternatives", slot="confirmation", tool="show_products", args={"product_ids": ["p-1"]}
    )
    plan = respond("yes please", _state(asked=offer), nlu)
    assert _calls(plan) == [("show_products", {"product_ids": ["p-1"]})]


@pytest.mark.parametrize("text", ["what's the meaning of life?", "write me a poem about cats"])
def test_out_of_scope_gets_words_and_no_tools(nlu: Nlu, text: str) -> None:
    plan = respond(text, _state(), nlu)
    assert plan.calls == []
    assert plan.answer


def test_cheaper_is_cheaper_than_anything_shown(nlu: Nlu) -> None:
    (name, args), = _calls(respond("anything cheaper?", _state(), nlu))  # fmt: skip
    assert name == "search_products"
    assert args["filters"]["max_price_minor"] == 2999


def test_policy_questions_go_to_the_policy_text(nlu: Nlu) -> None:
    plan = respond("do you deliver to Canada?", _state(), nlu)
    assert _calls(plan) == [("store_policy", {"question": "do you deliver to Canada?"})]


def test_a_price_in_the_message_is_never_a_tool_argument(nlu: Nlu) -> None:
    plan = respond("add the kettle at price $0.01", _state(), nlu)
    assert all("price" not in str(args) for _, args in _calls(plan))


def test_the_cheaper_one_of_one_product_is_its_cheapest_variant(nlu: Nlu) -> None:
    shoes_only = _state().shown[1]
    plan = respond("I'll take the cheaper one", _state(shown=[shoes_only]), nlu)
    assert _calls(plan) == [("add_to_cart", {"sku": "RUN-RED-9", "quantity": 1})]


def test_a_typo_in_an_option_value_still_names_it(nlu: Nlu) -> None:
    plan = respond("add the running shoes in blakc, size 10", _state(), nlu)
    assert _calls(plan) == [("add_to_cart", {"sku": "RUN-BLACK-10", "quantity": 1})]


def test_both_with_nothing_shown_means_the_carts_lines(nlu: Nlu) -> None:
    plan = respond("I want two of both", _state(shown=[]), nlu)
    assert _calls(plan) == [
        ("update_cart_item", {"sku": "RUN-RED-10", "quantity": 2}),
        ("update_cart_item", {"sku": "KET-1", "quantity": 2}),
    ]


def test_comma_separated_requests_run_in_order_and_an_add_verb_is_an_add(nlu: Nlu) -> None:
    plan = respond("take the kettle out, add the boots in size 9 and show me my cart", _state(), nlu)
    assert _calls(plan) == [
        ("remove_from_cart", {"sku": "KET-1"}),
        ("add_to_cart", {"sku": "BOOT-9", "quantity": 1}),
        ("view_cart", {}),
    ]


def test_a_warranty_question_about_a_product_is_answered_from_the_policies(nlu: Nlu) -> None:
    plan = respond("whats the warranty on a laptop", _state(), nlu)
    assert [name for name, _ in _calls(plan)] == ["store_policy"]


@pytest.mark.parametrize("text", ["sure, go for it", "yes please do", "sounds good"])
def test_everyday_yeses_confirm_the_pending_call(nlu: Nlu, text: str) -> None:
    pending = {"name": "cancel_order", "args": {"order_number": "EL-7KQ2ZP"}}
    plan = respond(text, _state(pending=pending), nlu)
    assert _calls(plan) == [("cancel_order", {"order_number": "EL-7KQ2ZP"})]


def test_a_swap_changes_the_lines_variant_keeping_the_rest(nlu: Nlu) -> None:
    state = _state()
    state.cart_lines[0].product_id = "p-shoes"
    plan = respond("actually swap the running shoes for the black ones", state, nlu)
    assert _calls(plan) == [
        ("remove_from_cart", {"sku": "RUN-RED-10"}),
        ("add_to_cart", {"sku": "RUN-BLACK-10", "quantity": 2}),
    ]


def test_a_swap_of_a_product_not_shown_looks_it_up_first(nlu: Nlu) -> None:
    state = _state(shown=[])
    state.cart_lines[0].product_id = "p-shoes"
    plan = respond("switch the running shoes to size 9", state, nlu)
    assert _calls(plan) == [("get_product", {"product_id": "p-shoes"})]
    assert plan.agenda is not None  # the swap runs again once the product's variants are in


def test_the_bigger_one_compares_the_option_named(nlu: Nlu) -> None:
    phone = ShownProduct(
        position=1,
        product_id="p-phone",
        title="Smartphone",
        price_min_minor=90000,
        variants=[
            _variant("PH-58", 90000, **{"screen size": "5.8-inch", "RAM": "8GB"}),
            _variant("PH-65", 95000, **{"screen size": "6.5-inch", "RAM": "4GB"}),
        ],
    )
    plan = respond("add the one with the bigger screen", _state(shown=[phone]), nlu)
    assert _calls(plan) == [("add_to_cart", {"sku": "PH-65", "quantity": 1})]
