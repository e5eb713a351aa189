"""Analytics fixtures: a migrated database with a small catalog of our own.

The shared template cannot be seeded while elara_bot/catalog/importer.py (the catalog helper's) is
missing, so these tests use their own template: migrations plus the products below. Every figure is
still checked against SQL computed independently in the tests, so the demo orders can replace it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest

from elara_bot.db import Conn, connect, migrate
from tests.analytics.history import seed_history
from tests.conftest import create_database, drop_database

PRODUCTS = [
    (
        "a-boot",
        "Trail Boot",
        "Outdoor > Footwear",
        [("A-BOOT-10", {"size": "10"}, 12_999, 5), ("A-BOOT-11", {"size": "11"}, 12_999, 1)],
    ),
    (
        "a-lamp",
        "Desk Lamp",
        "Home > Lighting",
        [("A-LAMP-W", {"color": "white"}, 3_450, 50), ("A-LAMP-B", {"color": "black"}, 3_600, 0)],
    ),
    ("a-mug", "Camp Mug", "Outdoor > Kitchen", [("A-MUG-1", {}, 899, 200)]),
    ("a-sock", "Wool Sock", "Outdoor > Footwear", [("A-SOCK-M", {"size": "M"}, 1_500, 3)]),
]


@pytest.fixture(scope="session")
async def analytics_db_url(pg_admin_url: str) -> AsyncIterator[str]:
    name = f"elara_analytics_{uuid.uuid4().hex[:8]}"
    url = create_database(pg_admin_url, name)
    await migrate(url)
    async with connect(url) as conn, conn.transaction():
        for pid, title, category, variants in PRODUCTS:
            await conn.execute(
                "INSERT INTO products (id, title, category) VALUES (%s, %s, %s)", (pid, title, category)
            )
            for sku, options, price, stock in variants:
                await conn.execute(
                    "INSERT INTO variants (sku, product_id, options, price_minor, currency, stock)"
                    " VALUES (%s, %s, %s::jsonb, %s, 'USD', %s)",
                    (sku, pid, json.dumps(options), price, stock),
                )
    yield url
    drop_database(pg_admin_url, name)


@pytest.fixture
async def conn(analytics_db_url: str) -> AsyncIterator[Conn]:
    """A connection inside a transaction that is always rolled back."""
    async with connect(analytics_db_url) as c:
        async with c.transaction(force_rollback=True):
            yield c


@pytest.fixture
async def history(conn: Conn) -> Conn:
    """The connection with the seeded sales history (tests/analytics/history.py), rolled back after."""
    await seed_history(conn)
    return conn
