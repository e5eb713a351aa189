"""Merchant analytics. Read-only; takes a connection and never commits.

Sales are orders with status ``paid``, ``fulfilled`` or ``delivered``; ``pending_payment``,
``cancelled``, ``refunded`` and ``expired`` orders never count. Periods are whole UTC days,
half-open ``[start, end)``; each summary is compared with the period of equal length just before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from elara_bot.analytics import periods
from elara_bot.analytics import repository as repo
from elara_bot.analytics.schemas import (
    CHANNELS,
    AbandonedCart,
    CategoryBest,
    CategorySales,
    Conversion,
    DailyRevenue,
    LowStockVariant,
    OrderDetails,
    OrderLineDetail,
    Period,
    PeriodName,
    ProductSales,
    RankBy,
    RankDimension,
    RankedRow,
    Ranking,
    RefundsReport,
    ReturnsByStatus,
    SalesSummary,
    StockCover,
    StockCoverReport,
    Totals,
    UnsoldProduct,
    WantedProduct,
)
from elara_bot.db import Conn
from elara_bot.errors import InvalidInput, NotFound

DEFAULT_CURRENCY = "USD"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def store_today(now: datetime | None, zone: str = "UTC") -> date:
    """Today in the store's calendar."""
    return _now(now).astimezone(ZoneInfo(zone)).date()


def period_for(phrase: str, *, now: datetime | None = None, zone: str = "UTC") -> Period:
    """A period as a merchant says it ("last month", "November", "since Monday", "last 30 days")."""
    return periods.to_period(periods.parse_period(phrase, store_today(now, zone)), zone)


async def with_first_order(conn: Conn, phrase: str, *, now: datetime | None = None, zone: str = "UTC") -> str:
    """``phrase`` with "all time" ("ever", "since we opened"...) pinned to the first sale's day, so that
    its answer names the exact days ('all time first sale 2030-08-01'); any other phrase as it is."""
    plain = periods.normalize(phrase.replace("_", " "))
    found = periods.find_period(plain, store_today(now, zone))
    pinned = periods.ALL_TIME.search(plain)
    if found is None or found.span.name != "all time" or (pinned is not None and pinned.group("a")):
        return phrase
    first = await repo.first_order_at(conn)
    day = None if first is None else first.astimezone(ZoneInfo(zone)).date()
    return periods.all_time(day, store_today(now, zone))


def resolve_period(
    name: PeriodName,
    *,
    now: datetime | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    zone: str = "UTC",
) -> Period:
    """A named period (``last_7_days``...) or an inclusive ``first_day``..``last_day`` range."""
    if name != "range":
        return period_for(name, now=now, zone=zone)
    if first_day is None or last_day is None or last_day < first_day:
        raise InvalidInput("a date range needs a first day on or before its last day")
    label = f"{first_day.isoformat()} to {last_day.isoformat()}"
    return periods.to_period(periods.Span(first_day, last_day, label), zone)


def _zone_of(period: Period) -> str:
    tz = period.start.tzinfo
    return getattr(tz, "key", None) or "UTC"


def previous_period(period: Period) -> Period:
    """The period just before: the previous calendar week, month, quarter, half-year or year for one of those
    (whole or to date), else as many days."""
    if period.first_day is None or period.last_day is None:
        length = period.end - period.start
        return Period(label=f"previous {length.days} days", start=period.start - length, end=period.start)
    span = periods.previous_span(periods.Span(period.first_day, period.last_day, period.label))
    return periods.to_period(span, _zone_of(period))


def _channel(channel: str | None) -> str | None:
    """A channel to filter on, checked: 'web', 'telegram', ... (None: every channel)."""
    if channel is None or not channel.strip():
        return None
    name = channel.strip().lower()
    if name not in CHANNELS:
        raise InvalidInput(f"there is no channel {channel!r}; the channels are {', '.join(CHANNELS)}")
    return name


async def _totals(conn: Conn, period: Period, currency: str, channel: str | None = None) -> Totals:
    row = await repo.totals(conn, period.start, period.end, currency, channel)
    revenue, count = row["revenue_minor"], row["order_count"]
    average = (revenue + count // 2) // count if count else 0
    return Totals(revenue_minor=revenue, order_count=count, average_order_minor=average)


async def sales_summary(
    conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY, *, channel: str | None = None
) -> SalesSummary:
    """Revenue, order count and average order value (rounded half up), vs the previous period; of one
    channel's orders when ``channel`` is given."""
    channel = _channel(channel)
    before = previous_period(period)
    current = await _totals(conn, period, currency, channel)
    previous = await _totals(conn, before, currency, channel)
    change = None
    if previous.revenue_minor:
        change = round((current.revenue_minor - previous.revenue_minor) * 100 / previous.revenue_minor, 1)
    return SalesSummary(
        currency=currency,
        channel=channel,
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
    rows = await repo.product_sales(conn, period.start, period.end, currency, by=by, limit=limit)
    return [
        ProductSales(
            product_id=r["key"], title=r["label"], units=r["units"], revenue_minor=r["revenue_minor"]
        )
        for r in rows
    ]


async def sales_by_category(
    conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY
) -> list[CategorySales]:
    rows = await repo.category_sales(conn, period.start, period.end, currency, limit=None)
    return [
        CategorySales(category=r["key"], units=r["units"], revenue_minor=r["revenue_minor"]) for r in rows
    ]


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
    conn: Conn, *, days: int = 30, limit: int = 10, now: datetime | None = None, period: Period | None = None
) -> list[WantedProduct]:
    """Products that searches returned while they were out of stock (``result_ids`` minus
    ``in_stock_ids`` in ``search_log``), over ``period`` or else the last ``days`` days."""
    if period is not None:
        rows = await repo.wanted_out_of_stock(conn, period.start, limit, period.end)
    else:
        rows = await repo.wanted_out_of_stock(conn, _now(now) - timedelta(days=days), limit)
    return [WantedProduct(**row) for row in rows]


async def daily_revenue(conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY) -> list[DailyRevenue]:
    """Sales revenue per day of ``period`` in the store's calendar (zero for days without sales)."""
    first = period.first_day or period.start.date()
    last = period.last_day or (period.end - timedelta(days=1)).date()
    rows = await repo.daily_revenue(conn, first, last, currency, _zone_of(period))
    return [DailyRevenue(**row) for row in rows]


async def ranking(
    conn: Conn,
    period: Period,
    by: RankDimension,
    *,
    rank_by: RankBy = "revenue",
    limit: int = 5,
    category: str | None = None,
    product: str | None = None,
    lowest_first: bool = False,
    channel: str | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> Ranking:
    """Sales per product (line revenue or units, optionally in one category), category (line revenue),
    channel or customer (order totals), highest first, of one channel's orders when ``channel`` is given;
    ``total`` counts every row, shown or not."""
    if not 1 <= limit <= 100:
        raise InvalidInput("a list shows 1 to 100 rows")
    channel = _channel(channel)
    rows: list[repo.LineSalesRow] | list[repo.OrderSalesRow]
    if by == "product":
        if category is not None:
            await _known_category(conn, category)
        rows = await repo.product_sales(
            conn,
            period.start,
            period.end,
            currency,
            by=rank_by,
            limit=limit,
            category=category,
            product=product.strip() if product else None,
            lowest_first=lowest_first,
            channel=channel,
        )
    elif by == "category":
        rows = await repo.category_sales(
            conn, period.start, period.end, currency, limit=limit, channel=channel
        )
    else:
        rows = await repo.order_sales(
            conn, period.start, period.end, currency, by=by, limit=limit, channel=channel
        )
    total = rows[0]["total"] if rows else 0
    return Ranking(by=by, rows=[RankedRow(**row) for row in rows], total=total)


async def _known_category(conn: Conn, name: str) -> None:
    known = await repo.categories(conn)
    segments = {part.strip().lower() for path in known for part in path.split(">")}
    if name.strip().lower() not in segments:
        tops = sorted({path.split(">")[0].strip() for path in known})
        raise NotFound(f"there is no category {name!r}; the categories are {', '.join(tops)}")


async def best_per_category(
    conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY
) -> list[CategoryBest]:
    rows = await repo.best_per_category(conn, period.start, period.end, currency)
    return [CategoryBest(**row) for row in rows]


async def refunds_and_returns(conn: Conn, period: Period, currency: str = DEFAULT_CURRENCY) -> RefundsReport:
    """Orders refunded in the period (at the time of the refund) and return requests made in it."""
    refunded = await repo.refunds(conn, period.start, period.end, currency)
    returns = [ReturnsByStatus(**row) for row in await repo.returns(conn, period.start, period.end)]
    return RefundsReport(
        refunded_orders=refunded["refunded_orders"],
        refunded_minor=refunded["refunded_minor"],
        returns=returns,
    )


async def conversion(
    conn: Conn, period: Period, *, idle_hours: int = 24, now: datetime | None = None
) -> Conversion:
    """From conversations to orders in the period: shoppers who chatted and bought, searches that found
    nothing (and what was asked), carts left open with items for ``idle_hours`` or more."""
    row = await repo.conversion(conn, period.start, period.end)
    empty = await repo.empty_queries(conn, period.start, period.end, 5)
    before = _now(now) - timedelta(hours=idle_hours)
    carts = await repo.carts_abandoned_in(conn, period.start, period.end, before)
    shoppers, buyers = row["shoppers"], row["buyers"]
    return Conversion(
        conversations=row["conversations"],
        shoppers=shoppers,
        buyers=buyers,
        rate_pct=round(buyers * 100 / shoppers, 1) if shoppers else None,
        searches=row["searches"],
        empty_searches=row["empty_searches"],
        top_empty_queries=[(r["query"], r["searches"]) for r in empty],
        abandoned_carts=carts["carts"],
        abandoned_minor=carts["value_minor"],
    )


async def stock_cover(
    conn: Conn,
    period: Period,
    *,
    max_days: float | None = None,
    limit: int = 10,
    product: str | None = None,
    category: str | None = None,
) -> StockCoverReport:
    """Days of stock left per variant at the sales rate of ``period``, fewest first (only those with at
    most ``max_days`` when given), and how many there are in all. Store-wide: the variants that sold. For
    the products titled like ``product`` (a title or a word of one: "Camp Mug", "boot") or in
    ``category``: each of their variants, and their stock and sales summed (how long that stock lasts)."""
    if not 1 <= limit <= 100:
        raise InvalidInput("a list shows 1 to 100 rows")
    product = product.strip() if product and product.strip() else None
    category = category.strip() if category and category.strip() else None
    if category is not None:
        await _known_category(conn, category)
    days = (period.last_day - period.first_day).days + 1 if period.first_day and period.last_day else 30
    rows = await repo.stock_cover(
        conn, period.start, period.end, days, max_days, limit, product=product, category=category
    )
    if not rows and product is not None and max_days is None:
        raise NotFound(f"no product on sale matches {product!r}")
    first = rows[0] if rows else None
    stock, units = (first["all_stock"], first["all_units"]) if first else (0, 0)
    return StockCoverReport(
        rows=[StockCover(**row) for row in rows],
        total=first["total"] if first else 0,
        product=product,
        category=category,
        stock=stock,
        units=units,
        cover_days=_tenths(stock * days, units) if units else None,
    )


def _tenths(numerator: int, denominator: int) -> float:
    """numerator / denominator to one decimal, half away from zero (as PostgreSQL rounds numerics)."""
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))


async def unsold_products(conn: Conn, period: Period, limit: int = 20) -> tuple[list[UnsoldProduct], int]:
    """Products on sale (an active variant) that sold nothing in ``period``, most stock first; how many."""
    rows = await repo.unsold_products(conn, period.start, period.end, limit)
    total = rows[0]["total"] if rows else 0
    return [UnsoldProduct(**row) for row in rows], total


async def low_stock_count(conn: Conn, threshold: int) -> int:
    rows = await repo.low_stock(conn, threshold, 1, None)
    return rows[0]["total"] if rows else 0
