"""Periods as merchants say them, resolved on a fixed day (Saturday 2031-03-15) to inclusive first and last
days; and local midnights of the store's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from elara_bot.analytics.periods import find_period, find_periods, parse_period, to_period
from elara_bot.errors import InvalidInput

TODAY = date(2031, 3, 15)


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("what did we sell in November?", "2030-11-01", "2030-11-30"),
        ("sales on Black Friday", "2030-11-29", "2030-11-29"),
        ("revenue since Monday", "2031-03-10", "2031-03-15"),
        ("how much last month", "2031-02-01", "2031-02-28"),
        ("top products last week", "2031-03-03", "2031-03-09"),
        ("last 30 days", "2031-02-14", "2031-03-15"),
        ("this month", "2031-03-01", "2031-03-15"),
        ("Q4 2030", "2030-10-01", "2030-12-31"),
        ("year to date", "2031-01-01", "2031-03-15"),
        ("between May 1 and May 9", "2030-05-01", "2030-05-09"),
        ("from December 20 to January 5", "2030-12-20", "2031-01-05"),
        ("from 3/1 to 3/7", "2031-03-01", "2031-03-07"),
        ("show me yesterday's orders", "2031-03-14", "2031-03-14"),
        ("what did we sell on the 14th?", "2031-03-14", "2031-03-14"),
        ("New Year's Eve", "2030-12-31", "2030-12-31"),
        ("the week of March 3rd", "2031-03-03", "2031-03-09"),
        ("the first week of February", "2031-02-01", "2031-02-07"),
        ("late February", "2031-02-21", "2031-02-28"),
        ("the end of March", "2030-03-21", "2030-03-31"),
        ("the week before last", "2031-02-24", "2031-03-02"),
        ("3 days ago", "2031-03-12", "2031-03-12"),
        ("past two weeks", "2031-03-02", "2031-03-15"),
        ("last fortnight", "2031-03-02", "2031-03-15"),
        ("sales this morning", "2031-03-15", "2031-03-15"),
        ("in 2030", "2030-01-01", "2030-12-31"),
    ],
)
def test_periods(said: str, first: str, last: str) -> None:
    found = find_period(said, TODAY)
    assert found is not None
    assert (found.span.first.isoformat(), found.span.last.isoformat()) == (first, last)
    assert first in found.span.label


def test_no_period_and_may_the_verb() -> None:
    assert find_period("who are our top 5 customers?", TODAY) is None
    assert find_period("may I see the sales", TODAY) is None
    assert [f.phrase for f in find_periods("compare November with October", TODAY)] == ["november", "october"]


def test_bad_periods_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="can't tell which period"):
        parse_period("the blue moon", TODAY)
    with pytest.raises(InvalidInput, match="not a date"):
        parse_period("2031-02-30", TODAY)


def test_local_midnights() -> None:
    period = to_period(parse_period("yesterday", TODAY), "Europe/Berlin")
    assert period.start == datetime(2031, 3, 13, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2031, 3, 14, 23, 0, tzinfo=UTC)
    assert period.label.endswith(", Europe/Berlin")
