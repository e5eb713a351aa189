"""The offline model's understanding of merchant questions.

`understand_merchant(text)` turns one merchant question into the read-only analytics tool calls a
real model would make (see `elara_bot.agent.merchant_tools`). Deterministic, no network, no database:

- "how much did we sell last week, and what were the top 5 products?" -> `sales_summary` + `top_products`
  + `revenue_chart` (sales over several days always come with their daily trend);
- "revenue yesterday vs the day before" -> `sales_summary(period=yesterday)` (always compared);
- "sales by category this month" -> `sales_by_category`; "what is low on stock?" -> `low_stock`;
- "abandoned carts" -> `abandoned_carts`; "order EL-XXXX" -> `order_details`;
- "what do customers ask for that we don't have?" -> `wanted_out_of_stock`;
- "revenue trend" / "chart" / "daily" -> `revenue_chart`.
Periods: today, yesterday, last week / 7 days, last month / 30 days, this month,
"from 2031-03-01 to 2031-03-05".
"""

from __future__ import annotations

import re

from elara_bot.agent.offline import ToolCallPlan

ORDER_NUMBER = re.compile(r"\b(EL[A-Z]?-[A-Z0-9]{3,12})\b", re.IGNORECASE)
DATE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:to|until|-|and|through)\s*(\d{4}-\d{2}-\d{2})")
TOP_N = re.compile(r"\btop\s+(\d{1,2})\b")
THRESHOLD = re.compile(r"\b(?:below|under|less than|fewer than)\s+(\d{1,4})\b")
HOURS = re.compile(r"\b(\d{1,3})\s*(?:hours|hrs|h)\b")


def _has(msg: str, *phrases: str) -> bool:
    return any(p in msg for p in phrases)


def period_args(msg: str) -> dict[str, str]:
    """The period a question is about; the last 7 days when it names none."""
    found = DATE_RANGE.search(msg)
    if found:
        return {"period": "range", "first_day": found.group(1), "last_day": found.group(2)}
    table = [
        (("today", "so far"), "today"),
        (("yesterday",), "yesterday"),
        (("this month", "month to date"), "this_month"),
        (("last month", "30 days", "past month"), "last_30_days"),
        (("last week", "7 days", "past week", "this week"), "last_7_days"),
    ]
    for phrases, name in table:
        if _has(msg, *phrases):
            return {"period": name}
    return {"period": "last_7_days"}


def _order(msg: str, original: str) -> list[ToolCallPlan]:
    found = ORDER_NUMBER.search(original)
    return [ToolCallPlan("order_details", {"number": found.group(1).upper()})] if found else []


def _stock_and_carts(msg: str) -> list[ToolCallPlan]:
    calls: list[ToolCallPlan] = []
    if _has(msg, "ask for", "asked for", "don't have", "dont have", "do not have", "looking for", "missing"):
        calls.append(ToolCallPlan("wanted_out_of_stock", {"days": 30}))
    elif _has(msg, "low on stock", "low stock", "running out", "restock", "stock"):
        found = THRESHOLD.search(msg)
        calls.append(ToolCallPlan("low_stock", {"threshold": int(found.group(1)) - 1 if found else 3}))
    if _has(msg, "abandon", "left in cart", "unfinished cart"):
        found = HOURS.search(msg)
        calls.append(ToolCallPlan("abandoned_carts", {"idle_hours": int(found.group(1)) if found else 24}))
    return calls


def _sales(msg: str) -> list[ToolCallPlan]:
    period = period_args(msg)
    calls: list[ToolCallPlan] = []
    if _has(
        msg, "sell", "sold", "sales", "revenue", "turnover", "earn", "made", "orders", "aov", "average order"
    ):
        calls.append(ToolCallPlan("sales_summary", dict(period)))
    if _has(msg, "top", "best", "most popular", "best-selling", "bestsell"):
        found = TOP_N.search(msg)
        by = "units" if _has(msg, "units", "most sold", "quantity") else "revenue"
        calls.append(
            ToolCallPlan("top_products", {**period, "limit": int(found.group(1)) if found else 5, "by": by})
        )
    if _has(msg, "category", "categories"):
        calls = [c for c in calls if c.name != "sales_summary"]
        calls.append(ToolCallPlan("sales_by_category", dict(period)))
    asked = _has(msg, "trend", "chart", "graph", "daily", "per day", "plot")
    multi_day = period["period"] not in ("today", "yesterday")
    if asked or (multi_day and any(c.name == "sales_summary" for c in calls)):
        calls.append(ToolCallPlan("revenue_chart", dict(period)))  # sales over days come with their trend
    return calls


def understand_merchant(text: str) -> list[ToolCallPlan]:
    """Tool calls answering ``text``; empty when the question is not understood."""
    msg = " ".join(text.lower().replace("’", "'").split())
    order = _order(msg, text)
    if order:
        return order
    return _stock_and_carts(msg) + _sales(msg)
