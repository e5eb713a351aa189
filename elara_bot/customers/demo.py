"""Load the demo customers (τ² users + a merchant and an admin) and their order history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from elara_bot.db import Conn


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


async def load_demo_customers(conn: Conn, customers_path: Path, orders_path: Path) -> tuple[int, int]:
    """Insert customers with an email identity, then their historical orders (no stock held)."""
    ids: dict[str, UUID] = {}
    for row in _rows(customers_path):
        cur = await conn.execute(
            "INSERT INTO customers (display_name, email, role) VALUES (%s, %s, %s) RETURNING id",
            (row["display_name"], row.get("email") or row["external_id"], row["role"]),
        )
        created = await cur.fetchone()
        assert created is not None
        ids[row["external_id"]] = created["id"]
        await conn.execute(
            "INSERT INTO customer_identities (customer_id, channel, external_id) VALUES (%s, 'email', %s)",
            (created["id"], row["external_id"]),
        )
    orders = [o for o in _rows(orders_path) if o["customer"] in ids]
    for order in orders:
        await _insert_order(conn, ids[order["customer"]], order)
    return len(ids), len(orders)


async def _insert_order(conn: Conn, customer_id: UUID, order: dict[str, Any]) -> None:
    cur = await conn.execute(
        "INSERT INTO orders (number, customer_id, status, currency, total_minor, stock_reserved,"
        " tracking, shipping_address, payment_provider, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, false, %s, %s::jsonb, 'demo',"
        " now() - make_interval(days => %s), now() - make_interval(days => %s)) RETURNING id",
        (
            order["number"],
            customer_id,
            order["status"],
            order["currency"],
            order["total_minor"],
            order["tracking"],
            json.dumps(order.get("address")),
            order["placed_days_ago"],
            order["placed_days_ago"],
        ),
    )
    created = await cur.fetchone()
    assert created is not None
    async with conn.cursor() as many:
        await many.executemany(
            "INSERT INTO order_lines (order_id, sku, product_id, title, options, quantity,"
            " unit_price_minor) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)",
            [
                (
                    created["id"],
                    line["sku"],
                    line["product_id"],
                    line["title"],
                    json.dumps(line["options"]),
                    line["quantity"],
                    line["unit_price_minor"],
                )
                for line in order["lines"]
            ],
        )
    await conn.execute(
        "INSERT INTO order_events (order_id, status, note, created_at)"
        " VALUES (%s, %s, 'imported demo order', now() - make_interval(days => %s))",
        (created["id"], order["status"], order["placed_days_ago"]),
    )
