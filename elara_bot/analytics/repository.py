"""All analytics SQL. Read-only; sales are orders whose status is in ``SALES_STATUSES``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elara_bot.analytics.schemas import SALES_STATUSES
from elara_bot.db import Conn

_STATUSES = list(SALES_STATUSES)


async def totals(conn: Conn, start: datetime, end: datetime, currency: str) -> dict[str, Any]:
    """Revenue (sum of ``orders.total_minor``) and count of sales orders created in ``[start, end)``."""
    cur = await conn.execute(
        "SELECT coalesce(sum(total_minor), 0)::bigint AS revenue_minor, count(*)::int AS order_count"
        " FROM orders WHERE status = ANY(%s) AND currency = %s AND created_at >= %s AND created_at < %s",
        (_STATUSES, currency, start, end),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def top_products(
    conn: Conn, start: datetime, end: datetime, currency: str, by: str, limit: int
) -> list[dict[str, Any]]:
    """Products ranked by line revenue (quantity x unit price) or units, over sales orders."""
    order = "revenue_minor DESC, units DESC" if by == "revenue" else "units DESC, revenue_minor DESC"
    cur = await conn.execute(
        "SELECT l.product_id, min(l.title) AS title, sum(l.quantity)::int AS units,"
        " sum(l.quantity * l.unit_price_minor)::bigint AS revenue_minor"
        " FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.status = ANY(%s) AND o.currency = %s AND o.created_at >= %s AND o.created_at < %s"
        f" GROUP BY l.product_id ORDER BY {order}, l.product_id LIMIT %s",
        (_STATUSES, currency, start, end, limit),
    )
    return await cur.fetchall()


async def sales_by_category(
    conn: Conn, start: datetime, end: datetime, currency: str
) -> list[dict[str, Any]]:
    """Line revenue and units per product category (products no longer in the catalog: '')."""
    cur = await conn.execute(
        "SELECT coalesce(p.category, '') AS category, sum(l.quantity)::int AS units,"
        " sum(l.quantity * l.unit_price_minor)::bigint AS revenue_minor"
        " FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " LEFT JOIN products p ON p.id = l.product_id"
        " WHERE o.status = ANY(%s) AND o.currency = %s AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY 1 ORDER BY revenue_minor DESC, category",
        (_STATUSES, currency, start, end),
    )
    return await cur.fetchall()


async def low_stock(
    conn: Conn, threshold: int, limit: int, skus: list[str] | None = None
) -> list[dict[str, Any]]:
    """Active variants whose stock is at or below ``threshold`` (among ``skus`` if given), lowest first."""
    cur = await conn.execute(
        "SELECT v.sku, v.product_id, p.title, v.options, v.stock FROM variants v"
        " JOIN products p ON p.id = v.product_id"
        " WHERE v.active AND v.stock <= %s AND (%s::text[] IS NULL OR v.sku = ANY(%s::text[]))"
        " ORDER BY v.stock, v.sku LIMIT %s",
        (threshold, skus, skus, limit),
    )
    return await cur.fetchall()


async def abandoned_carts(conn: Conn, before: datetime, limit: int) -> list[dict[str, Any]]:
    """Open carts with lines whose last change (cart or line) is before ``before``."""
    cur = await conn.execute(
        "SELECT c.id AS cart_id, c.customer_id::text AS customer_id, cu.display_name AS customer_name,"
        " count(*)::int AS line_count, sum(cl.quantity)::int AS units,"
        " sum(cl.quantity * v.price_minor)::bigint AS value_minor,"
        " greatest(c.updated_at, max(cl.added_at)) AS updated_at"
        " FROM carts c JOIN cart_lines cl ON cl.cart_id = c.id JOIN variants v ON v.sku = cl.sku"
        " JOIN customers cu ON cu.id = c.customer_id WHERE c.status = 'open'"
        " GROUP BY c.id, cu.display_name HAVING greatest(c.updated_at, max(cl.added_at)) < %s"
        " ORDER BY value_minor DESC, c.id LIMIT %s",
        (before, limit),
    )
    return await cur.fetchall()


async def order_by_number(conn: Conn, number: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        "SELECT o.id, o.number, o.status, o.currency, o.total_minor, o.created_at,"
        " c.display_name AS customer_name FROM orders o JOIN customers c ON c.id = o.customer_id"
        " WHERE upper(o.number) = upper(%s)",
        (number,),
    )
    return await cur.fetchone()


async def order_lines(conn: Conn, order_id: Any) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT sku, title, quantity, unit_price_minor,"
        " (quantity * unit_price_minor)::bigint AS line_total_minor"
        " FROM order_lines WHERE order_id = %s ORDER BY title, sku",
        (order_id,),
    )
    return await cur.fetchall()


async def wanted_out_of_stock(conn: Conn, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Products shown in search results while out of stock, by how many searches showed them."""
    cur = await conn.execute(
        "SELECT r.product_id, p.title, count(*)::int AS searches"
        " FROM search_log s CROSS JOIN LATERAL unnest(s.result_ids) AS r(product_id)"
        " JOIN products p ON p.id = r.product_id"
        " WHERE s.created_at >= %s AND NOT (r.product_id = ANY(s.in_stock_ids))"
        " GROUP BY r.product_id, p.title ORDER BY searches DESC, r.product_id LIMIT %s",
        (since, limit),
    )
    return await cur.fetchall()


async def daily_revenue(conn: Conn, start: datetime, end: datetime, currency: str) -> list[dict[str, Any]]:
    """One row per UTC day in ``[start, end)``, zero-filled."""
    cur = await conn.execute(
        "SELECT d::date AS day, coalesce(sum(o.total_minor), 0)::bigint AS revenue_minor,"
        " count(o.id)::int AS order_count"
        " FROM generate_series((%s::timestamptz AT TIME ZONE 'UTC')::date,"
        " (%s::timestamptz AT TIME ZONE 'UTC')::date - 1, interval '1 day') AS d"
        " LEFT JOIN orders o ON (o.created_at AT TIME ZONE 'UTC')::date = d::date"
        " AND o.status = ANY(%s) AND o.currency = %s"
        " GROUP BY 1 ORDER BY 1",
        (start, end, _STATUSES, currency),
    )
    return await cur.fetchall()
