"""Anonymous sessions cannot be minted without bound: a per-client creation limit (the client is the TCP
peer, or the X-Forwarded-For entry a trusted proxy added), a cap on live anonymous sessions, and a sweep
of old empty ones."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import psycopg

from elara_bot.api.auth import read_token
from elara_bot.config import SessionSettings, Settings
from elara_bot.customers import service
from elara_bot.db import Conn

Live = Callable[..., AbstractContextManager[str]]
SKU_SQL = "SELECT sku FROM variants WHERE stock > 0 AND active ORDER BY sku LIMIT 1"


def create(client: httpx.Client, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/v1/sessions", headers=headers)


def anonymous_count(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM customers WHERE anonymous").fetchone()
    assert row is not None
    return int(row[0])


class TestCreationLimit:
    def test_300_creations_from_one_client_are_mostly_refused(self, live_service: Live, db_url: str) -> None:
        with live_service(sessions={"create_per_minute": 20}) as base:
            with httpx.Client(base_url=base, timeout=30) as one:
                answers = [create(one) for _ in range(300)]
            other_transport = httpx.HTTPTransport(local_address="127.0.0.2")
            with httpx.Client(base_url=base, timeout=30, transport=other_transport) as other:
                second = create(other)
        created = [a for a in answers if a.status_code == 201]
        limited = [a for a in answers if a.status_code == 429]
        assert len(created) + len(limited) == 300
        assert 20 <= len(created) <= 40  # one fixed one-minute window (two if the test straddled a boundary)
        assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in limited)
        assert limited[0].json()["error"] == "RateLimited"
        assert second.status_code == 201  # another client is not affected
        assert anonymous_count(db_url) == len(created) + 1  # refused attempts left no rows

    def test_forwarded_for_is_ignored_from_an_untrusted_peer(self, live_service: Live) -> None:
        with live_service(sessions={"create_per_minute": 5}) as base, httpx.Client(base_url=base) as client:
            answers = [create(client, f"198.51.100.{i}").status_code for i in range(12)]
        assert answers.count(201) <= 10
        assert answers[-1] == 429  # a fresh X-Forwarded-For per request did not make a fresh client

    def test_forwarded_for_from_a_trusted_proxy_names_the_client(self, live_service: Live) -> None:
        settings = {"sessions": {"create_per_minute": 5}, "trusted_proxies": ["127.0.0.1"]}
        with live_service(**settings) as base, httpx.Client(base_url=base) as proxy:
            first = [create(proxy, "203.0.113.7").status_code for _ in range(8)]
            # the shopper may send its own X-Forwarded-For: the proxy appends the real address at the end
            spoofed = create(proxy, "203.0.113.99, 203.0.113.7").status_code
            second = create(proxy, "203.0.113.8").status_code
        assert 5 <= first.count(201) <= 10  # (10: the test straddled a minute boundary)
        assert first[-1] == 429
        assert spoofed == 429
        assert second == 201


class TestLiveCap:
    def test_the_oldest_idle_empty_session_makes_room_else_503(self, live_service: Live, db_url: str) -> None:
        cap = {"max_anonymous": 4, "create_per_minute": 100, "evict_idle_minutes": 10}
        with live_service(sessions=cap) as base, httpx.Client(base_url=base, timeout=30) as client:
            tokens = [create(client).json()["token"] for _ in range(4)]
            with_cart, with_order, empty_old, empty_newer = tokens
            ids = [customer_of(t) for t in tokens]
            with psycopg.connect(db_url) as conn:
                sku = (conn.execute(SKU_SQL).fetchone() or ("",))[0]
                for age, customer in zip((50, 40, 30, 20), ids, strict=True):  # minutes ago
                    conn.execute(
                        "UPDATE customers SET created_at = now() - make_interval(mins => %s) WHERE id = %s",
                        (age, customer),
                    )
                conn.execute(
                    "INSERT INTO orders (number, customer_id, status, currency, total_minor)"
                    " VALUES ('EL-CAP0001', %s, 'paid', 'USD', 100)",
                    (ids[1],),
                )
            line = {"sku": sku, "quantity": 1}
            added = client.post("/api/v1/cart/items", json=line, headers=bearer(with_cart))
            assert added.status_code == 200, added.text
            with psycopg.connect(db_url) as conn:  # the cart line was added 50 minutes ago
                conn.execute("UPDATE carts SET updated_at = now() - interval '50 minutes'")
            fifth = create(client)
            sixth = create(client)
            full = create(client)  # the rest: a cart, an order, and two sessions younger than 10 minutes
            alive = {
                name: client.get("/api/v1/cart", headers=bearer(t)).status_code
                for name, t in (
                    ("with_cart", with_cart),
                    ("with_order", with_order),
                    ("empty_old", empty_old),
                    ("empty_newer", empty_newer),
                )
            }
        assert fifth.status_code == 201
        assert sixth.status_code == 201
        assert full.status_code == 503
        assert int(full.headers["Retry-After"]) >= 1
        assert alive == {"with_cart": 200, "with_order": 200, "empty_old": 401, "empty_newer": 401}
        assert anonymous_count(db_url) == 4


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def customer_of(token: str) -> UUID:
    return read_token(Settings(env="test"), token)


class TestSweep:
    async def test_sweep_removes_old_empty_anonymous_sessions_only(self, conn: Conn) -> None:
        settings = SessionSettings(sweep_idle_hours=72)
        now = datetime.now(UTC)
        made = {}
        for name in ("old_empty", "old_empty_cart", "old_with_lines", "old_with_order", "fresh", "old_chat"):
            made[name] = (await service.open_anonymous_session(conn, settings, f"sweep-{name}")).id
        cur = await conn.execute(SKU_SQL)
        sku = (await cur.fetchone() or {})["sku"]
        old = now - timedelta(days=4)
        for name in made:
            if name != "fresh":
                await conn.execute("UPDATE customers SET created_at = %s WHERE id = %s", (old, made[name]))
        for name, lines in (("old_empty_cart", False), ("old_with_lines", True)):
            cur = await conn.execute(
                "INSERT INTO carts (customer_id, updated_at) VALUES (%s, %s) RETURNING id", (made[name], old)
            )
            cart = (await cur.fetchone() or {})["id"]
            if lines:
                await conn.execute(
                    "INSERT INTO cart_lines (cart_id, sku, quantity) VALUES (%s, %s, 1)", (cart, sku)
                )
        await conn.execute(
            "INSERT INTO orders (number, customer_id, status, currency, total_minor)"
            " VALUES ('EL-SWEEP01', %s, 'delivered', 'USD', 100)",
            (made["old_with_order"],),
        )
        await conn.execute(  # an old session whose conversation went on yesterday: not idle
            "INSERT INTO conversations (channel, conversation_key, customer_id, updated_at)"
            " VALUES ('web', %s, %s, %s)",
            (str(made["old_chat"]), made["old_chat"], now - timedelta(days=1)),
        )
        cur = await conn.execute(
            "INSERT INTO customers (display_name, role) VALUES ('Known', 'shopper') RETURNING id, created_at"
        )
        known = (await cur.fetchone() or {})["id"]
        await conn.execute("UPDATE customers SET created_at = %s WHERE id = %s", (old, known))

        swept = await service.sweep_anonymous_sessions(conn, settings, ttl_days=30, now=now)

        cur = await conn.execute("SELECT id FROM customers WHERE id = ANY(%s)", ([*made.values(), known],))
        left = {row["id"] for row in await cur.fetchall()}
        cur = await conn.execute(
            "SELECT count(*) AS n FROM carts WHERE customer_id = %s", (made["old_empty_cart"],)
        )
        carts_left = (await cur.fetchone() or {})["n"]
        assert swept == 2
        assert made["old_empty"] not in left
        assert made["old_empty_cart"] not in left
        assert carts_left == 0
        for kept in ("old_with_lines", "old_with_order", "fresh", "old_chat"):
            assert made[kept] in left, kept
        assert known in left  # not an anonymous web session

    async def test_sessions_past_their_token_lifetime_go_even_with_a_cart(self, conn: Conn) -> None:
        settings = SessionSettings()
        now = datetime.now(UTC)
        customer = (await service.open_anonymous_session(conn, settings, "sweep-expired")).id
        await conn.execute(
            "UPDATE customers SET created_at = %s WHERE id = %s", (now - timedelta(days=31), customer)
        )
        cur = await conn.execute("INSERT INTO carts (customer_id) VALUES (%s) RETURNING id", (customer,))
        cart = (await cur.fetchone() or {})["id"]
        cur = await conn.execute(SKU_SQL)
        sku = (await cur.fetchone() or {})["sku"]
        await conn.execute("INSERT INTO cart_lines (cart_id, sku, quantity) VALUES (%s, %s, 1)", (cart, sku))
        assert await service.sweep_anonymous_sessions(conn, settings, ttl_days=30, now=now) == 1
        cur = await conn.execute("SELECT count(*) AS n FROM cart_lines WHERE cart_id = %s", (cart,))
        assert (await cur.fetchone() or {})["n"] == 0
