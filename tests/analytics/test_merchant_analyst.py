"""The merchant analyst's offline understanding and answers, figures checked against the analytics
service's independently tested numbers and the inserted orders."""

from __future__ import annotations

import base64

import pytest

from elara_bot.agent.merchant_analyst import MerchantAnalyst
from elara_bot.agent.merchant_tools import money
from elara_bot.agent.offline_merchant import understand_merchant
from elara_bot.analytics import service
from elara_bot.contracts import ChartPart, TablePart
from elara_bot.db import Conn
from tests.analytics.test_analytics import NOW, shop

__all__ = ["shop"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "how much did we sell last week, and what were the top 5 products?",
            [
                ("sales_summary", {"period": "last_7_days"}),
                ("top_products", {"period": "last_7_days", "limit": 5, "by": "revenue"}),
                ("revenue_chart", {"period": "last_7_days"}),
            ],
        ),
        ("revenue yesterday vs the day before", [("sales_summary", {"period": "yesterday"})]),
        ("sales by category this month", [("sales_by_category", {"period": "this_month"})]),
        ("what is low on stock?", [("low_stock", {"threshold": 3})]),
        ("abandoned carts", [("abandoned_carts", {"idle_hours": 24})]),
        ("order el-t00005", [("order_details", {"number": "EL-T00005"})]),
        ("what do customers ask for that we don't have?", [("wanted_out_of_stock", {"days": 30})]),
        (
            "revenue trend from 2031-03-01 to 2031-03-14",
            [
                ("sales_summary", {"period": "range", "first_day": "2031-03-01", "last_day": "2031-03-14"}),
                ("revenue_chart", {"period": "range", "first_day": "2031-03-01", "last_day": "2031-03-14"}),
            ],
        ),
    ],
)
def test_understanding(question: str, expected: list[tuple[str, dict[str, object]]]) -> None:
    assert [(c.name, c.args) for c in understand_merchant(question)] == expected


async def test_last_week_and_top_products(shop: Conn) -> None:
    reply = await MerchantAnalyst(now=NOW).answer(
        shop, "How much did we sell last week, and what were the top 5 products?"
    )
    period = service.resolve_period("last_7_days", now=NOW)
    summary = await service.sales_summary(shop, period)
    assert money(summary.current.revenue_minor) in reply.text
    assert f"from {summary.current.order_count} orders" in reply.text
    tables = [p for p in reply.parts if isinstance(p, TablePart)]
    assert tables[0].rows[0][1] == money(summary.current.revenue_minor)
    top = await service.top_products(shop, period, limit=5)
    assert [row[1] for row in tables[1].rows] == [p.title for p in top]
    assert [row[3] for row in tables[1].rows] == [money(p.revenue_minor) for p in top]
    [chart] = [p for p in reply.parts if isinstance(p, ChartPart)]
    assert base64.b64decode(chart.png_base64).startswith(b"\x89PNG")


async def test_yesterday_vs_day_before(shop: Conn) -> None:
    reply = await MerchantAnalyst(now=NOW).answer(shop, "revenue yesterday vs the day before")
    cur = await shop.execute(
        "SELECT coalesce(sum(total_minor) FILTER (WHERE created_at >= '2031-03-14'), 0) AS y,"
        " coalesce(sum(total_minor) FILTER (WHERE created_at < '2031-03-14'), 0) AS d"
        " FROM orders WHERE status IN ('paid', 'fulfilled', 'delivered')"
        " AND created_at >= '2031-03-13' AND created_at < '2031-03-15'"
    )
    row = await cur.fetchone()
    assert row is not None
    assert f"Revenue yesterday: {money(int(row['y']))}" in reply.text
    assert f"previous period {money(int(row['d']))}" in reply.text


async def test_order_and_unknown(shop: Conn) -> None:
    analyst = MerchantAnalyst(now=NOW)
    reply = await analyst.answer(shop, "order EL-T00005")
    total = (await service.order_details(shop, "EL-T00005")).total_minor
    assert "Order EL-T00005 (fulfilled) by Alice" in reply.text
    assert money(total) in reply.text
    missing = await analyst.answer(shop, "order EL-ZZZZZZ")
    assert "no order EL-ZZZZZZ" in missing.text
    assert missing.parts == []
    help_reply = await analyst.answer(shop, "what's the weather?")
    assert "I can answer questions about sales" in help_reply.text


async def test_trend_chart_is_png(shop: Conn) -> None:
    reply = await MerchantAnalyst(now=NOW).answer(shop, "daily revenue chart for the last 30 days")
    charts = [p for p in reply.parts if isinstance(p, ChartPart)]
    assert len(charts) == 1
    png = base64.b64decode(charts[0].png_base64)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    series = await service.daily_revenue(shop, service.resolve_period("last_30_days", now=NOW))
    best = max(series, key=lambda p: p.revenue_minor)
    assert f"Best day last 30 days: {best.day.isoformat()} with {money(best.revenue_minor)}" in reply.text
