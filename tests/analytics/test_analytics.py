"""Analytics figures, each checked against SQL written independently here, on the demo store plus
orders, carts and searches inserted at fixed times far from any demo data."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import NoneType, UnionType
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict
from uuid import UUID

import pytest

from elara_bot.analytics import repository as repo
from elara_bot.analytics import service
from elara_bot.db import Conn
from elara_bot.errors import InvalidInput, NotFound

NOW = datetime(2031, 3, 15, 12, 0, tzinfo=UTC)
SALES = ("paid", "fulfilled", "delivered")


async def _one(conn: Conn, sql: str, params: tuple[Any, ...] = ()) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    assert row is not None
    return next(iter(row.values()))


async def _customer(conn: Conn, name: str) -> UUID:
    cur = await conn.execute("INSERT INTO customers (display_name) VALUES (%s) RETURNING id", (name,))
    row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["id"]))


async def _variants(conn: Conn, n: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT v.sku, v.product_id, p.title, v.price_minor FROM variants v"
        " JOIN products p ON p.id = v.product_id WHERE v.currency = 'USD'"
        " ORDER BY v.sku LIMIT %s",
        (n,),
    )
    return await cur.fetchall()


async def _order(
    conn: Conn,
    customer: UUID,
    number: str,
    status: str,
    at: datetime,
    lines: list[tuple[dict[str, Any], int]],
) -> None:
    total = sum(v["price_minor"] * q for v, q in lines)
    cur = await conn.execute(
        "INSERT INTO orders (number, customer_id, status, currency, total_minor, created_at)"
        " VALUES (%s, %s, %s, 'USD', %s, %s) RETURNING id",
        (number, customer, status, total, at),
    )
    row = await cur.fetchone()
    assert row is not None
    for v, q in lines:
        await conn.execute(
            "INSERT INTO order_lines (order_id, sku, product_id, title, quantity, unit_price_minor)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (row["id"], v["sku"], v["product_id"], v["title"], q, v["price_minor"]),
        )


@pytest.fixture
async def shop(conn: Conn) -> Conn:
    v = await _variants(conn, 6)
    alice, bob = await _customer(conn, "Alice"), await _customer(conn, "Bob")
    day = timedelta(days=1)
    await _order(conn, alice, "EL-T00001", "paid", NOW - timedelta(hours=2), [(v[0], 2), (v[1], 1)])
    await _order(conn, bob, "EL-T00002", "delivered", NOW - timedelta(hours=3), [(v[2], 3)])
    await _order(conn, bob, "EL-T00003", "cancelled", NOW - timedelta(hours=1), [(v[3], 5)])
    await _order(conn, alice, "EL-T00004", "pending_payment", NOW, [(v[3], 4)])
    await _order(conn, alice, "EL-T00005", "fulfilled", NOW - day, [(v[0], 1), (v[4], 2)])
    await _order(conn, bob, "EL-T00006", "refunded", NOW - day, [(v[5], 1)])
    await _order(conn, bob, "EL-T00007", "paid", NOW - 2 * day, [(v[5], 2)])
    await _order(conn, alice, "EL-T00008", "paid", NOW - 9 * day, [(v[1], 7)])
    await _order(conn, bob, "EL-T00009", "expired", NOW - 3 * day, [(v[2], 1)])
    return conn


async def _expected_totals(conn: Conn, start: datetime, end: datetime) -> tuple[int, int]:
    cur = await conn.execute(
        "SELECT coalesce(sum(t), 0) AS revenue, count(*) AS n FROM ("
        " SELECT sum(l.quantity * l.unit_price_minor) AS t FROM orders o"
        " JOIN order_lines l ON l.order_id = o.id"
        " WHERE o.status IN ('paid', 'fulfilled', 'delivered') AND o.currency = 'USD'"
        " AND o.created_at >= %s AND o.created_at < %s GROUP BY o.id) x",
        (start, end),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["revenue"]), int(row["n"])


@pytest.mark.parametrize("name", ["today", "yesterday", "last_7_days", "last_30_days", "this_month"])
async def test_sales_summary_matches_sql(shop: Conn, name: Any) -> None:
    period = service.resolve_period(name, now=NOW)
    summary = await service.sales_summary(shop, period)
    revenue, count = await _expected_totals(shop, period.start, period.end)
    assert (summary.current.revenue_minor, summary.current.order_count) == (revenue, count)
    average = await _one(
        shop, "SELECT coalesce(round(%s::numeric / nullif(%s, 0)), 0)::int", (revenue, count)
    )
    assert summary.current.average_order_minor == average
    length = period.end - period.start
    assert summary.previous_period.end == period.start
    # this month (to date) is compared with the whole previous calendar month, a window with as many days
    start = (
        period.start.replace(month=period.start.month - 1) if name == "this_month" else period.start - length
    )
    assert summary.previous_period.start == start
    prev = await _expected_totals(shop, start, period.start)
    assert (summary.previous.revenue_minor, summary.previous.order_count) == prev
    assert count > 0


async def test_today_counts_only_sales_statuses(shop: Conn) -> None:
    summary = await service.sales_summary(shop, service.resolve_period("today", now=NOW))
    assert summary.current.order_count == 2  # paid + delivered; cancelled and pending excluded
    yesterday = await service.sales_summary(shop, service.resolve_period("yesterday", now=NOW))
    assert yesterday.current.order_count == 1  # fulfilled; refunded excluded
    expected = round(
        (summary.current.revenue_minor - yesterday.current.revenue_minor)
        * 100
        / yesterday.current.revenue_minor,
        1,
    )
    assert summary.revenue_change_pct == expected


async def test_date_range_is_inclusive_and_validated(shop: Conn) -> None:
    period = service.resolve_period("range", first_day=date(2031, 3, 6), last_day=date(2031, 3, 6))
    summary = await service.sales_summary(shop, period)
    assert summary.current.order_count == 1  # EL-T00008, nine days before NOW
    with pytest.raises(InvalidInput):
        service.resolve_period("range", first_day=date(2031, 3, 7), last_day=date(2031, 3, 6))


@pytest.mark.parametrize("by", ["revenue", "units"])
async def test_top_products_match_sql(shop: Conn, by: Any) -> None:
    period = service.resolve_period("last_7_days", now=NOW)
    top = await service.top_products(shop, period, by=by, limit=5)
    cur = await shop.execute(
        "SELECT l.product_id, sum(l.quantity) AS units, sum(l.quantity * l.unit_price_minor) AS rev"
        " FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.status IN ('paid', 'fulfilled', 'delivered')"
        " AND o.created_at >= %s AND o.created_at < %s GROUP BY 1",
        (period.start, period.end),
    )
    expected = {r["product_id"]: (int(r["units"]), int(r["rev"])) for r in await cur.fetchall()}
    assert len(top) == min(5, len(expected))
    for row in top:
        assert (row.units, row.revenue_minor) == expected[row.product_id]
    key = [(-p.revenue_minor if by == "revenue" else -p.units) for p in top]
    assert key == sorted(key)


async def test_sales_by_category_match_sql(shop: Conn) -> None:
    period = service.resolve_period("this_month", now=NOW)
    rows = await service.sales_by_category(shop, period)
    cur = await shop.execute(
        "SELECT p.category, sum(l.quantity * l.unit_price_minor) AS rev FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id"
        " WHERE o.status IN ('paid', 'fulfilled', 'delivered')"
        " AND o.created_at >= %s AND o.created_at < %s GROUP BY 1",
        (period.start, period.end),
    )
    expected = {r["category"]: int(r["rev"]) for r in await cur.fetchall()}
    assert {r.category: r.revenue_minor for r in rows} == expected
    total, _ = await _expected_totals(shop, period.start, period.end)
    assert sum(r.revenue_minor for r in rows) == total


async def test_low_stock_threshold(shop: Conn) -> None:
    sku = (await _variants(shop, 1))[0]["sku"]
    await shop.execute("UPDATE variants SET stock = 1 WHERE sku = %s", (sku,))
    rows = await service.low_stock(shop, threshold=2, limit=1000)
    expected = await _one(shop, "SELECT count(*) FROM variants WHERE active AND stock <= 2")
    assert len(rows) == expected
    assert sku in {r.sku for r in rows}
    assert all(r.stock <= 2 for r in rows)
    with pytest.raises(InvalidInput):
        await service.low_stock(shop, threshold=-1)


async def test_abandoned_carts(shop: Conn) -> None:
    v = await _variants(shop, 2)
    old, fresh, empty = [await _customer(shop, n) for n in ("Old", "Fresh", "Empty")]
    for who, at in (
        (old, NOW - timedelta(hours=30)),
        (fresh, NOW - timedelta(hours=2)),
        (empty, NOW - timedelta(hours=50)),
    ):
        cur = await shop.execute(
            "INSERT INTO carts (customer_id, created_at, updated_at) VALUES (%s, %s, %s) RETURNING id",
            (who, at, at),
        )
        row = await cur.fetchone()
        assert row is not None
        if who != empty:
            for variant, qty in ((v[0], 2), (v[1], 1)):
                await shop.execute(
                    "INSERT INTO cart_lines (cart_id, sku, quantity, added_at) VALUES (%s, %s, %s, %s)",
                    (row["id"], variant["sku"], qty, at),
                )
    carts = await service.abandoned_carts(shop, idle_hours=24, now=NOW)
    mine = [c for c in carts if c.customer_name in ("Old", "Fresh", "Empty")]
    assert [c.customer_name for c in mine] == ["Old"]
    assert mine[0].units == 3
    assert mine[0].value_minor == 2 * v[0]["price_minor"] + v[1]["price_minor"]


async def test_order_details(shop: Conn) -> None:
    order = await service.order_details(shop, "el-t00005")
    assert (order.number, order.status, order.customer_name) == ("EL-T00005", "fulfilled", "Alice")
    total = await _one(shop, "SELECT total_minor FROM orders WHERE number = 'EL-T00005'")
    assert order.total_minor == total == sum(line.line_total_minor for line in order.lines)
    assert sorted(line.quantity for line in order.lines) == [1, 2]
    with pytest.raises(NotFound):
        await service.order_details(shop, "EL-NOPE00")


async def test_wanted_out_of_stock(shop: Conn) -> None:
    cur = await shop.execute("SELECT id FROM products ORDER BY id LIMIT 3")
    a, b, c = (r["id"] for r in await cur.fetchall())
    rows = [([a, b], [b]), ([a, c], [c]), ([b, c], [b]), ([a], [a])]
    for result_ids, in_stock in rows:
        await shop.execute(
            "INSERT INTO search_log (query, result_ids, in_stock_ids, created_at) VALUES (%s, %s, %s, %s)",
            ("q", result_ids, in_stock, NOW - timedelta(days=1)),
        )
    await shop.execute(
        "INSERT INTO search_log (query, result_ids, in_stock_ids, created_at) VALUES ('old', %s, '{}', %s)",
        ([c], NOW - timedelta(days=90)),
    )
    wanted = await service.wanted_out_of_stock(shop, days=30, limit=50, now=NOW)
    cur = await shop.execute(
        "SELECT r AS id, count(*) AS n FROM search_log, unnest(result_ids) r"
        " WHERE created_at >= %s AND r <> ALL(in_stock_ids) GROUP BY r",
        (NOW - timedelta(days=30),),
    )
    expected = {row["id"]: int(row["n"]) for row in await cur.fetchall()}
    assert {w.product_id: w.searches for w in wanted} == expected
    assert expected[a] == 2
    assert expected[c] == 1


async def test_daily_revenue_series(shop: Conn) -> None:
    period = service.resolve_period("last_7_days", now=NOW)
    series = await service.daily_revenue(shop, period)
    assert [d.day for d in series] == [date(2031, 3, 9) + timedelta(days=i) for i in range(7)]
    for point in series:
        start = datetime.combine(point.day, datetime.min.time(), tzinfo=UTC)
        expected = await _expected_totals(shop, start, start + timedelta(days=1))
        assert (point.revenue_minor, point.order_count) == expected
    summary = await service.sales_summary(shop, period)
    assert sum(d.revenue_minor for d in series) == summary.current.revenue_minor


def _row_type(query: Callable[..., Any]) -> Any:
    """The TypedDict a repository query returns (one, optional, or a list of them); None if it returns
    something else."""
    hint = get_type_hints(query)["return"]
    for arg in (hint, *get_args(hint)):
        inner = get_args(arg)[0] if get_origin(arg) is list else arg
        if is_typeddict(inner):
            return inner
    return None


def _instance_types(hint: Any) -> tuple[type, ...]:
    if get_origin(hint) is UnionType:
        return tuple(t for arg in get_args(hint) for t in _instance_types(arg))
    return (NoneType,) if hint is None else (get_origin(hint) or hint,)


async def test_repository_rows_are_what_their_types_say(shop: Conn) -> None:
    """Rows are cast to their TypedDicts unchecked: every query's real rows must have exactly the declared
    fields, each value of its declared type (a NULL where none is declared fails)."""
    v = await _variants(shop, 1)
    day = timedelta(days=1)
    cart = await _one(
        shop,
        "INSERT INTO carts (customer_id, updated_at) VALUES (%s, %s) RETURNING id",
        (await _customer(shop, "Idle"), NOW - 2 * day),
    )
    await shop.execute(
        "INSERT INTO cart_lines (cart_id, sku, quantity, added_at) VALUES (%s, %s, 1, %s)",
        (cart, v[0]["sku"], NOW - 2 * day),
    )
    await shop.execute(
        "INSERT INTO search_log (query, result_ids, in_stock_ids, created_at)"
        " VALUES ('tent', '{}', '{}', %s), ('boot', %s, '{}', %s)",
        (NOW - day, [v[0]["product_id"]], NOW - day),
    )
    order = await _one(shop, "SELECT id FROM orders WHERE number = 'EL-T00005'")
    await shop.execute(
        "INSERT INTO returns (order_id, skus, created_at) VALUES (%s, %s, %s)", (order, [v[0]["sku"]], NOW)
    )
    week = service.resolve_period("last_7_days", now=NOW)
    span, usd = (week.start, week.end), (week.start, week.end, "USD")
    calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
        (repo.totals, usd, {}),
        (repo.low_stock, (1000, 5), {}),
        (repo.abandoned_carts, (NOW, 5), {}),
        (repo.order_by_number, ("el-t00005",), {}),
        (repo.order_lines, (order,), {}),
        (repo.wanted_out_of_stock, (week.start, 5, week.end), {}),
        (repo.daily_revenue, (week.first_day, week.last_day, "USD", "UTC"), {}),
        (repo.product_sales, usd, {"by": "units", "limit": 5}),
        (repo.category_sales, usd, {"limit": None}),
        (repo.order_sales, usd, {"by": "channel", "limit": 5}),
        (repo.order_sales, usd, {"by": "customer", "limit": 5}),
        (repo.unsold_products, (NOW + day, NOW + 2 * day, 5), {}),  # nothing sold then
        (repo.best_per_category, usd, {}),
        (repo.refunds, usd, {}),
        (repo.returns, span, {}),
        (repo.conversion, span, {}),
        (repo.empty_queries, (*span, 5), {}),
        (repo.carts_abandoned_in, (*span, NOW), {}),
        (repo.stock_cover, (*span, 7, None, 5), {}),
    ]
    typed = {q for q in vars(repo).values() if inspect.iscoroutinefunction(q) and _row_type(q)}
    assert typed == {query for query, _, _ in calls}
    for query, args, kwargs in calls:
        found = await query(shop, *args, **kwargs)
        rows = found if isinstance(found, list) else [found]
        assert rows, query.__name__  # each query is given data to return
        assert None not in rows, query.__name__
        fields = get_type_hints(_row_type(query))
        for row in rows:
            assert set(row) == set(fields), query.__name__
            for name, hint in fields.items():
                assert isinstance(row[name], _instance_types(hint)), (query.__name__, name, row[name])
