"""The merchant analyst's answers, each figure checked to the cent against SQL written here over the seeded
history (tests/analytics/history.py); the hosted path through ChatOpenAI and the scripted stand-in."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY

from elara_bot.agent.merchant_analyst import FALLBACK_NOTICE, MerchantAnalyst
from elara_bot.agent.merchant_tools import low_stock, money
from elara_bot.agent.model import build_chat_model
from elara_bot.agent.offline_merchant import CANNOT, OfflineMerchantModel
from elara_bot.config import LLMSettings
from elara_bot.contracts import ChartPart, TablePart
from elara_bot.db import Conn
from tests.analytics.history import NOW

SALES = "o.status IN ('paid', 'fulfilled', 'delivered') AND o.currency = 'USD'"


def _utc(day: date, zone: str = "UTC") -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def _rows(conn: Conn, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


async def _totals(conn: Conn, first: date, last: date, zone: str = "UTC") -> tuple[int, int]:
    [row] = await _rows(
        conn,
        f"SELECT coalesce(sum(o.total_minor), 0)::bigint AS r, count(*)::int AS n FROM orders o WHERE {SALES}"
        " AND o.created_at >= %s AND o.created_at < %s",
        (_utc(first, zone), _utc(last + timedelta(days=1), zone)),
    )
    return int(row["r"]), int(row["n"])


def _tables(reply: Any) -> list[TablePart]:
    return [p for p in reply.parts if isinstance(p, TablePart)]


async def ask(conn: Conn, question: str, **kwargs: Any) -> Any:
    return await MerchantAnalyst(now=NOW, **kwargs).answer(conn, question)


async def test_named_month(history: Conn) -> None:
    reply = await ask(history, "What did we sell in November?")
    revenue, count = await _totals(history, date(2030, 11, 1), date(2030, 11, 30))
    assert count > 0
    assert (
        f"Revenue November 2030 (2030-11-01 to 2030-11-30): {money(revenue)} from {count} orders"
        in reply.text
    )
    top = await _rows(
        history,
        "SELECT min(l.title) AS t, sum(l.quantity * l.unit_price_minor)::bigint AS r FROM order_lines l"
        f" JOIN orders o ON o.id = l.order_id WHERE {SALES} AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY l.product_id ORDER BY r DESC, l.product_id",
        (_utc(date(2030, 11, 1)), _utc(date(2030, 12, 1))),
    )
    table = _tables(reply)[1]
    assert [(r[1], r[3]) for r in table.rows] == [(t["t"], money(int(t["r"]))) for t in top]


async def test_last_month_is_the_previous_calendar_month(history: Conn) -> None:
    reply = await ask(history, "how much revenue last month?")
    revenue, count = await _totals(history, date(2031, 2, 1), date(2031, 2, 28))
    before, n_before = await _totals(history, date(2031, 1, 1), date(2031, 1, 31))
    assert f"last month (2031-02-01 to 2031-02-28): {money(revenue)} from {count} orders" in reply.text
    assert f"January 2031 (2031-01-01 to 2031-01-31): {money(before)} from {n_before} orders" in reply.text


async def test_black_friday_and_since_monday(history: Conn) -> None:
    friday = await ask(history, "sales on Black Friday?")
    revenue, count = await _totals(history, date(2030, 11, 29), date(2030, 11, 29))
    orders = f"{count} order" + ("" if count == 1 else "s")  # "1 order", never "1 orders"
    assert f"black friday (Fri 2030-11-29): {money(revenue)} from {orders}" in friday.text
    since = await ask(history, "revenue since Monday")
    revenue, count = await _totals(history, date(2031, 3, 10), date(2031, 3, 15))
    assert f"(2031-03-10 to 2031-03-15): {money(revenue)} from {count} orders" in since.text


async def test_store_time_zone(history: Conn) -> None:
    zone = "America/New_York"
    # 02:00 UTC on December 1st is still November 30th in New York
    await history.execute(
        "INSERT INTO orders (number, customer_id, status, currency, total_minor, created_at)"
        " SELECT 'EL-TZ0001', id, 'paid', 'USD', 4321, '2030-12-01T02:00:00Z' FROM customers LIMIT 1"
    )
    reply = await ask(history, "revenue in December", zone=zone)
    revenue, count = await _totals(history, date(2030, 12, 1), date(2030, 12, 31), zone)
    utc_revenue, _ = await _totals(history, date(2030, 12, 1), date(2030, 12, 31))
    assert (
        f"December 2030 (2030-12-01 to 2030-12-31), {zone}: {money(revenue)} from {count} orders"
        in reply.text
    )
    assert revenue != utc_revenue


async def test_best_seller_in_a_category(history: Conn) -> None:
    reply = await ask(history, "which product sells best in Outdoor last quarter?")
    rows = await _rows(
        history,
        "SELECT min(l.title) AS t, sum(l.quantity * l.unit_price_minor)::bigint AS r FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id"
        f" WHERE {SALES} AND p.category LIKE 'Outdoor >%%' AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY l.product_id ORDER BY r DESC, l.product_id",
        (_utc(date(2030, 10, 1)), _utc(date(2031, 1, 1))),
    )
    [table] = _tables(reply)
    assert table.rows[0][1] == rows[0]["t"]
    assert table.rows[0][3] == money(int(rows[0]["r"]))
    assert {r[1] for r in table.rows} <= {"Trail Boot", "Camp Mug", "Wool Sock"}
    assert "last quarter (2030-10-01 to 2030-12-31)" in reply.text


async def test_one_product(history: Conn) -> None:
    reply = await ask(history, "how many socks did we sell in February?")
    [row] = await _rows(
        history,
        "SELECT sum(l.quantity)::int AS u, sum(l.quantity * l.unit_price_minor)::bigint AS r"
        " FROM order_lines l"
        f" JOIN orders o ON o.id = l.order_id WHERE {SALES} AND l.title ILIKE '%%sock%%'"
        " AND o.created_at >= %s AND o.created_at < %s",
        (_utc(date(2031, 2, 1)), _utc(date(2031, 3, 1))),
    )
    [table] = _tables(reply)
    assert [r[1:] for r in table.rows] == [["Wool Sock", str(row["u"]), money(int(row["r"]))]]
    assert "February 2031 (2031-02-01 to 2031-02-28)" in reply.text


async def test_worst_and_unsold_products(history: Conn) -> None:
    start, end = _utc(date(2031, 3, 1)), _utc(date(2031, 3, 16))
    sold = await _rows(
        history,
        "SELECT min(l.title) AS t, sum(l.quantity * l.unit_price_minor)::bigint AS r FROM order_lines l"
        f" JOIN orders o ON o.id = l.order_id WHERE {SALES} AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY l.product_id ORDER BY r, l.product_id",
        (start, end),
    )
    worst = await ask(history, "what's our worst selling product this month?")
    [table] = _tables(worst)
    assert [(r[1], r[3]) for r in table.rows] == [(x["t"], money(int(x["r"]))) for x in sold[:5]]
    # a product on sale that sold nothing this month
    await history.execute(
        "INSERT INTO products (id, title, category) VALUES ('a-kite', 'Beach Kite', 'Outdoor')"
    )
    await history.execute(
        "INSERT INTO variants (sku, product_id, options, price_minor, currency, stock)"
        " VALUES ('A-KITE', 'a-kite', '{}', 2500, 'USD', 7)"
    )
    unsold = await ask(history, "which products didn't sell at all this month?")
    expected = await _rows(
        history,
        "SELECT p.title, sum(v.stock)::int AS s FROM products p"
        " JOIN variants v ON v.product_id = p.id AND v.active"
        " WHERE p.title <> ALL(%s) GROUP BY p.id ORDER BY s DESC, p.id",
        ([x["t"] for x in sold],),
    )
    [table] = _tables(unsold)
    assert [(r[0], r[2]) for r in table.rows] == [(x["title"], str(x["s"])) for x in expected]
    assert "Beach Kite" in {r[0] for r in table.rows}


async def test_top_customers(history: Conn) -> None:
    reply = await ask(history, "who are our top 5 customers this year?")
    rows = await _rows(
        history,
        "SELECT c.display_name AS name, sum(o.total_minor)::bigint AS r, count(*)::int AS n FROM orders o"
        f" JOIN customers c ON c.id = o.customer_id WHERE {SALES}"
        " AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY c.id ORDER BY r DESC, n DESC, c.id::text",
        (_utc(date(2031, 1, 1)), _utc(date(2031, 3, 16))),
    )
    [table] = _tables(reply)
    assert [(r[1], r[2], r[3]) for r in table.rows] == [
        (x["name"], str(x["n"]), money(int(x["r"]))) for x in rows[:5]
    ]
    assert f"the top 5 of {len(rows)} customers" in reply.text


async def test_channels_and_best_per_category(history: Conn) -> None:
    reply = await ask(history, "sales by channel last quarter")
    rows = await _rows(
        history,
        "SELECT coalesce((SELECT ci.channel FROM customer_identities ci WHERE ci.customer_id = o.customer_id"
        " ORDER BY ci.id LIMIT 1), 'unknown') AS ch, sum(o.total_minor)::bigint AS r FROM orders o"
        f" WHERE {SALES} AND o.created_at >= %s AND o.created_at < %s GROUP BY 1 ORDER BY r DESC",
        (_utc(date(2030, 10, 1)), _utc(date(2031, 1, 1))),
    )
    [table] = _tables(reply)
    assert {(r[1], r[3]) for r in table.rows} == {(x["ch"], money(int(x["r"]))) for x in rows}
    assert "unknown" in {r[1] for r in table.rows}
    best = await ask(history, "best seller in each category in January")
    [table] = _tables(best)
    expected = await _rows(
        history,
        "SELECT DISTINCT ON (p.category) p.category AS c, min(l.title) AS t,"
        " sum(l.quantity * l.unit_price_minor)::bigint AS r FROM order_lines l"
        " JOIN orders o ON o.id = l.order_id"
        f" JOIN products p ON p.id = l.product_id WHERE {SALES} AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY p.category, l.product_id ORDER BY p.category, r DESC",
        (_utc(date(2031, 1, 1)), _utc(date(2031, 2, 1))),
    )
    assert [(r[0], r[1], r[3]) for r in table.rows] == [
        (x["c"], x["t"], money(int(x["r"]))) for x in expected
    ]


async def test_compare_and_aov(history: Conn) -> None:
    reply = await ask(history, "compare November with October")
    nov, n_nov = await _totals(history, date(2030, 11, 1), date(2030, 11, 30))
    oct_, n_oct = await _totals(history, date(2030, 10, 1), date(2030, 10, 31))
    assert f"November 2030 (2030-11-01 to 2030-11-30): {money(nov)} from {n_nov} orders" in reply.text
    assert f"October 2030 (2030-10-01 to 2030-10-31): {money(oct_)} from {n_oct} orders" in reply.text
    aov = await ask(history, "what was our average order value in February?")
    revenue, count = await _totals(history, date(2031, 2, 1), date(2031, 2, 28))
    [row] = await _rows(history, "SELECT round(%s::numeric / %s)::bigint AS a", (revenue, count))
    assert f"Average order value February 2031 (2031-02-01 to 2031-02-28): {money(int(row['a']))}" in aov.text


async def test_refunds_and_returns(history: Conn) -> None:
    reply = await ask(history, "how many refunds and returns did we have last quarter?")
    start, end = _utc(date(2030, 10, 1)), _utc(date(2031, 1, 1))
    [refunds] = await _rows(
        history,
        "SELECT count(*)::int AS n, coalesce(sum(o.total_minor), 0)::bigint AS r FROM orders o"
        " JOIN order_events e ON e.order_id = o.id AND e.status = 'refunded'"
        " WHERE o.status = 'refunded' AND e.created_at >= %s AND e.created_at < %s",
        (start, end),
    )
    [returns] = await _rows(
        history,
        "SELECT count(*)::int AS n FROM returns WHERE created_at >= %s AND created_at < %s",
        (start, end),
    )
    assert refunds["n"] > 0
    assert returns["n"] > 0
    assert f"{refunds['n']} orders refunded, {money(int(refunds['r']))}" in reply.text
    assert f"Return requests: {returns['n']} (" in reply.text


async def test_conversion(history: Conn) -> None:
    reply = await ask(history, "how many chats turned into orders in 2030, and which searches found nothing?")
    start, end = _utc(date(2030, 1, 1)), _utc(date(2031, 1, 1))
    [row] = await _rows(
        history,
        "SELECT count(DISTINCT c.customer_id)::int AS shoppers, count(DISTINCT o.customer_id)::int AS buyers"
        " FROM conversations c LEFT JOIN orders o ON o.customer_id = c.customer_id AND"
        f" {SALES} AND o.created_at >= %s AND o.created_at < %s"
        " WHERE c.created_at >= %s AND c.created_at < %s",
        (start, end, start, end),
    )
    [searches] = await _rows(
        history,
        "SELECT count(*)::int AS n, count(*) FILTER (WHERE result_ids = '{}')::int AS e FROM search_log"
        " WHERE created_at >= %s AND created_at < %s",
        (start, end),
    )
    assert f"{row['buyers']} of {row['shoppers']} shoppers who chatted placed an order" in reply.text
    assert f"{searches['e']} of {searches['n']} searches found nothing" in reply.text
    assert '"red kayak"' in reply.text  # queries are counted case-insensitively


async def test_stock_cover_and_low_stock_totals(history: Conn) -> None:
    reply = await ask(history, "how many days of stock do we have left?")
    rows = await _rows(
        history,
        "SELECT v.sku, v.stock, sum(l.quantity)::int AS u FROM variants v JOIN order_lines l ON l.sku = v.sku"
        f" JOIN orders o ON o.id = l.order_id WHERE v.active AND {SALES} AND o.created_at >= %s"
        " AND o.created_at < %s GROUP BY v.sku",
        (_utc(date(2031, 2, 14)), _utc(date(2031, 3, 16))),
    )
    cover = sorted((round(r["stock"] * 30 / r["u"], 1), r["sku"]) for r in rows)
    [table] = _tables(reply)
    assert [(r[0], r[4]) for r in table.rows] == [(sku, f"{days:.1f}") for days, sku in cover]
    assert "last 30 days (2031-02-14 to 2031-03-15)" in reply.text
    [count] = await _rows(history, "SELECT count(*)::int AS n FROM variants WHERE active AND stock <= 3")
    cut = await low_stock(history, {"threshold": 3, "limit": 1})
    assert count["n"] > 1
    assert f"{count['n']} variants have 3 or fewer in stock (now) (list cut at 1)." == cut.text


async def test_a_cut_list_of_carts_says_how_many_there_are(history: Conn) -> None:
    idle = NOW - timedelta(days=2)
    for i in range(25):
        [customer] = await _rows(
            history, "INSERT INTO customers (display_name) VALUES (%s) RETURNING id", (f"Cart {i}",)
        )
        [cart] = await _rows(
            history,
            "INSERT INTO carts (customer_id, updated_at) VALUES (%s, %s) RETURNING id",
            (customer["id"], idle),
        )
        await history.execute(
            "INSERT INTO cart_lines (cart_id, sku, quantity, added_at) VALUES (%s, 'A-MUG-1', %s, %s)",
            (cart["id"], i % 4 + 1, idle),
        )
    reply = await ask(history, "abandoned carts")
    values = await _rows(
        history,
        "SELECT sum(cl.quantity * v.price_minor)::bigint AS value FROM carts c"
        " JOIN cart_lines cl ON cl.cart_id = c.id"
        " JOIN variants v ON v.sku = cl.sku WHERE c.status = 'open' GROUP BY c.id"
        " HAVING greatest(max(c.updated_at), max(cl.added_at)) < %s ORDER BY value DESC",
        (NOW - timedelta(hours=24),),
    )
    top = sum(int(v["value"]) for v in values[:20])
    assert len(values) > 20
    assert reply.text.startswith(
        f"{len(values)} abandoned carts; the 20 most valuable are worth {money(top)}."
    )
    [table] = _tables(reply)
    assert len(table.rows) == 20


async def test_asked_for_while_out_of_stock_in_a_period(history: Conn) -> None:
    reply = await ask(history, "what did shoppers ask for in 2030 that we don't have in stock?")
    rows = await _rows(
        history,
        "SELECT p.title, count(*)::int AS n FROM search_log s, unnest(s.result_ids) AS r(id)"
        " JOIN products p ON p.id = r.id WHERE s.created_at >= %s AND s.created_at < %s"
        " AND NOT r.id = ANY(s.in_stock_ids) GROUP BY p.title ORDER BY n DESC",
        (_utc(date(2030, 1, 1)), _utc(date(2031, 1, 1))),
    )
    [table] = _tables(reply)
    assert [(r[0], r[1]) for r in table.rows] == [(x["title"], str(x["n"])) for x in rows]
    assert "2030 (2030-01-01 to 2030-12-31)" in reply.text


async def test_chart_and_honest_decline(history: Conn) -> None:
    reply = await ask(history, "revenue trend last 30 days")
    [chart] = [p for p in reply.parts if isinstance(p, ChartPart)]
    assert base64.b64decode(chart.png_base64).startswith(b"\x89PNG")
    for question in (
        "what's our profit margin this month?",
        "how many visitors did the website get?",
        "sales over the holidays?",
    ):
        declined = await ask(history, question)
        assert declined.text.startswith(CANNOT)
        assert "I can tell you" in declined.text
        assert declined.parts == []


async def test_unknown_category_and_order(history: Conn) -> None:
    reply = await ask(history, "order EL-H00003")
    [row] = await _rows(history, "SELECT status, total_minor FROM orders WHERE number = 'EL-H00003'")
    assert f"Order EL-H00003 ({row['status']})" in reply.text
    assert money(int(row["total_minor"])) in reply.text
    missing = await ask(history, "order EL-ZZZZZZ")
    assert missing.text.startswith("no order EL-ZZZZZZ")


# --- the hosted path: ChatOpenAI over HTTP to the scripted stand-in -------------------------------------


def _hosted(stubs: Any, **overrides: Any) -> Any:
    settings = LLMSettings(
        provider="openai",
        base_url=f"{stubs.base_url}/openai/v1",
        api_key="sk-test",
        timeout_s=5,
        max_retries=0,
    )
    return build_chat_model(settings.model_copy(update=overrides))


async def test_hosted_model_calls_the_tools_and_its_answer_is_posted(
    history: Conn, stubs: Any, llm: Any
) -> None:
    llm.reset(
        [
            {"tool_calls": [("sales_breakdown", {"by": "customer", "period": "last month", "limit": 3})]},
            {"content": "Your best customer last month is in the table."},
        ]
    )
    reply = await ask(history, "who spent the most last month?", model=_hosted(stubs))
    assert llm.calls == 2
    first = llm.requests[0]
    assert first["messages"][0]["role"] == "system"
    assert "merchant analyst" in first["messages"][0]["content"]
    assert {t["function"]["name"] for t in first["tools"]} >= {
        "sales_breakdown",
        "compare_periods",
        "stock_cover",
    }
    tool_message = llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "Sales by customer" in tool_message["content"]
    rows = await _rows(
        history,
        f"SELECT c.display_name AS name, sum(o.total_minor)::bigint AS r FROM orders o JOIN customers c"
        f" ON c.id = o.customer_id WHERE {SALES} AND o.created_at >= %s AND o.created_at < %s"
        " GROUP BY c.id ORDER BY r DESC, count(*) DESC, c.id::text LIMIT 3",
        (_utc(date(2031, 2, 1)), _utc(date(2031, 3, 1))),
    )
    [table] = _tables(reply)
    assert [(r[1], r[3]) for r in table.rows] == [(x["name"], money(int(x["r"]))) for x in rows]
    assert reply.text.startswith("Your best customer last month is in the table.")
    assert "Period: last month (2031-02-01 to 2031-02-28)." in reply.text  # the model left it out


def _fallbacks(kind: str, answer: str) -> float:
    labels = {"kind": kind, "answer": answer}
    return REGISTRY.get_sample_value("elara_llm_fallbacks_total", labels) or 0.0


async def test_hosted_failure_falls_back_offline_and_is_counted(history: Conn, stubs: Any, llm: Any) -> None:
    llm.reset([{"fail": 500}])
    before = _fallbacks("http_500", "offline")
    reply = await ask(history, "revenue in November", model=_hosted(stubs), fallback=OfflineMerchantModel())
    revenue, count = await _totals(history, date(2030, 11, 1), date(2030, 11, 30))
    assert f"{money(revenue)} from {count} orders" in reply.text
    assert reply.text.endswith(FALLBACK_NOTICE)
    assert _fallbacks("http_500", "offline") == before + 1
    llm.reset([{"tool_calls": [("drop_table", {})]}])
    apology = await ask(history, "revenue in November", model=_hosted(stubs))
    assert apology.text.startswith("Sorry")
    assert apology.parts == []
