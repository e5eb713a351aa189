"""Merchant analytics. Read-only; takes a connection and never commits.

Sales are orders with status ``paid``, ``fulfilled`` or ``delivered``; ``pending_payment``,
``cancelled``, ``refunded`` and ``expired`` orders never count. Periods are whole UTC days,
half-open ``[start, end)``; each summary is compared with the period of equal length just before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from elara_bot.analytics import repository as repo
from elara_bot.analytics.schemas import (
    AbandonedCart,
    CategorySales,
    DailyRevenue,
    LowStockVariant,
    OrderDetails,
    OrderLineDetail,
    Period,
    PeriodName,
    ProductSales,
    RankBy,
    SalesSummary,
    Totals,
    WantedProduct,
)
from elara_bot.db import Conn
from elara_bot.errors import InvalidInput, NotFound

DEFAULT_CURRENCY = "USD"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def resolve_period(
    name: PeriodName,
    *,
    now: datetime | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Period:
    """Turn a period name (or an inclusive ``first_day``..``last_day`` range) into UTC bounds."""
    today = _now(now).astimezone(UTC).date()
    tomorrow = today + timedelta(days=1)
    if name == "today":
        return Period(label="today", start=_midnight(today), end=_midnight(tomorrow))
    if name == "yesterday":
        return Period(label="yesterday", start=_midnight(today - timedelta(days=1)), end=_midnight(today))
    if name in ("last_7_days", "last_30_days"):
        days = 7 if name == "last_7_days" else 30
        start = _midnight(tomorrow - timedelta(days=days))
        return Period(label=f"last {days} days", start=start, end=_midnight(tomorrow))
    if name == "this_month":
        return Period(label="this month", start=_midnight(today.replace(day=1)), end=_midnight(tomorrow))
    if first_day is None or last_day is None or last_day < first_day:
        raise InvalidInput("a date range needs a first day on or before its last day")
    label = f"{first_day.isoformat()} to {last_day.isoformat()}"
    return Period(label=label, start=_midnight(first_day), end=_midnight(last_day + timedelta(days=1)))


def previous_period(period: Period) -> Period:
    length = period.end - period.start
    return Period(label=f"previous {length.days} days", start=period.start - length, end=period.start)


async def _totals(conn: Conn, period: Period, currency: str) -> Totals:
    row = await repo.totals(conn, period.start, period.end, currency)
    revenue, count = int(row["revenue_minor"]), int(row["order_count"])
    average = (revenue + count // 2) // count if count else 0
    return Totals(revenue_minor=revenue, order_count=count, average_order_minor=average)


async def sales_summary(conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY) -> SalesSummary:
    """Revenue, order count and average order value (rounded half up), vs the previous period."""
    before = previous_period(period)
    current, previous = await _totals(conn, period, currency), await _totals(conn, before, currency)
    change = None
    if previous.revenue_minor:
        change = round((current.revenue_minor - previous.revenue_minor) * 100 / previous.revenue_minor, 1)
    return SalesSummary(
        currency=currency,
        period=period,
        previous_period=before,
        current=current,
        previous=previous,
        revenue_change_pct=change,
    )


async def top_products(
    conn: Conn,
    period: Period,
    *,
    by: RankBy = "revenue",
    limit: int = 5,
    currency: str = DEFAULT_CURRENCY,
) -> list[ProductSales]:
    rows = await repo.top_products(conn, period.start, period.end, currency, by, limit)
    return [ProductSales(**row) for row in rows]


async def sales_by_category(
    conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY
) -> list[CategorySales]:
    rows = await repo.sales_by_category(conn, period.start, period.end, currency)
    return [CategorySales(**row) for row in rows]


async def low_stock(
    conn: Conn, threshold: int = 3, limit: int = 20, *, skus: list[str] | None = None
) -> list[LowStockVariant]:
    """Active variants with ``stock <= threshold``; only those of ``skus`` when given."""
    if threshold < 0:
        raise InvalidInput("the stock threshold must not be negative")
    rows = await repo.low_stock(conn, threshold, limit, skus)
    return [LowStockVariant(**row) for row in rows]


async def abandoned_carts(
    conn: Conn, *, idle_hours: int = 24, limit: int = 20, now: datetime | None = None
) -> list[AbandonedCart]:
    """Open carts with at least one line, untouched for ``idle_hours``; valued at current prices."""
    before = _now(now) - timedelta(hours=idle_hours)
    rows = await repo.abandoned_carts(conn, before, limit)
    return [AbandonedCart(**row) for row in rows]


async def order_details(conn: Conn, number: str) -> OrderDetails:
    row = await repo.order_by_number(conn, number.strip())
    if row is None:
        raise NotFound(f"no order {number.strip()}")
    lines = [OrderLineDetail(**line) for line in await repo.order_lines(conn, row["id"])]
    return OrderDetails(
        number=row["number"],
        status=row["status"],
        currency=row["currency"].strip(),
        total_minor=row["total_minor"],
        customer_name=row["customer_name"],
        created_at=row["created_at"],
        lines=lines,
    )


async def wanted_out_of_stock(
    conn: Conn, *, days: int = 30, limit: int = 10, now: datetime | None = None
) -> list[WantedProduct]:
    """Products that searches returned while they were out of stock (``result_ids`` minus
    ``in_stock_ids`` in ``search_log``), over the last ``days`` days."""
    rows = await repo.wanted_out_of_stock(conn, _now(now) - timedelta(days=days), limit)
    return [WantedProduct(**row) for row in rows]


async def daily_revenue(conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY) -> list[DailyRevenue]:
    """Sales revenue per UTC day of ``period`` (zero for days without sales), for trend charts."""
    rows = await repo.daily_revenue(conn, period.start, period.end, currency)
    return [DailyRevenue(**row) for row in rows]
