"""All analytics SQL. Read-only; sales are orders whose status is in ``SALES_STATUSES``.

The period queries share one skeleton: named parameters from `_params` (``start``, ``end``, ``currency``,
``statuses``), `_within` for a half-open ``[start, end)`` on a column, `_SALES` for the sales orders
``o`` of the period, `_LINES` for their lines ``l`` (with the product ``p``, if still in the catalog).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict, cast
from uuid import UUID

from elara_bot.analytics.schemas import SALES_STATUSES
from elara_bot.db import Conn

_STATUSES = list(SALES_STATUSES)


def _params(start: datetime, end: datetime, currency: str = "", **more: Any) -> dict[str, Any]:
    return {"statuses": _STATUSES, "currency": currency, "start": start, "end": end, **more}


def _within(column: str) -> str:
    return f"{column} >= %(start)s AND {column} < %(end)s"


_SALES = f"o.status = ANY(%(statuses)s) AND o.currency = %(currency)s AND {_within('o.created_at')}"
_LINES = " FROM order_lines l JOIN orders o ON o.id = l.order_id LEFT JOIN products p ON p.id = l.product_id"
_LINE_SUMS = "sum(l.quantity)::int AS units, sum(l.quantity * l.unit_price_minor)::bigint AS revenue_minor"
# a category matches when the name is one of its path's segments ("Outdoor" matches "Outdoor > Footwear")
_IN_CATEGORY = (
    "(%(category)s::text IS NULL OR ' > ' || lower(p.category) || ' > '"
    " LIKE '%% > ' || lower(%(category)s::text) || ' > %%')"
)
# the channel an order came through: its customer's first identity ('web', 'telegram', ...)
_CHANNEL = (
    "coalesce((SELECT ci.channel FROM customer_identities ci WHERE ci.customer_id = o.customer_id"
    " ORDER BY ci.id LIMIT 1), 'unknown')"
)
# only the orders of one channel, when ``channel`` is given
_IN_CHANNEL = f"(%(channel)s::text IS NULL OR {_CHANNEL} = %(channel)s::text)"
# products whose title contains the search word ``product``, when given
_TITLED = "(%(product)s::text IS NULL OR {title} ILIKE '%%' || %(product)s::text || '%%')"


class SalesTotalsRow(TypedDict):
    revenue_minor: int
    order_count: int


async def totals(
    conn: Conn, start: datetime, end: datetime, currency: str, channel: str | None = None
) -> SalesTotalsRow:
    """Revenue (sum of ``orders.total_minor``) and count of sales orders created in ``[start, end)`` (through
    ``channel`` only, when given)."""
    cur = await conn.execute(
        "SELECT coalesce(sum(total_minor), 0)::bigint AS revenue_minor, count(*)::int AS order_count"
        f" FROM orders o WHERE {_SALES} AND {_IN_CHANNEL}",
        _params(start, end, currency, channel=channel),
    )
    row = await cur.fetchone()
    assert row is not None
    return cast(SalesTotalsRow, row)


class LowStockRow(TypedDict):
    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    stock: int
    total: int  # how many variants are that low, listed or not


async def low_stock(
    conn: Conn, threshold: int, limit: int, skus: list[str] | None = None
) -> list[LowStockRow]:
    """Active variants whose stock is at or below ``threshold`` (among ``skus`` if given), lowest first."""
    cur = await conn.execute(
        "SELECT v.sku, v.product_id, p.title, v.options, v.stock, count(*) OVER ()::int AS total"
        " FROM variants v"
        " JOIN products p ON p.id = v.product_id"
        " WHERE v.active AND v.stock <= %s AND (%s::text[] IS NULL OR v.sku = ANY(%s::text[]))"
        " ORDER BY v.stock, v.sku LIMIT %s",
        (threshold, skus, skus, limit),
    )
    return cast(list[LowStockRow], await cur.fetchall())


class AbandonedCartRow(TypedDict):
    cart_id: int
    customer_id: str
    customer_name: str | None
    line_count: int
    units: int
    value_minor: int
    updated_at: datetime
    total: int


async def abandoned_carts(conn: Conn, before: datetime, limit: int) -> list[AbandonedCartRow]:
    """Open carts with lines whose last change (cart or line) is before ``before``."""
    cur = await conn.execute(
        "SELECT c.id AS cart_id, c.customer_id::text AS customer_id, cu.display_name AS customer_name,"
        " count(*)::int AS line_count, sum(cl.quantity)::int AS units,"
        " sum(cl.quantity * v.price_minor)::bigint AS value_minor,"
        " greatest(c.updated_at, max(cl.added_at)) AS updated_at, count(*) OVER ()::int AS total"
        " FROM carts c JOIN cart_lines cl ON cl.cart_id = c.id JOIN variants v ON v.sku = cl.sku"
        " JOIN customers cu ON cu.id = c.customer_id WHERE c.status = 'open'"
        " GROUP BY c.id, cu.display_name HAVING greatest(c.updated_at, max(cl.added_at)) < %s"
        " ORDER BY value_minor DESC, c.id LIMIT %s",
        (before, limit),
    )
    return cast(list[AbandonedCartRow], await cur.fetchall())


class OrderRow(TypedDict):
    id: UUID
    number: str
    status: str
    currency: str  # char(3): strip it
    total_minor: int
    created_at: datetime
    customer_name: str | None


async def order_by_number(conn: Conn, number: str) -> OrderRow | None:
    cur = await conn.execute(
        "SELECT o.id, o.number, o.status, o.currency, o.total_minor, o.created_at,"
        " c.display_name AS customer_name FROM orders o JOIN customers c ON c.id = o.customer_id"
        " WHERE upper(o.number) = upper(%s)",
        (number,),
    )
    return cast(OrderRow | None, await cur.fetchone())


class OrderLineRow(TypedDict):
    sku: str
    title: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int


async def order_lines(conn: Conn, order_id: UUID) -> list[OrderLineRow]:
    cur = await conn.execute(
        "SELECT sku, title, quantity, unit_price_minor,"
        " (quantity * unit_price_minor)::bigint AS line_total_minor"
        " FROM order_lines WHERE order_id = %s ORDER BY title, sku",
        (order_id,),
    )
    return cast(list[OrderLineRow], await cur.fetchall())


class WantedProductRow(TypedDict):
    product_id: str
    title: str
    searches: int
    total: int


async def wanted_out_of_stock(
    conn: Conn, since: datetime, limit: int, until: datetime | None = None
) -> list[WantedProductRow]:
    """Products shown in search results while out of stock (in ``[since, until)``), by how many searches
    showed them."""
    cur = await conn.execute(
        "SELECT r.product_id, p.title, count(*)::int AS searches, count(*) OVER ()::int AS total"
        " FROM search_log s CROSS JOIN LATERAL unnest(s.result_ids) AS r(product_id)"
        " JOIN products p ON p.id = r.product_id"
        " WHERE s.created_at >= %s AND (%s::timestamptz IS NULL OR s.created_at < %s)"
        " AND NOT (r.product_id = ANY(s.in_stock_ids))"
        " GROUP BY r.product_id, p.title ORDER BY searches DESC, r.product_id LIMIT %s",
        (since, until, until, limit),
    )
    return cast(list[WantedProductRow], await cur.fetchall())


class DailyRevenueRow(SalesTotalsRow):
    day: date


async def daily_revenue(
    conn: Conn, first: date, last: date, currency: str, zone: str
) -> list[DailyRevenueRow]:
    """One row per day ``first``..``last`` of the store's calendar (``zone``), zero-filled."""
    cur = await conn.execute(
        "SELECT d::date AS day, coalesce(sum(o.total_minor), 0)::bigint AS revenue_minor,"
        " count(o.id)::int AS order_count"
        " FROM generate_series(%s::date, %s::date, interval '1 day') AS d"
        " LEFT JOIN orders o ON (o.created_at AT TIME ZONE %s)::date = d::date"
        " AND o.status = ANY(%s) AND o.currency = %s"
        " GROUP BY 1 ORDER BY 1",
        (first, last, zone, _STATUSES, currency),
    )
    return cast(list[DailyRevenueRow], await cur.fetchall())


class _SalesRow(TypedDict):
    """A ranking's row; ``total``: how many rows the ranking has, listed or not."""

    key: str
    label: str
    revenue_minor: int
    orders: int
    total: int


class LineSalesRow(_SalesRow):  # a product's or a category's order lines
    units: int


class OrderSalesRow(_SalesRow):  # a channel's or a customer's order totals: no units
    units: None


async def product_sales(
    conn: Conn,
    start: datetime,
    end: datetime,
    currency: str,
    *,
    by: str,
    limit: int | None,
    category: str | None = None,
    product: str | None = None,
    lowest_first: bool = False,
    channel: str | None = None,
) -> list[LineSalesRow]:
    """Products by line revenue or units (in ``category``, titled like ``product``, sold through
    ``channel``, if given); ``total``: how many products sold."""
    order = "revenue_minor DESC, units DESC" if by == "revenue" else "units DESC, revenue_minor DESC"
    if lowest_first:
        order = order.replace("DESC", "ASC")
    cur = await conn.execute(
        f"SELECT l.product_id AS key, min(l.title) AS label, {_LINE_SUMS},"
        " count(DISTINCT o.id)::int AS orders, count(*) OVER ()::int AS total"
        f"{_LINES} WHERE {_SALES} AND {_IN_CATEGORY} AND {_TITLED.format(title='l.title')} AND {_IN_CHANNEL}"
        f" GROUP BY l.product_id ORDER BY {order}, l.product_id LIMIT %(limit)s",
        _params(start, end, currency, limit=limit, category=category, product=product, channel=channel),
    )
    return cast(list[LineSalesRow], await cur.fetchall())


class UnsoldProductRow(TypedDict):
    product_id: str
    title: str
    category: str
    stock: int
    total: int


async def unsold_products(conn: Conn, start: datetime, end: datetime, limit: int) -> list[UnsoldProductRow]:
    """Products with active variants and no sales order line in ``[start, end)``; ``total``: how many."""
    cur = await conn.execute(
        "SELECT p.id AS product_id, p.title, coalesce(p.category, '') AS category,"
        " sum(v.stock)::int AS stock, count(*) OVER ()::int AS total"
        " FROM products p JOIN variants v ON v.product_id = p.id AND v.active"
        " WHERE NOT EXISTS (SELECT 1 FROM order_lines l JOIN orders o ON o.id = l.order_id"
        f" WHERE l.product_id = p.id AND o.status = ANY(%(statuses)s) AND {_within('o.created_at')})"
        " GROUP BY p.id ORDER BY stock DESC, p.id LIMIT %(limit)s",
        _params(start, end, limit=limit),
    )
    return cast(list[UnsoldProductRow], await cur.fetchall())


async def first_order_at(conn: Conn) -> datetime | None:
    """When the first sale was placed (None before any)."""
    cur = await conn.execute(
        "SELECT min(created_at) AS first FROM orders WHERE status = ANY(%(statuses)s)",
        {"statuses": _STATUSES},
    )
    row = await cur.fetchone()
    return None if row is None else row["first"]


async def product_titles(conn: Conn) -> list[str]:
    cur = await conn.execute("SELECT DISTINCT title FROM products ORDER BY 1")
    return [row["title"] for row in await cur.fetchall()]


async def category_sales(
    conn: Conn,
    start: datetime,
    end: datetime,
    currency: str,
    *,
    limit: int | None,
    channel: str | None = None,
) -> list[LineSalesRow]:
    """Line revenue and units per category (products no longer in the catalog: ''), of ``channel``'s
    orders only when given."""
    cur = await conn.execute(
        "SELECT coalesce(p.category, '') AS key, coalesce(p.category, '') AS label,"
        f" {_LINE_SUMS}, count(DISTINCT o.id)::int AS orders, count(*) OVER ()::int AS total"
        f"{_LINES} WHERE {_SALES} AND {_IN_CHANNEL}"
        " GROUP BY 1 ORDER BY revenue_minor DESC, 1 LIMIT %(limit)s",
        _params(start, end, currency, limit=limit, channel=channel),
    )
    return cast(list[LineSalesRow], await cur.fetchall())


async def order_sales(
    conn: Conn,
    start: datetime,
    end: datetime,
    currency: str,
    *,
    by: str,
    limit: int,
    channel: str | None = None,
) -> list[OrderSalesRow]:
    """Order revenue (``total_minor``) and order count per channel or per customer, highest first (of
    ``channel``'s orders only, when given)."""
    key = _CHANNEL if by == "channel" else "o.customer_id::text"
    label = _CHANNEL if by == "channel" else "min(coalesce(c.display_name, c.email, left(c.id::text, 8)))"
    cur = await conn.execute(
        f"SELECT {key} AS key, {label} AS label, NULL::int AS units,"
        " sum(o.total_minor)::bigint AS revenue_minor, count(*)::int AS orders,"
        " count(*) OVER ()::int AS total"
        f" FROM orders o JOIN customers c ON c.id = o.customer_id WHERE {_SALES} AND {_IN_CHANNEL}"
        " GROUP BY 1 ORDER BY revenue_minor DESC, orders DESC, 1 LIMIT %(limit)s",
        _params(start, end, currency, limit=limit, channel=channel),
    )
    return cast(list[OrderSalesRow], await cur.fetchall())


class CategoryBestRow(TypedDict):
    category: str
    product_id: str
    title: str
    units: int
    revenue_minor: int


async def best_per_category(
    conn: Conn, start: datetime, end: datetime, currency: str
) -> list[CategoryBestRow]:
    """The best-selling product (line revenue) of each category."""
    cur = await conn.execute(
        "SELECT DISTINCT ON (category) category, product_id, title, units, revenue_minor FROM ("
        f" SELECT coalesce(p.category, '') AS category, l.product_id, min(l.title) AS title, {_LINE_SUMS}"
        f"{_LINES} WHERE {_SALES} GROUP BY 1, 2) x"
        " ORDER BY category, revenue_minor DESC, units DESC, product_id",
        _params(start, end, currency),
    )
    return cast(list[CategoryBestRow], await cur.fetchall())


async def categories(conn: Conn) -> list[str]:
    cur = await conn.execute("SELECT DISTINCT category FROM products WHERE category <> '' ORDER BY 1")
    return [row["category"] for row in await cur.fetchall()]


class RefundTotalsRow(TypedDict):
    refunded_orders: int
    refunded_minor: int


async def refunds(conn: Conn, start: datetime, end: datetime, currency: str) -> RefundTotalsRow:
    """Orders refunded in ``[start, end)`` (when the refund was recorded; else the order's last change)."""
    cur = await conn.execute(
        "SELECT count(*)::int AS refunded_orders, coalesce(sum(o.total_minor), 0)::bigint AS refunded_minor"
        " FROM orders o CROSS JOIN LATERAL (SELECT coalesce(max(e.created_at), o.updated_at) AS at"
        " FROM order_events e WHERE e.order_id = o.id AND e.status = 'refunded') r"
        f" WHERE o.status = 'refunded' AND o.currency = %(currency)s AND {_within('r.at')}",
        _params(start, end, currency),
    )
    row = await cur.fetchone()
    assert row is not None
    return cast(RefundTotalsRow, row)


class ReturnsByStatusRow(TypedDict):
    status: str
    requests: int
    items: int


async def returns(conn: Conn, start: datetime, end: datetime) -> list[ReturnsByStatusRow]:
    """Return requests made in ``[start, end)`` by status, with how many items they name."""
    cur = await conn.execute(
        "SELECT status, count(*)::int AS requests, coalesce(sum(cardinality(skus)), 0)::int AS items"
        f" FROM returns WHERE {_within('created_at')} GROUP BY status ORDER BY status",
        _params(start, end),
    )
    return cast(list[ReturnsByStatusRow], await cur.fetchall())


class ConversionRow(TypedDict):
    conversations: int
    shoppers: int
    buyers: int
    searches: int
    empty_searches: int


async def conversion(conn: Conn, start: datetime, end: datetime) -> ConversionRow:
    """Conversations started in ``[start, end)``, how many of their customers placed a sales order in it,
    and the searches run in it (with how many found nothing)."""
    chats = f"FROM conversations c WHERE {_within('c.created_at')}"
    searches = f"FROM search_log WHERE {_within('created_at')}"
    cur = await conn.execute(
        f"SELECT (SELECT count(*) {chats})::int AS conversations,"
        f" (SELECT count(DISTINCT c.customer_id) {chats})::int AS shoppers,"
        " (SELECT count(DISTINCT c.customer_id) FROM conversations c JOIN orders o"
        f" ON o.customer_id = c.customer_id AND o.status = ANY(%(statuses)s) AND {_within('o.created_at')}"
        f" WHERE {_within('c.created_at')})::int AS buyers,"
        f" (SELECT count(*) {searches})::int AS searches,"
        f" (SELECT count(*) {searches} AND cardinality(result_ids) = 0)::int AS empty_searches",
        _params(start, end),
    )
    row = await cur.fetchone()
    assert row is not None
    return cast(ConversionRow, row)


class EmptyQueryRow(TypedDict):
    query: str
    searches: int


async def empty_queries(conn: Conn, start: datetime, end: datetime, limit: int) -> list[EmptyQueryRow]:
    cur = await conn.execute(
        "SELECT lower(query) AS query, count(*)::int AS searches FROM search_log"
        f" WHERE {_within('created_at')} AND cardinality(result_ids) = 0"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(limit)s",
        _params(start, end, limit=limit),
    )
    return cast(list[EmptyQueryRow], await cur.fetchall())


class AbandonedTotalsRow(TypedDict):
    carts: int
    value_minor: int


async def carts_abandoned_in(
    conn: Conn, start: datetime, end: datetime, before: datetime
) -> AbandonedTotalsRow:
    """Open carts with lines whose last change is in ``[start, end)`` and before ``before``."""
    cur = await conn.execute(
        "SELECT count(*)::int AS carts, coalesce(sum(value_minor), 0)::bigint AS value_minor FROM ("
        " SELECT sum(cl.quantity * v.price_minor) AS value_minor,"
        " greatest(c.updated_at, max(cl.added_at)) AS last_change"
        " FROM carts c JOIN cart_lines cl ON cl.cart_id = c.id JOIN variants v ON v.sku = cl.sku"
        " WHERE c.status = 'open' GROUP BY c.id) x"
        f" WHERE {_within('last_change')} AND last_change < %(before)s",
        _params(start, end, before=before),
    )
    row = await cur.fetchone()
    assert row is not None
    return cast(AbandonedTotalsRow, row)


class StockCoverRow(TypedDict):
    sku: str
    product_id: str
    title: str
    stock: int
    units: int
    cover_days: float | None  # None: it did not sell in the window
    total: int
    all_stock: int  # stock and units sold of every variant asked about (product, category), listed or not
    all_units: int


async def stock_cover(
    conn: Conn,
    start: datetime,
    end: datetime,
    days: int,
    max_days: float | None,
    limit: int,
    *,
    product: str | None = None,
    category: str | None = None,
) -> list[StockCoverRow]:
    """Active variants (titled like ``product``, in ``category``, when given): stock, units sold in
    ``[start, end)``, and days of stock left at that rate (``stock * days / units``), fewest days first;
    ``total``: how many qualify. Store-wide, only the variants that sold; for a product or category, its
    unsold variants too (no cover days, listed last)."""
    sold = (
        "SELECT l.sku, sum(l.quantity)::int AS units FROM order_lines l JOIN orders o ON o.id = l.order_id"
        f" WHERE o.status = ANY(%(statuses)s) AND {_within('o.created_at')} GROUP BY l.sku"
    )
    cur = await conn.execute(
        "SELECT sku, product_id, title, stock, units, cover_days, count(*) OVER ()::int AS total,"
        " all_stock, all_units FROM ("
        " SELECT v.sku, v.product_id, p.title, v.stock, coalesce(s.units, 0) AS units,"
        " round(v.stock * %(days)s::numeric / nullif(s.units, 0), 1)::float AS cover_days,"
        " (sum(v.stock) OVER ())::int AS all_stock, (sum(coalesce(s.units, 0)) OVER ())::int AS all_units"
        f" FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN ({sold}) s ON s.sku = v.sku"
        f" WHERE v.active AND {_IN_CATEGORY} AND {_TITLED.format(title='p.title')}"
        " AND (s.units > 0 OR %(product)s::text IS NOT NULL OR %(category)s::text IS NOT NULL)) x"
        " WHERE %(max_days)s::float IS NULL OR cover_days <= %(max_days)s::float"
        " ORDER BY cover_days NULLS LAST, sku LIMIT %(limit)s",
        _params(start, end, days=days, max_days=max_days, limit=limit, product=product, category=category),
    )
    return cast(list[StockCoverRow], await cur.fetchall())
