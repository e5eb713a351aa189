"""`elara eval conversations`: the checks on their own, the shopper suite's consistency with the demo store,
and the runner against the real app (deliberately wrong expectations fail one by one; the suite's rate)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from elara_bot.demo import demo_file
from elara_bot.evaluation.conversations import (
    CHECKS,
    Conversation,
    ConversationFileError,
    Expect,
    State,
    TurnView,
    check_turn,
    load,
    policy_errors,
    run,
)
from retrieval.embedding import Embedder
from tests.conftest import make_settings
from tests.helpers import serve_in_thread

HERE = Path(__file__).parent
SHOPPER = HERE.parents[1] / "bench" / "data" / "conversations" / "shopper.jsonl"
# 96 conversations written apart from the assistant's work, as a trial of it (the assistant passed 76% of
# them when they were written); kept as a second suite so what it taught stays learnt
TRIAL = SHOPPER.with_name("shopper_trial.jsonl")
TRIAL2 = SHOPPER.with_name("shopper_trial2.jsonl")  # a second such trial (75% when it was written)
SUITES = pytest.mark.parametrize("suite", [SHOPPER, TRIAL, TRIAL2], ids=["shopper", "trial", "trial2"])
CASES = HERE / "runner_cases.jsonl"
POLICIES = demo_file("policies.md").read_text(encoding="utf-8")


def _line(title: str, quantity: int, sku: str, **options: str) -> dict[str, Any]:
    return {"title": title, "quantity": quantity, "sku": sku, "options": options}


def _card(position: int, title: str, low: float, high: float) -> dict[str, Any]:
    return {
        "position": position,
        "title": title,
        "price_min_minor": round(low * 100),
        "price_max_minor": round(high * 100),
    }


PAID = {
    "number": "EL-AAAAAA",
    "status": "paid",
    "payment_url": None,
    "created_at": "1",
    "lines": [_line("Yoga Mat", 1, "Y1", color="pink")],
}
PENDING = {
    "number": "EL-BBBBBB",
    "status": "pending_payment",
    "payment_url": "http://shop/pay/devcs_b",
    "created_at": "2",
    "lines": [_line("Notebook", 2, "N1")],
}
BUSY = TurnView(  # a turn that did a lot: cards, a question, a handoff, the cart, a checkout link, an order
    reply={
        "text": "Standard delivery takes 3-5 business days; you don't pay for shipping.",
        "parts": [
            {
                "type": "product_cards",
                "cards": [_card(1, "Tea Kettle", 91.13, 109.58), _card(2, "Electric Kettle", 137.17, 164.46)],
            },
            {"type": "quick_replies", "replies": [{"label": "Yes", "message": "Yes", "action": "confirm"}]},
            {"type": "handoff", "status": "requested", "detail": ""},
            {"type": "cart", "cart": {}},
            {
                "type": "checkout_link",
                "url": "http://127.0.0.1:1/pay/devcs_b",
                "order_number": "EL-BBBBBB",
                "total_minor": 1,
                "currency": "USD",
            },
            {"type": "order", "order": PAID},
        ],
    },
    before=State(cart=[_line("Notebook", 1, "N1")], orders=[PAID]),
    after=State(
        cart=[_line("Notebook", 2, "N1"), _line("Yoga Mat", 1, "Y1", color="pink")], orders=[PAID, PENDING]
    ),
    earlier_cards=[_card(1, "Yoga Mat", 92.53, 105.68), _card(2, "Notebook", 28.14, 32.37)],
    policy_text="Standard delivery then takes 3 to 5 business days. Shipping is free.",
    names={"order1": "EL-AAAAAA", "order2": "EL-BBBBBB", "last_order": "EL-BBBBBB"},
)
QUIET = TurnView(  # a question back: nothing changed, nothing shown
    reply={"text": "Which size would you like, 8 or 9?", "parts": []},
    before=State(cart=[_line("Notebook", 1, "N1")], orders=[PAID]),
    after=State(cart=[_line("Notebook", 1, "N1")], orders=[PAID]),
    earlier_cards=[],
    policy_text="",
    names={"order1": "EL-AAAAAA", "last_order": "EL-AAAAAA"},
)
# (view, check, an expectation that holds, one that does not)
CASES_BY_CHECK: list[tuple[TurnView, str, Any, Any]] = [
    (BUSY, "cards", True, False),
    (QUIET, "cards", False, True),
    (BUSY, "cards_max_price", 140, 100),
    (BUSY, "cards_min_price", 100, 120),
    (BUSY, "cards_type", ["kettle"], ["tea"]),
    (BUSY, "cards_include", ["tea kettle"], ["Yoga Mat"]),
    (BUSY, "confirmation", True, False),
    (QUIET, "confirmation", False, True),
    (QUIET, "clarification", True, False),
    (BUSY, "clarification", False, True),
    (BUSY, "handoff", True, False),
    (BUSY, "shows_cart", True, False),
    (BUSY, "checkout_link", True, False),
    (QUIET, "checkout_link", False, True),
    (
        BUSY,
        "cart",
        [{"product": "Notebook", "quantity": 2}, {"product": "Yoga Mat", "options": {"color": "pink"}}],
        [{"product": "Notebook", "quantity": 2}],
    ),
    (
        BUSY,
        "cart",
        [{"card": 2, "quantity": 2}, {"card": "first"}],
        [{"card": "dearest", "quantity": 2}, {"card": 2}],
    ),
    (BUSY, "cart_includes", [{"sku": "Y1"}], [{"product": "Yoga Mat", "options": {"color": "blue"}}]),
    (BUSY, "cart_excludes", ["Tea Kettle"], ["yoga mat"]),
    (QUIET, "cart_unchanged", True, False),
    (BUSY, "state_unchanged", False, True),
    (BUSY, "order_count", 2, 1),
    (
        BUSY,
        "latest_order",
        {"status": "pending_payment", "lines": [{"product": "Notebook", "quantity": 2}]},
        {"lines": [{"product": "Notebook", "quantity": 1}]},
    ),
    (BUSY, "order_status", {"{order1}": "paid", "EL-BBBBBB": "pending_payment"}, {"{last_order}": "paid"}),
    (QUIET, "names_last_order", None, True),
    (BUSY, "says_any", ["3 to 5 business days"], ["5 to 7 business days"]),
    (BUSY, "not_say", ["express"], ["do not pay"]),
    (BUSY, "numbers_from_policy", True, None),
    (QUIET, "numbers_from_policy", None, True),
]


class TestChecks:
    @pytest.mark.parametrize(("view", "check", "right", "wrong"), CASES_BY_CHECK)
    def test_right_passes_and_wrong_fails(self, view: TurnView, check: str, right: Any, wrong: Any) -> None:
        if right is not None:
            assert check_turn(Expect.model_validate({check: right}), view) == []
        if wrong is not None:
            failures = check_turn(Expect.model_validate({check: wrong}), view)
            assert len(failures) == 1, failures
            assert failures[0].startswith(check), failures

    def test_every_check_kind_is_exercised(self) -> None:
        assert {check for _, check, _, _ in CASES_BY_CHECK} == set(CHECKS) == set(Expect.model_fields)

    def test_numbers_the_shopper_gave_are_not_invented(self) -> None:
        view = TurnView(QUIET.reply, QUIET.before, QUIET.after, [], "", QUIET.names, said="size 8 or 9?")
        assert check_turn(Expect(numbers_from_policy=True), view) == []

    def test_names_last_order_reads_an_order_part(self) -> None:
        view = TurnView(
            {**QUIET.reply, "parts": [{"type": "order", "order": PAID}]},
            QUIET.before,
            QUIET.after,
            [],
            "",
            QUIET.names,
        )
        assert check_turn(Expect(names_last_order=True), view) == []


class TestFile:
    def test_unknown_check_and_turn_without_a_message_are_refused(self, tmp_path: Path) -> None:
        for bad in ({"say": "hi", "expect": {"cards_colour": True}}, {"expect": {"cards": False}}):
            path = tmp_path / "bad.jsonl"
            path.write_text(json.dumps({"id": "x", "category": "c", "turns": [bad]}) + "\n")
            with pytest.raises(ConversationFileError, match="bad.jsonl:1"):
                load(path)

    def test_policy_phrases_must_be_backed_by_the_policy_text(self) -> None:
        conv = Conversation.model_validate(
            {
                "id": "p",
                "category": "policy",
                "turns": [{"say": "?", "expect": {"says_any": ["gift wrap"], "not_say": ["30 days"]}}],
            }
        )
        errors = policy_errors([conv], POLICIES)
        assert len(errors) == 2
        assert "gift wrap" in errors[0]
        assert "30 days" in errors[1]


def _in_stock(catalog: dict[str, Any], line: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = {k.lower(): v.lower() for k, v in line.get("options", {}).items()}
    return [
        v
        for v in catalog[line["product"].lower()]["variants"]
        if v["stock"] > 0
        and all(
            {k.lower(): str(o).lower() for k, o in v["options"].items()}.get(k) == w
            for k, w in wanted.items()
        )
    ]


@SUITES
class TestShopperSuite:
    def test_size_spread_and_policy_backing(self, suite: Path) -> None:
        conversations = load(suite)
        per_category = Counter(c.category for c in conversations)
        assert len(conversations) >= 96
        assert len(per_category) >= 12, per_category
        assert all(8 <= n <= 12 for n in per_category.values()), per_category
        assert all(c.notes for c in conversations)
        assert policy_errors(conversations, POLICIES) == []

    def test_each_chosen_variant_is_one_in_stock_variant_of_the_demo_store(self, suite: Path) -> None:
        """An expected cart line with options must name exactly one variant a shopper can buy; setups use
        SKUs that are in stock."""
        catalog = {}
        stock = {}
        for row in demo_file("catalog.jsonl").read_text(encoding="utf-8").splitlines():
            product = json.loads(row)
            catalog[product["title"].lower()] = product
            stock.update({v["sku"]: v["stock"] for v in product["variants"]})
        for conv in load(suite):
            assert all(stock.get(step.add, 0) > 0 for step in conv.setup if step.add), conv.id
            for turn in conv.turns:
                expect = turn.expect
                lines = [*(expect.cart or []), *(expect.cart_includes or [])]
                lines += expect.latest_order.lines or [] if expect.latest_order else []
                for line in lines:
                    if line.product and line.options:
                        found = _in_stock(catalog, line.model_dump())
                        assert len(found) == 1, (conv.id, turn.say, found)
                for title in expect.cards_include or []:
                    assert title.lower() in catalog, (conv.id, title)


@pytest.fixture(scope="module")
def app_url(
    make_db: Callable[[], str], tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[str]:
    """The real app on a copy of the test database with the demo store, started once for both runs (each
    conversation has its own session, so they do not meet); no cap on how fast sessions are made."""
    from elara_bot.app import create_app

    settings = make_settings(
        make_db(), tmp_path_factory.mktemp("eval"), sessions={"create_per_minute": 10_000}
    )
    with serve_in_thread(create_app(settings, embedder=embedder)) as url:
        yield url


def _failed_checks(failures: list[str]) -> set[str]:
    return {match.group() for f in failures if (match := re.match(r"[a-z_]+", f))}


def test_runner_catches_each_wrong_expectation(app_url: str) -> None:
    """Each `wrong-*` conversation repeats a `right-*` one with every expectation wrong: the right ones pass
    and every wrong expectation fails on its own (state through the REST API, reply parts, wording)."""
    conversations = load(CASES)
    report = run(conversations, app_url, POLICIES)
    by_id = {c.id: c for c in conversations}
    for result in report.results:
        assert result.error is None, result.error
        if result.category == "right":
            assert result.passed, [(t.index, t.said, t.failures, t.reply_text) for t in result.turns]
            continue
        for turn in result.turns:
            expected = set(by_id[result.id].turns[turn.index - 1].expect.model_dump(exclude_none=True))
            assert _failed_checks(turn.failures) == expected, (result.id, turn.index, turn.failures)
    scores = {s.category: s for s in report.by_category()}
    assert scores["right"].rate == 1.0
    assert scores["wrong"].passed == 0
    assert scores["wrong"].turns_passed == 0


@pytest.fixture(scope="module")
def trial_app_url(
    make_db: Callable[[], str], tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[str]:
    """The real app again, on its own copy of the demo store: the first suite's paid orders took stock."""
    from elara_bot.app import create_app

    settings = make_settings(
        make_db(), tmp_path_factory.mktemp("trial"), sessions={"create_per_minute": 10_000}
    )
    with serve_in_thread(create_app(settings, embedder=embedder)) as url:
        yield url


def test_shopper_conversations_pass_at_95_percent(app_url: str) -> None:
    """Issue 13's target on the suite in the repo (the assistant is measured afterwards on others)."""
    report = run(load(SHOPPER), app_url, POLICIES)
    assert not [r.id for r in report.results if r.error]
    rates = {s.category: round(s.rate, 2) for s in report.by_category()}
    assert report.pass_rate >= 0.95, rates


@pytest.mark.parametrize("suite", [TRIAL, TRIAL2], ids=["trial", "trial2"])
def test_trial_conversations_pass_at_95_percent(trial_app_url: str, suite: Path) -> None:
    """The suites written as trials apart from the assistant hold the same target."""
    report = run(load(suite), trial_app_url, POLICIES)
    assert not [r.id for r in report.results if r.error]
    rates = {s.category: round(s.rate, 2) for s in report.by_category()}
    assert report.pass_rate >= 0.95, rates


def _flat(output: str) -> str:
    """The output as one line, without rich's box borders."""
    return re.sub(r"[\s\u2502]+", " ", output)


class TestCommand:
    def test_a_run_that_cannot_reach_the_service_exits_2_with_the_table(self) -> None:
        from typer.testing import CliRunner

        from elara_bot.cli.main import app

        args = ["eval", "conversations", str(SHOPPER), "--url", "http://127.0.0.1:9", "-c", "policy"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "policy" in result.output
        assert "run errors in 12 conversation(s)" in _flat(result.output)

    def test_a_policy_phrase_the_text_lacks_is_refused(self, tmp_path: Path) -> None:
        from typer.testing import CliRunner

        from elara_bot.cli.main import app

        path = tmp_path / "c.jsonl"
        turn = {"say": "gift wrap?", "expect": {"says_any": ["gift wrapping is free"]}}
        path.write_text(json.dumps({"id": "g", "category": "policy", "turns": [turn]}) + "\n")
        result = CliRunner().invoke(app, ["eval", "conversations", str(path), "--url", "http://127.0.0.1:9"])
        assert result.exit_code == 2
        assert "is not in the policy text" in _flat(result.output)
