"""A seeded sales history over several months, categories, customers and channels (Sep 2030 - Mar 2031),
with refunds, returns, conversations, searches and carts: what the analyst's answers are checked on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from elara_bot.db import Conn

NOW = datetime(2031, 3, 15, 12, 0, tzinfo=UTC)  # a Saturday
START = datetime(2030, 9, 1, tzinfo=UTC)
STATUSES = ["paid"] * 5 + ["fulfilled"] * 3 + ["delivered"] * 3 + ["cancelled", "refunded", "expired"]
CHANNELS = ["web", "telegram", "web", "cli"]
NAMES = ["Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]


async def _returning(conn: Conn, sql: str, params: tuple[Any, ...]) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    assert row is not None
    return row["id"]


async def _customers(conn: Conn) -> list[UUID]:
    ids = []
    for i, name in enumerate(NAMES):
        cid = await _returning(
            conn, "INSERT INTO customers (display_name) VALUES (%s) RETURNING id", (f"H-{name}",)
        )
        if i % 5 != 4:  # some customers have no identity: their channel is 'unknown'
            await conn.execute(
                "INSERT INTO customer_identities (customer_id, channel, external_id) VALUES (%s, %s, %s)",
                (cid, CHANNELS[i % len(CHANNELS)], f"hist-{name}"),
            )
        ids.append(UUID(str(cid)))
    return ids


async def seed_history(conn: Conn, orders: int = 240, seed: int = 15) -> None:
    rnd = random.Random(seed)
    cur = await conn.execute("SELECT sku, product_id, price_minor FROM variants ORDER BY sku")
    variants = await cur.fetchall()
    titles = {r["product_id"]: r["product_id"] for r in variants}
    cur = await conn.execute("SELECT id, title FROM products")
    titles.update({r["id"]: r["title"] for r in await cur.fetchall()})
    customers = await _customers(conn)
    span_s = int((NOW - START).total_seconds())
    for n in range(orders):
        at = START + timedelta(seconds=rnd.randrange(span_s))
        status = rnd.choice(STATUSES)
        lines = rnd.sample(variants, rnd.randint(1, 3))
        qty = [rnd.randint(1, 4) for _ in lines]
        total = sum(v["price_minor"] * q for v, q in zip(lines, qty, strict=True))
        oid = await _returning(
            conn,
            "INSERT INTO orders (number, customer_id, status, currency, total_minor, created_at, updated_at)"
            " VALUES (%s, %s, %s, 'USD', %s, %s, %s) RETURNING id",
            (f"EL-H{n:05d}", rnd.choice(customers), status, total, at, at + timedelta(days=2)),
        )
        for v, q in zip(lines, qty, strict=True):
            await conn.execute(
                "INSERT INTO order_lines (order_id, sku, product_id, title, quantity, unit_price_minor)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (oid, v["sku"], v["product_id"], titles[v["product_id"]], q, v["price_minor"]),
            )
        if status == "refunded":
            await conn.execute(
                "INSERT INTO order_events (order_id, status, created_at) VALUES (%s, 'refunded', %s)",
                (oid, at + timedelta(days=3)),
            )
        if status == "delivered" and rnd.random() < 0.3:
            await conn.execute(
                "INSERT INTO returns (order_id, skus, status, created_at) VALUES (%s, %s, %s, %s)",
                (
                    oid,
                    [v["sku"] for v in lines],
                    rnd.choice(["requested", "approved"]),
                    at + timedelta(days=5),
                ),
            )
    await _activity(conn, rnd, customers, span_s)


async def _activity(conn: Conn, rnd: random.Random, customers: list[UUID], span_s: int) -> None:
    for i in range(60):
        at = START + timedelta(seconds=rnd.randrange(span_s))
        await conn.execute(
            "INSERT INTO conversations (channel, conversation_key, customer_id, created_at)"
            " VALUES ('web', %s, %s, %s)",
            (f"hist-{i}", rnd.choice(customers), at),
        )
        empty = rnd.random() < 0.3
        await conn.execute(
            "INSERT INTO search_log (query, result_ids, in_stock_ids, created_at) VALUES (%s, %s, %s, %s)",
            (rnd.choice(["red kayak", "tent", "lamp", "Red Kayak"]), [] if empty else ["a-lamp"], [], at),
        )
