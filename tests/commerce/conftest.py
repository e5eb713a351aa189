"""Commerce fixtures: a migrated database with a small catalog of our own.

The catalog helper's importer (elara_bot/catalog/importer.py) did not exist yet, so the shared
template database cannot be seeded; these fixtures insert a few products and variants directly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from elara_bot.db import Conn, connect, migrate
from tests.conftest import create_database, drop_database

PRODUCTS = [
    (
        "p-boot",
        "Trail Boot",
        [("BOOT-10", {"size": "10"}, 12_999, 5), ("BOOT-11", {"size": "11"}, 12_999, 1)],
    ),
    (
        "p-lamp",
        "Desk Lamp",
        [("LAMP-W", {"color": "white"}, 3_450, 50), ("LAMP-B", {"color": "black"}, 3_600, 0)],
    ),
    ("p-mug", "Camp Mug", [("MUG-1", {}, 899, 200)]),
]


async def seed_catalog(conn: Conn) -> None:
    for pid, title, variants in PRODUCTS:
        await conn.execute("INSERT INTO products (id, title) VALUES (%s, %s)", (pid, title))
        for sku, options, price, stock in variants:
            await conn.execute(
                "INSERT INTO variants (sku, product_id, options, price_minor, currency, stock)"
                " VALUES (%s, %s, %s::jsonb, %s, 'USD', %s)",
                (sku, pid, __import__("json").dumps(options), price, stock),
            )


@pytest.fixture(scope="session")
async def commerce_template(pg_admin_url: str) -> str:
    name = f"elara_commerce_tpl_{uuid.uuid4().hex[:6]}"
    url = create_database(pg_admin_url, name)
    await migrate(url)
    async with connect(url) as conn, conn.transaction():
        await seed_catalog(conn)
    return name


@pytest.fixture
def commerce_db_factory(pg_admin_url: str, commerce_template: str) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = f"elara_c_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return create_database(pg_admin_url, name, template=commerce_template)

    yield make
    for name in made:
        drop_database(pg_admin_url, name)


@pytest.fixture
def commerce_db(commerce_db_factory: Callable[[], str]) -> str:
    """A private migrated database with the small catalog, for tests that commit."""
    return commerce_db_factory()


@pytest.fixture
async def cconn(commerce_db: str) -> AsyncIterator[Conn]:
    async with connect(commerce_db) as c, c.transaction(force_rollback=True):
        yield c
