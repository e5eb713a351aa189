"""The demo store (derived from τ²-bench retail, MIT): loaded into an empty database on first start."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from elara_bot.db import Conn
from retrieval.embedding import Embedder

log = logging.getLogger(__name__)


def demo_file(name: str) -> Path:
    return Path(str(resources.files("elara_bot.data.demo").joinpath(name)))


async def is_empty(conn: Conn) -> bool:
    cur = await conn.execute("SELECT NOT EXISTS (SELECT 1 FROM products) AS empty")
    row = await cur.fetchone()
    return bool(row and row["empty"])


async def seed_demo(conn: Conn, embedder: Embedder) -> None:
    """Load every part of the demo store. Each domain adds its loader here; the caller commits."""
    from elara_bot.catalog.importer import import_catalog

    await import_catalog(conn, embedder, demo_file("catalog.jsonl"), progress=False)
    from elara_bot.customers.demo import load_demo_customers

    await load_demo_customers(conn, demo_file("customers.jsonl"), demo_file("orders.jsonl"))
    from elara_bot.policies.service import import_policies, parse_policies

    policies = parse_policies(demo_file("policies.md").read_text(encoding="utf-8"))
    await import_policies(conn, embedder, policies)
