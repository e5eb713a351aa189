from __future__ import annotations

from elara_bot.customers.demo import load_demo_customers
from elara_bot.customers.service import customer_for_identity
from elara_bot.db import Conn
from elara_bot.demo import demo_file
from elara_bot.orders.service import list_orders


async def test_demo_customers_and_orders_load(cconn: Conn) -> None:
    customers, orders = await load_demo_customers(
        cconn, demo_file("customers.jsonl"), demo_file("orders.jsonl")
    )
    assert customers == 502
    assert orders == 1000
    cur = await cconn.execute("SELECT role, count(*) AS n FROM customers GROUP BY role ORDER BY role")
    assert {r["role"]: r["n"] for r in await cur.fetchall()} == {"admin": 1, "merchant": 1, "shopper": 500}
    cur = await cconn.execute("SELECT count(*) AS n FROM orders WHERE created_at > now() - interval '7 days'")
    row = await cur.fetchone()
    assert row is not None
    assert row["n"] > 0  # merchant analytics for "last 7 days" always have data
    cur = await cconn.execute("SELECT email FROM customers WHERE role = 'shopper' ORDER BY email LIMIT 1")
    first = await cur.fetchone()
    assert first is not None
    me = await customer_for_identity(cconn, "email", first["email"])
    history = await list_orders(cconn, me.id)
    assert history
    assert all(o.total_minor == sum(line.line_total_minor for line in o.lines) for o in history)
    assert {o.status for o in history} <= {"paid", "fulfilled", "delivered", "cancelled"}
