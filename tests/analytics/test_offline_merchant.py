"""The offline planner on the labelled merchant questions (tests/analytics/merchant_questions.py): the first
tool call and its arguments, or an honest decline."""

from __future__ import annotations

import pytest

from elara_bot.agent.offline_merchant import CAN_DO, CANNOT, understand_merchant
from tests.analytics.conftest import PRODUCTS
from tests.analytics.history import NOW
from tests.analytics.merchant_questions import QUESTIONS, Expected

CATEGORIES = [category for _, _, category, _ in PRODUCTS]
TITLES = [title for _, title, _, _ in PRODUCTS]
TODAY = NOW.date()  # the questions are read on the seeded history's day, as the analyst runs over it


def test_the_set_is_large_enough() -> None:
    assert len(QUESTIONS) >= 40
    assert sum(expected is None for _, expected in QUESTIONS) >= 10


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_planner(question: str, expected: Expected) -> None:
    plan = understand_merchant(question, CATEGORIES, TITLES, today=TODAY)
    if expected is None or expected == "help":
        assert plan.calls == []
        assert plan.decline is not None
        assert plan.decline.endswith(CAN_DO)
        assert plan.decline.startswith(CANNOT) == (expected is None)
        return
    name, args = expected
    assert plan.calls, f"declined: {plan.decline}"
    first = plan.calls[0]
    assert first.name == name
    assert {k: first.args.get(k) for k in args} == args
