"""The conversation's memory is folded from the tools' typed outcomes (`ToolMessage.artifact`), not from the
JSON the model reads, and never by tool name."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from elara_bot.agent.state import ConversationState, ShownProduct
from elara_bot.cart.schemas import CartLine, CartPublic
from elara_bot.contracts import CardVariant, CartPart, ProductCard, ProductCardsPart, ToolOutcome
from elara_bot.conversation import memory

CARD = ProductCard(
    position=1,
    product_id="p1",
    title="Trail Runner",
    price_min_minor=4999,
    price_max_minor=6999,
    currency="USD",
    variants=[CardVariant(sku="p1-10", options={"size": "10"}, price_minor=6999, in_stock=True)],
)
LINE = CartLine(
    sku="p1-10",
    product_id="p1",
    title="Trail Runner",
    options={"size": "10"},
    quantity=2,
    unit_price_minor=6999,
    line_total_minor=13998,
    currency="USD",
    stock=3,
)
CART = CartPublic(lines=[LINE], item_count=2, total_minor=13998, currency="USD")


def _turn(name: str, args: dict[str, Any], content: str, outcome: ToolOutcome | None) -> list[BaseMessage]:
    call = {"name": name, "args": args, "id": "call-1", "type": "tool_call"}
    result = ToolMessage(content, tool_call_id="call-1", name=name, artifact=outcome)
    return [AIMessage("", tool_calls=[call]), result]


def test_memory_and_reply_come_from_the_artifact_whatever_the_tool_or_its_text() -> None:
    """A tool memory has never heard of, answering text that is not JSON: its outcome is all that counts."""
    outcome = ToolOutcome(
        shown=[CARD],
        cart=CART,
        order_number="EL-7KQ2ZP",
        parts=[ProductCardsPart(cards=[CARD]), CartPart(cart=CART)],
    )
    produced = _turn("some_new_tool", {}, "Here you are.", outcome)
    state = ConversationState()
    memory.remember(state, produced, handoff=False)
    assert state.dump()["shown"] == [
        {
            "position": 1,
            "product_id": "p1",
            "title": "Trail Runner",
            "price_min_minor": 4999,
            "currency": "USD",
            # in stock: the default, so not written
            "variants": [{"sku": "p1-10", "options": {"size": "10"}, "price_minor": 6999}],
        }
    ]
    assert [(c.sku, c.title, c.quantity) for c in state.cart_lines] == [("p1-10", "Trail Runner", 2)]
    assert state.last_order == "EL-7KQ2ZP"
    assert state.focus == "p1"  # one product shown: "it" is that one
    reply = memory.build_reply(uuid4(), [*produced, AIMessage("Done!")], None)
    assert [part.type for part in reply.parts] == ["product_cards", "cart"]
    assert reply.text == "Done!"


def test_a_refused_call_waits_for_a_yes_and_a_failed_one_leaves_memory_alone() -> None:
    args = {"order_number": "EL-7KQ2ZP"}
    shown = [ShownProduct(position=1, product_id="p1", title="Mug")]
    state = ConversationState(shown=shown)
    refused = _turn("cancel_order", args, "{}", ToolOutcome(error="ConfirmationRequired"))
    memory.remember(state, refused, handoff=False)
    assert state.pending == {"name": "cancel_order", "args": args}
    assert state.shown == shown

    raised = _turn("view_cart", {}, '{"cart": {"lines": []}}', None)  # a tool that raised: no artifact
    outcome = memory.tool_outcome(raised[1])
    assert outcome is not None
    assert outcome.error == "ToolError"
    memory.remember(state, raised, handoff=False)
    assert state.cart_lines == []
    assert state.pending is None  # a question lives one turn
    assert memory.build_reply(uuid4(), raised, "Sorry.").parts == []


def test_an_older_state_loads_and_an_unreadable_one_starts_afresh() -> None:
    old = {"shown": [{"position": 1, "product_id": "p1", "title": "Mug", "variants": []}], "last_sku": "x",
           "turns": 3, "removed_key": True}  # fmt: skip
    state = ConversationState.load(old)
    assert (state.shown[0].title, state.last_sku, state.turns) == ("Mug", "x", 3)
    assert ConversationState.load({"shown": "not a list"}) == ConversationState()
