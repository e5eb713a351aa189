"""Periods as merchants say them, resolved to whole days of the store's calendar.

`find_period(text, today)` finds the first period phrase in a sentence and returns it with its days:

- days: "today", "yesterday", "the day before yesterday", "on Monday", "2031-11-28", "28 November",
  "Nov 28th 2030", holidays ("Black Friday", "Cyber Monday", "Christmas", "New Year's Eve", ...);
- calendar spans: "this/last week" (Monday to Sunday), "this/last month", "this/last year", "Q3",
  "last quarter", halves of a year ("H2 2030", "the second half of 2030", "the back half of last year",
  "the first six months of the year", "this half"), "November" / "November 2030" (the latest one that
  has begun), "last weekend";
- rolling windows: "last 30 days", "past 2 weeks", "previous 3 months" (ending today);
- to date: "month to date", "year to date", "so far this week";
- ranges: "since Monday", "since 1 March", "from 2031-03-01 to 2031-03-14", "between May 1 and May 9".

A span never runs past today (this month is the 1st to today). `Span.label` names it with its exact days.
Bounds in time are local midnights of the store's time zone, as UTC instants (`to_period`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from elara_bot.analytics.schemas import Period
from elara_bot.errors import InvalidInput

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
}  # fmt: skip

_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_HOLIDAY = (
    r"(?:black friday|cyber monday|thanksgiving|christmas eve|christmas day|christmas|xmas|boxing day"
    r"|new year'?s eve|new year'?s day|new year|valentine'?s day|valentines|halloween)"
)
_DAY = (
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|(?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH}(?:,? \d{{4}})?|{_HOLIDAY}(?: \d{{4}})?"
    rf"|(?:last |this |past )?{_WEEKDAY}|today|yesterday"
    r"|\d{1,2}/\d{1,2}(?:/\d{4}|/\d{2})?|the \d{1,2}(?:st|nd|rd|th))"
)
_MONTH_YEAR = rf"(?:{_MONTH}(?: \d{{4}})?)"


@dataclass(frozen=True)
class Span:
    """Whole days ``first``..``last`` (inclusive) of the store's calendar."""

    first: date
    last: date
    name: str

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"{self.name} ({self.first:%a %Y-%m-%d})"
        if self.name.endswith(self.last.isoformat()):
            return self.name
        return f"{self.name} ({self.first.isoformat()} to {self.last.isoformat()})"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def normalize(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").replace(",", " ,").split()).replace(" ,", ",")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _latest(candidates: Callable[[int], date], today: date, year: int | None) -> date:
    """The given year's date, or the latest one on or before today."""
    if year is not None:
        return candidates(year)
    found = candidates(today.year)
    return found if found <= today else candidates(today.year - 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _thanksgiving(year: int) -> date:
    return _nth_weekday(year, 11, 3, 4)


HOLIDAYS: dict[str, Callable[[int], date]] = {
    "black friday": lambda y: _thanksgiving(y) + timedelta(days=1),
    "cyber monday": lambda y: _thanksgiving(y) + timedelta(days=4),
    "thanksgiving": _thanksgiving,
    "christmas eve": lambda y: date(y, 12, 24),
    "christmas day": lambda y: date(y, 12, 25),
    "christmas": lambda y: date(y, 12, 25),
    "xmas": lambda y: date(y, 12, 25),
    "boxing day": lambda y: date(y, 12, 26),
    "new years eve": lambda y: date(y, 12, 31),
    "new years day": lambda y: date(y, 1, 1),
    "new year": lambda y: date(y, 1, 1),
    "valentines day": lambda y: date(y, 2, 14),
    "valentines": lambda y: date(y, 2, 14),
    "halloween": lambda y: date(y, 10, 31),
}


def _year_of(text: str) -> int | None:
    found = re.search(r"\b(\d{4})\b", text)
    return int(found.group(1)) if found else None


def parse_day(text: str, today: date) -> date | None:
    """One day: ISO, month and day (either order, optional year), a weekday, a holiday."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(f"{text} is not a date") from exc
    if text in ("today",):
        return today
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", text)
    if numeric:
        return _numeric_day(numeric, today)
    nth = re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)", text)
    if nth:
        return _nth_of_month(int(nth.group(1)), today)
    if text == "yesterday":
        return today - timedelta(days=1)
    year = _year_of(text)
    bare = re.sub(r"\s*\d{4}$", "", text).replace("'", "")
    if bare in HOLIDAYS:
        return _latest(HOLIDAYS[bare], today, year)
    weekday = re.fullmatch(rf"(last |this |past )?({_WEEKDAY})", text)
    if weekday:
        back = (today.weekday() - WEEKDAYS[weekday.group(2)]) % 7
        if weekday.group(1) == "this " and back == 0:
            return today
        return today - timedelta(days=back or 7)
    text = text.removeprefix("the ")
    parts = re.fullmatch(
        rf"(?:({_MONTH})\.? (\d{{1,2}})|(\d{{1,2}}) (?:of )?({_MONTH}))(?:st|nd|rd|th)?(?:,? (\d{{4}}))?",
        re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text),
    )
    if not parts:
        return None
    month = MONTHS[parts.group(1) or parts.group(4)]
    day = int(parts.group(2) or parts.group(3))
    try:
        return _latest(lambda y: date(y, month, day), today, year)
    except ValueError as exc:
        raise InvalidInput(f"{text} is not a date") from exc


def _numeric_day(found: re.Match[str], today: date) -> date:
    """3/14 or 14/3 (month first unless that cannot be a month), with an optional year."""
    a, b = int(found.group(1)), int(found.group(2))
    month, day = (a, b) if a <= 12 else (b, a)
    year = found.group(3)
    full = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        return _latest(lambda y: date(y, month, day), today, full)
    except ValueError as exc:
        raise InvalidInput(f"{found.group(0)} is not a date") from exc


def _nth_of_month(day: int, today: date) -> date:
    """ "the 14th": this month's, or last month's when this month's is still to come."""
    try:
        found = today.replace(day=day)
        if found <= today:
            return found
        previous = _add_months(today.replace(day=1), -1)
        return previous.replace(day=day)
    except ValueError as exc:
        raise InvalidInput(f"there is no day {day} in that month") from exc


def _month_span(text: str, today: date) -> Span:
    found = re.fullmatch(rf"({_MONTH})(?: (\d{{4}}))?", text)
    assert found is not None
    month, year = MONTHS[found.group(1)], found.group(2)
    first = _latest(lambda y: date(y, month, 1), today, int(year) if year else None)
    return Span(first, min(_month_end(first.year, month), today), first.strftime("%B %Y"))


def _calendar(unit: str, which: str, today: date) -> Span:
    """this/last week (Mon-Sun), month, quarter or year."""
    back = 1 if which in ("last", "previous", "past") else 0
    if unit == "week":
        monday = today - timedelta(days=today.weekday() + 7 * back)
        return Span(monday, min(monday + timedelta(days=6), today), f"{which} week")
    if unit == "month":
        first = _add_months(today.replace(day=1), -back)
        return Span(first, min(_month_end(first.year, first.month), today), f"{which} month")
    if unit == "quarter":
        start = _add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), -3 * back)
        end = _add_months(start, 3) - timedelta(days=1)
        return Span(start, min(end, today), f"{which} quarter")
    if unit == "half":
        start = _add_months(date(today.year, 1 if today.month <= 6 else 7, 1), -6 * back)
        end = _add_months(start, 6) - timedelta(days=1)
        return Span(start, min(end, today), f"{which} half")
    year = today.year - back
    return Span(date(year, 1, 1), min(date(year, 12, 31), today), f"{which} year")


def _rolling(count: int, unit: str, today: date) -> Span:
    unit = unit.rstrip("s")
    if count < 1 or count > 3660:
        raise InvalidInput("a rolling window is 1 to 3660 days long")
    if unit == "month":
        first = _add_months(today, -count) + timedelta(days=1)
    elif unit == "year":
        first = _add_months(today, -12 * count) + timedelta(days=1)
    else:
        first = today - timedelta(days=count * (7 if unit == "week" else 1) - 1)
    plural = "" if count == 1 else "s"
    return Span(first, today, f"last {count} {unit}{plural}")


def _bound(text: str, today: date, *, end: bool) -> date | None:
    """One end of a range: a day, or a month (its first or last day)."""
    if re.fullmatch(_MONTH_YEAR, text):
        span = _month_span(text, today)
        return span.last if end else span.first
    return parse_day(text, today)


def _quarter(text: str, today: date) -> Span:
    found = re.fullmatch(r"q([1-4])(?: (\d{4}))?", text)
    assert found is not None
    quarter = int(found.group(1))
    month = 3 * (quarter - 1) + 1
    first = _latest(lambda y: date(y, month, 1), today, int(found.group(2)) if found.group(2) else None)
    last = _add_months(first, 3) - timedelta(days=1)
    return Span(first, min(last, today), f"Q{quarter} {first.year}")


HALF_ORDINALS = {
    "first": 1, "1st": 1, "front": 1, "opening": 1, "early": 1,
    "second": 2, "2nd": 2, "back": 2, "latter": 2, "last": 2, "later": 2, "closing": 2,
}  # fmt: skip


def _half_span(half: int, year: int | None, today: date, *, strict: bool = False) -> Span:
    """H1 (January to June) or H2 (July to December) of ``year``; without one, the latest that has begun
    (as "Q3"). A half named in a year that has not begun yet is not read as another one."""
    month = 1 if half == 1 else 7
    first = _latest(lambda y: date(y, month, 1), today, year)
    if first > today:
        if strict or year is not None:
            raise InvalidInput(f"H{half} {first.year} has not begun yet")
        first = first.replace(year=first.year - 1)
    last = _add_months(first, 6) - timedelta(days=1)
    return Span(first, min(last, today), f"H{half} {first.year}")


def _half_code(found: re.Match[str], today: date) -> Span:
    """'H2', 'H2 2030', 'H1 of 2031', '2030 H1'."""
    year = found.group("y") or found.group("y2")
    half = int(found.group("h") or found.group("h2"))
    return _half_span(half, int(year) if year else None, today)


def _half_of_year(found: re.Match[str], today: date) -> Span | None:
    """'the second half of 2030', 'the back half of last year', 'the first six months of the year',
    'the first half' (the latest first half that has begun). 'The last half' and 'the first six months'
    without a year are not read (the last half-year? the store's first months?)."""
    half = 1 if found.group("six") else HALF_ORDINALS[found.group("o")]
    which = found.group("y") or ""
    if not which and (found.group("six") or found.group("o") == "last"):
        return None
    if which.isdigit():
        return _half_span(half, int(which), today)
    if not which:
        return _half_span(half, None, today)
    back = 0 if re.match(r"(?:this|current|the) ", which) else 1
    return _half_span(half, today.year - back, today, strict=True)


def _ago(days: int, today: date) -> Span:
    day = today - timedelta(days=days)
    return Span(day, day, f"{days} days ago")


def _week_of(found: re.Match[str], today: date) -> Span | None:
    day = parse_day(found.group("a"), today)
    if day is None:
        return None
    monday = day - timedelta(days=day.weekday())
    return Span(monday, min(monday + timedelta(days=6), today), f"the week of {monday.isoformat()}")


def _weekend(today: date, name: str = "last weekend") -> Span:
    """'last weekend' is the latest Saturday and Sunday both over (asked on a Saturday or a Sunday, the one
    before); 'this weekend' and 'the weekend' are the current one when it has begun."""
    back = (today.weekday() - 5) % 7
    if back < 2 and name.startswith("last"):
        back += 7
    saturday = today - timedelta(days=back)
    return Span(saturday, min(saturday + timedelta(days=1), today), name)


PART_OF_MONTH = {
    "first week": (1, 7), "second week": (8, 14), "third week": (15, 21), "fourth week": (22, 28),
    "early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20), "middle": (11, 20),
    "late": (21, 31), "end": (21, 31), "last week": (22, 31), "first half": (1, 15), "second half": (16, 31),
}  # fmt: skip


def _part_of_month(found: re.Match[str], today: date) -> Span:
    """'the first week of February', 'late November', 'mid-December': days of that month (the latest one
    in which they have begun)."""
    part, month = found.group("p"), _month_span(found.group("m"), today).first
    first_day, last_day = PART_OF_MONTH[part]
    if part == "last week":
        first_day = _month_end(month.year, month.month).day - 6
    if month.replace(day=first_day) > today:
        if re.search(r"\d{4}", found.group("m")):
            raise InvalidInput(f"{found.group(0)} has not begun yet")
        month = month.replace(year=month.year - 1)
    end = _month_end(month.year, month.month)
    first, last = month.replace(day=first_day), min(month.replace(day=min(last_day, end.day)), today)
    name = part if part in ("early", "mid", "late") else f"the {part} of"
    return Span(first, last, f"{name} {month:%B %Y}")


def _weeks_ago(count: int, today: date) -> Span:
    """The calendar week (Monday to Sunday) ``count`` weeks before this one."""
    monday = today - timedelta(days=today.weekday() + 7 * count)
    return Span(
        monday, monday + timedelta(days=6), f"{count} weeks ago" if count != 2 else "the week before last"
    )


def _months_ago(count: int, today: date) -> Span:
    first = _add_months(today.replace(day=1), -count)
    return Span(first, _month_end(first.year, first.month), first.strftime("%B %Y"))


def _hours(count: int, today: date) -> Span:
    days = max(1, -(-count // 24))
    return _rolling(days, "days", today)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], Span | None]]


def _range(found: re.Match[str], today: date) -> Span | None:
    first = _bound(found.group("a"), today, end=False)
    last = _bound(found.group("b"), today, end=True)
    if first is None or last is None:
        return None
    if last < first and not re.search(r"\d{4}", found.group("a")):
        first = first.replace(year=first.year - 1)  # "from December 20 to January 5"
    if last < first:
        raise InvalidInput("a date range needs a first day on or before its last day")
    return Span(first, last, f"{first.isoformat()} to {last.isoformat()}")


def _since(found: re.Match[str], today: date) -> Span | None:
    first = _bound(found.group("a"), today, end=False)
    if first is None:
        return None
    if first > today:
        raise InvalidInput(f"{found.group('a')} is in the future")
    return Span(first, today, f"since {found.group('a')}")


def _one_day(found: re.Match[str], today: date) -> Span | None:
    day = parse_day(found.group("a"), today)
    if day is None:
        return None
    names = {"today": "today", "yesterday": "yesterday"}
    return Span(day, day, names.get(found.group("a"), found.group("a")))


_BOUND = rf"(?:{_DAY}|{_MONTH_YEAR})"
_TO = r"(?:to|until|till|through|thru|and|-)"
_ONE_DAY = (
    rf"\b(?P<a>\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|(?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTH}(?:,? \d{{4}})?|{_HOLIDAY}(?: \d{{4}})?|today"
    r"|yesterday|\d{1,2}/\d{1,2}(?:/\d{4}|/\d{2})?|the \d{1,2}(?:st|nd|rd|th))\b"
)
_NAMED_MONTH = (
    rf"\b(?:in|for|of|during|over|on|month of|since) (?P<a>(?:{_MONTH}) \d{{4}}|(?:{_MONTH}))\b"
    rf"|\b(?P<b>(?!may\b){_MONTH} \d{{4}}|(?!may\b){_MONTH})\b"  # "may" alone is a verb
)
_ROLLING = (
    rf"\b(?:last|past|previous|trailing|over the last|in the last) (?P<n>{_NUM})"
    r" (?P<u>days?|weeks?|months?|years?)\b"
)


def _count(word: str) -> int:
    return NUMBERS.get(word) or int(word)


def _day_before_yesterday(today: date) -> Span:
    day = today - timedelta(days=2)
    return Span(day, day, "the day before yesterday")


def _whole_year(year: int, today: date) -> Span:
    return Span(date(year, 1, 1), min(date(year, 12, 31), today), str(year))


_YEAR_WORD = r"(?:last|this|previous|the previous|past) year"
_IN_YEAR = (
    rf"\b(?:(?P<w>{_YEAR_WORD}) (?:on )?(?P<h>{_HOLIDAY}|{_MONTH})"
    rf"|(?P<h2>{_HOLIDAY}|{_MONTH}) (?:of |in )?(?P<w2>{_YEAR_WORD}|the year before))\b"
)


def _in_year(found: re.Match[str], today: date) -> Span | None:
    """'Cyber Monday last year', "last year's Christmas Eve", 'November last year': one holiday or month
    of that year, not two periods."""
    name = (found.group("h") or found.group("h2")).replace("'", "")
    which = found.group("w") or found.group("w2")
    year = today.year - (0 if which.startswith("this") else 1)
    if name in HOLIDAYS:
        day = HOLIDAYS[name](year)
        if day > today:
            raise InvalidInput(f"{found.group(0)} is still to come")
        return Span(day, day, f"{name} {year}")
    first = date(year, MONTHS[name], 1)
    if first > today:
        raise InvalidInput(f"{found.group(0)} is still to come")
    return Span(first, min(_month_end(year, first.month), today), first.strftime("%B %Y"))


def _any_day(text: str, today: date) -> date | None:
    found = re.fullmatch(_IN_YEAR, text)
    if found:
        span = _in_year(found, today)
        return None if span is None else span.first
    return parse_day(text, today)


def _shifted(found: re.Match[str], today: date) -> Span | None:
    """'the day after Thanksgiving', 'the day before Christmas Eve', 'the weekend after Black Friday'."""
    day = _any_day(found.group("a"), today)
    if day is None:
        return None
    after = found.group("d") == "after"
    if found.group("k") == "day":
        shifted = day + timedelta(days=1 if after else -1)
        if shifted > today:
            raise InvalidInput(f"{found.group(0)} is still to come")
        return Span(shifted, shifted, found.group(0).removeprefix("the "))
    if after:  # the first Saturday after the day
        saturday = day + timedelta(days=(5 - day.weekday()) % 7 or 7)
    else:  # the last Saturday before it
        saturday = day - timedelta(days=(day.weekday() - 5) % 7 or 7)
    if saturday > today:
        raise InvalidInput(f"{found.group(0)} is still to come")
    name = found.group(0).removeprefix("the ")
    return Span(saturday, min(saturday + timedelta(days=1), today), name)


FIRST_ORDER_UNKNOWN = date(2000, 1, 1)
ALL_TIME = re.compile(
    r"\ball[- ]time(?: first sale (?P<a>\d{4}-\d{2}-\d{2}))?|\bof all time\b|\bever\b|\blifetime\b"
    r"|\bin total\b"
    r"|\bsince (?:we|the (?:store|shop|business)|our (?:store|shop)) (?:first )?(?:opened|launched|started"
    r"|began|went live|opened (?:our|the) doors)\b"
    r"|\bsince (?:the )?(?:launch|opening|beginning|start|day one|inception|very beginning)\b(?! of)"
    r"|\bsince (?:forever|records began)\b"
)


def all_time(first_order: date | None, today: date) -> str:
    """The phrase for all time from the first order (the tools' form): 'all time first sale 2030-08-01'."""
    return f"all time first sale {(first_order or today).isoformat()}"


def _all_time(found: re.Match[str], today: date) -> Span:
    """From the first order to today: the tools give the first order's day ('all time first sale 2030-08-01');
    without it, from 2000-01-01."""
    first = date.fromisoformat(found.group("a")) if found.group("a") else FIRST_ORDER_UNKNOWN
    return Span(min(first, today), today, "all time")


RULES: list[Rule] = [
    (ALL_TIME, _all_time),
    (
        re.compile(
            r"\b(?:the )?(?P<k>day|weekend) (?P<d>after|before)"
            rf" (?!yesterday\b|today\b)(?P<a>{_HOLIDAY}(?: \d{{4}}| (?:of |in )?{_YEAR_WORD})?"
            rf"|{_YEAR_WORD} {_HOLIDAY}|{_DAY})\b"
        ),
        _shifted,
    ),
    (re.compile(_IN_YEAR), _in_year),
    (re.compile(rf"\b(?:from|between) (?P<a>{_BOUND}) {_TO} (?P<b>{_BOUND})\b"), _range),
    (
        re.compile(r"(?P<a>\d{4}-\d{2}-\d{2}) ?(?:to|until|through|-|and|\.\.) ?(?P<b>\d{4}-\d{2}-\d{2})"),
        _range,
    ),
    (re.compile(rf"\b(?:since|starting|from) (?:the )?(?P<a>{_BOUND})\b(?! {_TO}\b)"), _since),
    (re.compile(r"\b(?P<n>\d{1,3}) days? ago\b"), lambda m, t: _ago(int(m.group("n")), t)),
    (
        re.compile(
            r"\b(?:(?:the|in the) )?(?P<p>first week|second week|third week|fourth week|last week|first half"
            r"|second half"
            r"|early|beginning|start|mid|middle|late|end)(?: of |-| )(?:the month of )?"
            rf"(?P<m>{_MONTH}(?: \d{{4}})?)\b"
        ),
        _part_of_month,
    ),
    (
        re.compile(
            r"\b(?:the )?(?:(?P<o>"
            + "|".join(HALF_ORDINALS)
            + r") half(?:[- ]year)?|(?P<six>first (?:six|6) months))"
            r"(?:(?: of| in)? (?:the )?(?P<y>\d{4}|(?:this|last|previous|the previous|past|current) year"
            r"|the year)\b|\b(?! of\b))"
        ),
        _half_of_year,
    ),
    (
        re.compile(r"\bh(?P<h>[12])(?:(?: of)? (?P<y>\d{4}))?\b|\b(?P<y2>\d{4}) h(?P<h2>[12])\b"),
        lambda m, t: _half_code(m, t),
    ),
    (
        re.compile(r"\b(?P<w>this|current|last|previous|past) half(?:[- ]year)?\b(?! of\b)"),
        lambda m, t: _calendar("half", m.group("w"), t),
    ),
    (re.compile(r"\b(?:the )?week before last\b"), lambda m, t: _weeks_ago(2, t)),
    (re.compile(rf"\b(?P<n>{_NUM}) weeks? ago\b"), lambda m, t: _weeks_ago(_count(m.group("n")), t)),
    (re.compile(rf"\b(?P<n>{_NUM}) months? ago\b"), lambda m, t: _months_ago(_count(m.group("n")), t)),
    (re.compile(r"\b(?:last|past|previous) fortnight\b"), lambda m, t: _rolling(14, "days", t)),
    (
        re.compile(r"\b(?:last|past|previous) (?P<n>\d{1,3}) hours\b"),
        lambda m, t: _hours(int(m.group("n")), t),
    ),
    (
        re.compile(r"\b(?:this morning|this afternoon|this evening|tonight)\b"),
        lambda m, t: Span(t, t, "today"),
    ),
    (re.compile(r"\bday before yesterday\b"), lambda m, t: _day_before_yesterday(t)),
    (re.compile(_ROLLING), lambda m, t: _rolling(_count(m.group("n")), m.group("u"), t)),
    (
        re.compile(r"\b(?P<n>\d{1,3}) (?P<u>days?|weeks?|months?)\b"),
        lambda m, t: _rolling(int(m.group("n")), m.group("u"), t),
    ),
    (
        re.compile(
            r"\b(?:since|from) the (?:beginning|start) of (?:the|this) (?P<u>week|month|quarter|year)\b"
        ),
        lambda m, t: _calendar(m.group("u"), "this", t),
    ),
    (re.compile(r"\b(?:week to date|wtd|so far this week)\b"), lambda m, t: _calendar("week", "this", t)),
    (re.compile(r"\b(?:month to date|mtd|so far this month)\b"), lambda m, t: _calendar("month", "this", t)),
    (re.compile(r"\b(?:year to date|ytd|so far this year)\b"), lambda m, t: _calendar("year", "this", t)),
    (
        re.compile(r"\b(?P<w>this|last|previous|past|current) (?P<u>week|month|quarter|year)\b"),
        lambda m, t: _calendar(m.group("u"), m.group("w"), t),
    ),
    (re.compile(r"\b(?:the|last|this|over the) weekend\b"), lambda m, t: _weekend(t, m.group(0))),
    (re.compile(r"\b(?P<a>q[1-4](?: \d{4})?)\b"), lambda m, t: _quarter(m.group("a"), t)),
    (re.compile(r"\bweek (?:of|starting|beginning) (?:the )?" + _ONE_DAY[2:]), _week_of),
    (re.compile(_ONE_DAY), _one_day),
    (re.compile(_NAMED_MONTH), lambda m, t: _month_span(m.group("a") or m.group("b"), t)),
    (re.compile(rf"\b(?:on|last|this|past) (?P<a>(?:last |this |past )?{_WEEKDAY})\b"), _one_day),
    (re.compile(rf"\b(?P<a>(?:last |this |past )?{_WEEKDAY})\b"), _one_day),
    (re.compile(r"\b(?:in |during )?(?P<y>20\d{2})\b"), lambda m, t: _whole_year(int(m.group("y")), t)),
]


@dataclass(frozen=True)
class Found:
    phrase: str
    span: Span


def _plain(text: str) -> str:
    """Lower case, single spaces, no possessives ("yesterday's" -> "yesterday"), month and weekday names
    misspelt as merchants type them ("Novmber", "wensday") spelt right."""
    msg = re.sub(r"\b(new year|valentine)'s\b", r"\1s", normalize(text))
    return correct_spelling(re.sub(r"(?<=[a-z])'s\b", "", msg).replace("'", ""))


# the names a misspelling is read as: long enough that one or two slips cannot make another word of them
# ("may", "mar", "sun", "march", "june" are too close to "mar", "match", "sun"...: only exact)
_SPELT = [
    *(n.lower() for n in calendar.month_name if len(n) >= 6),
    *(n.lower() for n in calendar.day_name),
]
# real words one or two letters from a name: never corrected
_NOT_MISSPELT = frozenset(
    "sundry sundae sundays mondays tuesdays wednesdays thursdays fridays saturdays remember member"
    " ember number augusta augustine fridge frida monday's octopus decembers novembers januarys".split()
)


def _distance(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute, swap two neighbours)."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y)))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def misspelt_name(word: str) -> str | None:
    """The month or weekday name ``word`` misspells ("novmber" -> "november"), or None: same first letter,
    one slip for names of up to 7 letters, two for longer ones."""
    if len(word) < 5 or word in _NOT_MISSPELT or word in MONTHS or word in WEEKDAYS:
        return None
    for name in _SPELT:
        if word[0] == name[0] and abs(len(word) - len(name)) <= 2:
            if _distance(word, name) <= (1 if len(name) <= 7 else 2):
                return name
    return None


def correct_spelling(msg: str) -> str:
    return re.sub(r"[a-z]{5,}", lambda m: misspelt_name(m.group(0)) or m.group(0), msg)


def plain(text: str) -> str:
    """The text as the period rules read it (the phrases found are substrings of it)."""
    return _plain(text)


def find_period(text: str, today: date) -> Found | None:
    """The first period phrase of ``text`` (rules in order of precedence) and its days."""
    msg = _plain(text)
    for pattern, build in RULES:
        for found in pattern.finditer(msg):
            span = build(found, today)
            if span is not None:
                return Found(found.group(0).strip(), span)
    return None


def find_periods(text: str, today: date) -> list[Found]:
    """Every period phrase of ``text`` that does not overlap a more precedent one, in reading order."""
    msg = _plain(text)
    taken: list[tuple[int, int, Found]] = []
    for pattern, build in RULES:
        for found in pattern.finditer(msg):
            if any(found.start() < end and start < found.end() for start, end, _ in taken):
                continue
            span = build(found, today)
            if span is not None:
                taken.append((found.start(), found.end(), Found(found.group(0).strip(), span)))
    return [item for _, _, item in sorted(taken, key=lambda t: t[0])]


def parse_period(phrase: str, today: date) -> Span:
    """A period phrase (a tool argument: "last month", "November 2030", "2031-03-01 to 2031-03-14",
    "last_7_days") as days; `InvalidInput` when it names none."""
    found = find_period(phrase.replace("_", " "), today)
    if found is None:
        raise InvalidInput(
            f"I can't tell which period {phrase!r} is: try 'last month', 'November', 'last 30 days',"
            " 'since Monday' or '2031-03-01 to 2031-03-14'"
        )
    return found.span


def to_period(span: Span, zone: str) -> Period:
    """The span as a half-open interval of UTC-aware instants: local midnights in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(span.first, time(0), tzinfo=tz)
    end = datetime.combine(span.last + timedelta(days=1), time(0), tzinfo=tz)
    suffix = "" if zone == "UTC" else f", {zone}"
    return Period(label=span.label + suffix, start=start, end=end, first_day=span.first, last_day=span.last)


_CALENDAR_NAME = re.compile(
    r"^(?:(?:this|last|previous|past|current) (?P<u>week|month|quarter|half|year)\b"
    r"|(?P<q>q[1-4]) \d{4}|(?P<h>h[12]) \d{4}|(?P<m>[a-z]+) \d{4}\b|(?P<y>\d{4})(?: |$)"
    r"|(?P<td>week|month|year) to date|so far this (?P<sf>week|month|year)|(?P<abbr>wtd|mtd|ytd))"
)


def _calendar_unit(span: Span) -> str | None:
    """The calendar unit a span is (whole or to date) when its name says one and it starts on one."""
    found = _CALENDAR_NAME.match(span.name.lower())
    if not found:
        return None
    abbr = {"wtd": "week", "mtd": "month", "ytd": "year"}
    unit = found.group("u") or found.group("td") or found.group("sf") or abbr.get(found.group("abbr") or "")
    if found.group("q"):
        unit = "quarter"
    elif found.group("h"):
        unit = "half"
    elif found.group("m"):
        unit = "month" if found.group("m") in MONTHS else None
    elif found.group("y"):
        unit = "year"
    first = span.first
    starts = {
        "week": first.weekday() == 0,
        "month": first.day == 1,
        "quarter": first.day == 1 and first.month % 3 == 1,
        "half": first.day == 1 and first.month in (1, 7),
        "year": (first.month, first.day) == (1, 1),
    }
    return unit if unit is not None and starts[unit] else None


def previous_span(span: Span) -> Span:
    """The span just before, of the same kind: the previous calendar week, month, quarter, half-year (H1,
    H2) or year for one of those (whole or to date: "this quarter" is compared with the whole previous
    quarter), else the same number of days just before."""
    unit = _calendar_unit(span)
    if unit == "week":
        monday = span.first - timedelta(days=7)
        return Span(monday, monday + timedelta(days=6), f"the week of {monday.isoformat()}")
    if unit == "quarter":
        first = _add_months(span.first, -3)
        return Span(
            first, _add_months(first, 3) - timedelta(days=1), f"Q{(first.month - 1) // 3 + 1} {first.year}"
        )
    if unit == "half":
        first = _add_months(span.first, -6)
        name = f"H{1 if first.month == 1 else 2} {first.year}"
        return Span(first, _add_months(first, 6) - timedelta(days=1), name)
    if unit == "year":
        year = span.first.year - 1
        return Span(date(year, 1, 1), date(year, 12, 31), str(year))
    whole_month = span.first.day == 1 and span.last == _month_end(span.first.year, span.first.month)
    if unit == "month" or whole_month:
        first = _add_months(span.first, -1)
        return Span(first, _month_end(first.year, first.month), first.strftime("%B %Y"))
    last = span.first - timedelta(days=1)
    first = last - timedelta(days=span.days - 1)
    return Span(first, last, "previous period")
