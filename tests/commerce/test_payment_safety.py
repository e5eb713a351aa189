"""Payments that cannot go wrong (issue 11), through the real ``stripe`` client against the stand-in.

Every webhook here is signed with the real scheme (``t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")``);
no test turns a signature check off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from elara_bot.config import Settings
from elara_bot.contracts import CartPart, CheckoutLinkPart, InboundMessage, OutboundReply
from elara_bot.conversation.service import ConversationService
from elara_bot.db import open_pool
from elara_bot.errors import PaymentError
from elara_bot.orders.sweeper import sweep_once
from elara_bot.payments import build_provider
from elara_bot.payments.base import CheckoutSession, CheckoutSessionRequest
from tests.commerce.apphelp import ADMIN_KEY, build_commerce_app, commerce_settings
from tests.commerce.test_api import add, session, stock
from tests.conftest import make_settings
from tests.helpers import serve_in_thread
from tests.stubs.stripe_stub import StripeStub

SECRET = "whsec_payment_safety"
ADMIN = {"X-Admin-Key": ADMIN_KEY}


@dataclass
class Shop:
    client: httpx.Client
    stub: StripeStub
    db: str
    settings: Settings
    alerts: list[Any]
    paid: list[Any]

    def checkout(self, items: dict[str, int]) -> tuple[dict[str, str], httpx.Response]:
        me = session(self.client)
        for sku, quantity in items.items():
            assert add(self.client, me, sku, quantity).status_code == 200
        return me, self.client.post("/api/v1/checkout", headers=me)

    def placed(self, items: dict[str, int]) -> tuple[dict[str, str], str, str]:
        me, response = self.checkout(items)
        assert response.status_code == 201, response.text
        return me, response.json()["order"]["number"], response.json()["payment_url"].rsplit("/", 1)[-1]

    def deliver(self, body: str, *, timestamp: int | None = None) -> httpx.Response:
        return self.client.post(
            "/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": sign(body, timestamp), "Content-Type": "application/json"},
        )

    def order(self, me: dict[str, str], number: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/orders/{number}", headers=me)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def row(self, number: str) -> dict[str, Any]:
        with psycopg.connect(self.db, row_factory=psycopg.rows.dict_row) as conn:
            row = conn.execute(
                "SELECT id, status, reserved_until, stock_reserved FROM orders WHERE number = %s", (number,)
            ).fetchone()
        assert row is not None
        return row

    def wait_alerts(self, count: int) -> list[Any]:
        deadline = time.monotonic() + 5
        while len(self.alerts) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.alerts


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> str:
    """Stripe's signing scheme, written out: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def stripe_settings(db: str, base_url: str, **overrides: Any) -> Settings:
    payments: dict[str, Any] = {
        "provider": "stripe",
        "stripe_secret_key": "sk_test_elara",
        "stripe_webhook_secret": SECRET,
        "stripe_api_base": base_url,
        "stripe_timeout_s": 5.0,
    }
    pool_max = overrides.pop("pool_max", 20)
    settings = commerce_settings(db, **(payments | overrides))
    settings.database.pool_max = pool_max
    return settings


@pytest.fixture
def stripe_stub(stubs: Any) -> Iterator[StripeStub]:
    stub: StripeStub = stubs.parts["stripe"]
    stub.reset()
    yield stub
    stub.reset()


@contextmanager
def serve(settings: Settings, stub: StripeStub, db: str) -> Iterator[Shop]:
    app = build_commerce_app(settings)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        settings.public_url = url
        runtime = app.state.runtime
        alerts: list[Any] = []
        paid: list[Any] = []

        async def on_alert(alert: Any) -> None:
            alerts.append(alert)

        async def on_paid(order: Any) -> None:
            paid.append(order)

        runtime.on_payment_alert.append(on_alert)
        runtime.on_order_paid.append(on_paid)
        yield Shop(client, stub, db, settings, alerts, paid)


@pytest.fixture
def shop(commerce_db: str, stubs: Any, stripe_stub: StripeStub) -> Iterator[Shop]:
    with serve(stripe_settings(commerce_db, stubs.base_url), stripe_stub, commerce_db) as running:
        yield running


def paid_event(shop: Shop, session_id: str, **changes: Any) -> str:
    shop.stub.complete(session_id)
    shop.stub.sessions[session_id].update(changes)
    return shop.stub.event(session_id, "checkout.session.completed")


def refunds_of(shop: Shop, session_id: str) -> list[int]:
    """Amounts Stripe refunded on the payment of one session."""
    intent = shop.stub.sessions[session_id]["payment_intent"]
    return [r["amount"] for r in shop.stub.refunds if r["payment_intent"] == intent]


def history_notes(order: dict[str, Any]) -> str:
    return " | ".join(f"{e['status']}: {e['note']}" for e in order["history"])


# --- 1. a paid event must match the order's amount, currency and session ---------------------------
class TestPaidEventMustMatchTheOrder:
    def test_one_yen_for_a_dollar_order_is_flagged_not_paid(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"BOOT-10": 1})
        answer = shop.deliver(paid_event(shop, sid, amount_total=1, currency="jpy"))
        assert answer.status_code == 200, answer.text
        order = shop.order(me, number)
        assert order["status"] == "payment_review"
        assert "1 JPY" in history_notes(order)
        assert "129.99 USD" in history_notes(order)  # was "12999 USD": minor units read as dollars
        fulfil = f"/api/v1/admin/orders/{number}/fulfil"
        assert shop.client.post(fulfil, json={"tracking": ["1Z"]}, headers=ADMIN).status_code == 409
        assert stock(shop.db, "BOOT-10") == 4  # still reserved for the merchant to decide
        alerts = shop.wait_alerts(1)
        assert alerts[0].kind == "payment_review"
        assert alerts[0].order_number == number
        assert shop.paid == []
        refunded = shop.client.post(f"/api/v1/admin/orders/{number}/refund", headers=ADMIN)
        assert refunded.json()["status"] == "refunded"  # the merchant's way out: give back what was paid
        assert refunds_of(shop, sid) == [1]
        assert stock(shop.db, "BOOT-10") == 5

    def test_wrong_currency_with_the_right_amount_is_flagged(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"MUG-1": 1})
        shop.deliver(paid_event(shop, sid, amount_total=899, currency="eur"))
        order = shop.order(me, number)
        assert order["status"] == "payment_review"
        assert "8.99 EUR" in history_notes(order)
        assert shop.wait_alerts(1)[0].kind == "payment_review"

    def test_currency_is_compared_without_case(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"MUG-1": 1})
        assert shop.deliver(paid_event(shop, sid, currency="USD")).json()["applied"] is True
        assert shop.order(me, number)["status"] == "paid"

    def test_a_payment_link_naming_our_order_does_not_pay_it(self, shop: Shop) -> None:
        me, number, _ = shop.placed({"LAMP-W": 1})
        order_id = str(shop.row(number)["id"])
        foreign = shop.stub.payment_link_session(order_id, 3_450, "usd")
        answer = shop.deliver(paid_event(shop, foreign))
        assert answer.status_code == 200
        order = shop.order(me, number)
        assert order["status"] == "payment_review"
        assert foreign in history_notes(order)
        assert shop.wait_alerts(1)[0].kind == "payment_review"
        assert shop.paid == []

    def test_a_foreign_sessions_expiry_does_not_expire_our_order(self, shop: Shop) -> None:
        me, number, _ = shop.placed({"LAMP-W": 2})
        foreign = shop.stub.payment_link_session(str(shop.row(number)["id"]), 6_900, "usd")
        shop.stub.expire(foreign)
        shop.deliver(shop.stub.event(foreign, "checkout.session.expired"))
        assert shop.order(me, number)["status"] == "pending_payment"
        assert stock(shop.db, "LAMP-W") == 48

    def test_the_orders_own_session_with_the_right_amount_pays(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"BOOT-10": 1, "LAMP-W": 2})
        assert shop.deliver(paid_event(shop, sid)).json()["applied"] is True
        assert shop.order(me, number)["status"] == "paid"
        deadline = time.monotonic() + 5
        while not shop.paid and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [o.number for o in shop.paid] == [number]
        assert shop.alerts == []


# --- 2 and 3. late payments are refunded; cancel and expiry close the Stripe page -------------------
class TestLatePayment:
    def test_payment_after_cancel_is_refunded_and_the_merchant_told(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"MUG-1": 3})
        cancelled = shop.client.post(f"/api/v1/orders/{number}/cancel", headers=me)
        assert cancelled.json()["status"] == "cancelled"
        assert sid in shop.stub.expires()  # the payment page is closed at Stripe
        assert stock(shop.db, "MUG-1") == 200
        event = paid_event(shop, sid)  # the shopper paid on the page that was still open
        for _ in range(3):  # replays refund once
            assert shop.deliver(event).status_code == 200
        assert refunds_of(shop, sid) == [3 * 899]
        intent = shop.stub.sessions[sid]["payment_intent"]
        refund_calls = [r for r in shop.stub.requests if r.path == "/v1/refunds"]
        keys = [r.idempotency_key for r in refund_calls if r.params.get("payment_intent") == intent]
        assert keys == [f"late-refund-{shop.row(number)['id']}"]
        order = shop.order(me, number)
        assert order["status"] == "cancelled"
        assert "refunded" in history_notes(order)
        alerts = shop.wait_alerts(1)
        assert [(a.kind, a.order_number) for a in alerts] == [("late_payment_refunded", number)]
        assert shop.paid == []

    async def test_payment_after_expiry_is_refunded_and_the_merchant_told(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"LAMP-W": 5})
        await expire_by_sweeper(shop, number)
        assert sid in shop.stub.expires()
        assert shop.order(me, number)["status"] == "expired"
        assert stock(shop.db, "LAMP-W") == 50
        shop.deliver(paid_event(shop, sid))
        assert refunds_of(shop, sid) == [5 * 3_450]
        assert "refunded" in history_notes(shop.order(me, number))
        assert shop.wait_alerts(1)[0].kind == "late_payment_refunded"

    def test_stripe_refusing_the_refund_answers_5xx_so_stripe_retries(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"MUG-1": 1})
        shop.client.post(f"/api/v1/orders/{number}/cancel", headers=me)
        event = paid_event(shop, sid)
        shop.stub.fail_next(4)  # retrieve + refund, each retried twice by the client
        assert shop.deliver(event).status_code == 502
        assert shop.deliver(event).status_code == 200  # Stripe's retry: the event was not swallowed
        assert refunds_of(shop, sid) == [899]


async def expire_by_sweeper(shop: Shop, number: str) -> None:
    with psycopg.connect(shop.db) as conn:
        conn.execute(
            "UPDATE orders SET reserved_until = now() - interval '1 minute' WHERE number = %s", (number,)
        )
    pool = await open_pool(shop.db, shop.settings)
    try:
        expired = await sweep_once(pool, build_provider(shop.settings))
    finally:
        await pool.close()
    assert expired == [number]


# --- 4. the Stripe page lives as long as the reservation ------------------------------------------
class TestSessionLifetime:
    def test_session_expires_when_the_reservation_ends(self, shop: Shop) -> None:
        _, number, _ = shop.placed({"MUG-1": 1})
        sent = int(shop.stub.creates()[-1].params["expires_at"])
        reserved_until: datetime = shop.row(number)["reserved_until"]
        assert abs(sent - reserved_until.timestamp()) < 1
        assert sent >= time.time() + 30 * 60  # Stripe's minimum

    def test_a_short_reservation_is_raised_to_stripes_minimum(
        self, commerce_db: str, stubs: Any, stripe_stub: StripeStub
    ) -> None:
        settings = stripe_settings(commerce_db, stubs.base_url, reservation_minutes=5)
        with serve(settings, stripe_stub, commerce_db) as shop:
            _, number, _ = shop.placed({"MUG-1": 1})
            sent = int(stripe_stub.creates()[-1].params["expires_at"])
            assert sent >= time.time() + 30 * 60
            assert abs(sent - shop.row(number)["reserved_until"].timestamp()) < 1

    async def test_the_sweeper_expires_the_stripe_session(self, shop: Shop) -> None:
        _, number, sid = shop.placed({"MUG-1": 2})
        await expire_by_sweeper(shop, number)
        assert shop.stub.sessions[sid]["status"] == "expired"
        assert stock(shop.db, "MUG-1") == 200


# --- 5. no database connection or stock lock is held while Stripe answers --------------------------
class TestCheckoutOutsideTheTransaction:
    def test_slow_stripe_blocks_neither_other_checkouts_nor_other_requests(
        self, commerce_db: str, stubs: Any, stripe_stub: StripeStub
    ) -> None:
        settings = stripe_settings(commerce_db, stubs.base_url, pool_max=3)
        with serve(settings, stripe_stub, commerce_db) as shop:
            shoppers = []
            for _ in range(4):
                me = session(shop.client)
                assert add(shop.client, me, "MUG-1", 1).status_code == 200
                shoppers.append(me)
            bystander = session(shop.client)
            stripe_stub.create_delay_s = 2.0

            base_url = str(shop.client.base_url)

            def checkout(me: dict[str, str]) -> tuple[int, float]:
                started = time.monotonic()
                with httpx.Client(base_url=base_url, timeout=60) as c:
                    code = c.post("/api/v1/checkout", headers=me).status_code
                return code, time.monotonic() - started

            before = len(stripe_stub.creates())
            with ThreadPoolExecutor(5) as workers:
                started = time.monotonic()
                runs = [workers.submit(checkout, me) for me in shoppers]
                while len(stripe_stub.creates()) == before and time.monotonic() - started < 10:
                    time.sleep(0.01)
                time.sleep(0.3)  # the checkouts are in (or waiting for) Stripe's slow answer
                asked = time.monotonic()
                cart = shop.client.get("/api/v1/cart", headers=bystander)
                bystander_s = time.monotonic() - asked
                outcomes = [run.result() for run in runs]
                total_s = time.monotonic() - started
            assert cart.status_code == 200
            assert bystander_s < 1.0, f"an unrelated request waited {bystander_s:.2f} s"
            assert [code for code, _ in outcomes] == [201] * 4
            assert total_s < 2.0 * 2, f"checkouts ran one after another ({total_s:.2f} s)"
            assert stock(commerce_db, "MUG-1") == 196

    @pytest.mark.parametrize("mode", ["500", "timeout"])
    def test_failing_stripe_leaves_stock_and_cart_as_they_were(self, shop: Shop, mode: str) -> None:
        shop.settings.payments.stripe_timeout_s = 0.5
        shop.stub.fail_next(3, mode, sleep_s=1.5)  # the client retries twice
        me, response = shop.checkout({"MUG-1": 2, "LAMP-W": 1})
        assert response.status_code in (502, 503), response.text
        assert "payment page" in response.json()["detail"]
        assert "cart" in response.json()["detail"]
        assert stock(shop.db, "MUG-1") == 200
        assert stock(shop.db, "LAMP-W") == 50
        cart = shop.client.get("/api/v1/cart", headers=me).json()
        lines = sorted((line["sku"], line["quantity"]) for line in cart["lines"])
        assert lines == [("LAMP-W", 1), ("MUG-1", 2)]
        orders = shop.client.get("/api/v1/orders", headers=me).json()
        assert [o["status"] for o in orders] == ["expired"]
        retried = shop.client.post("/api/v1/checkout", headers=me)  # Stripe is back: the cart checks out
        assert retried.status_code == 201, retried.text
        assert stock(shop.db, "MUG-1") == 198


# --- 6. hostile but correctly signed bodies, and timestamps out of tolerance ------------------------
PAID = "checkout.session.completed"
MALFORMED = {
    "array": "[]",
    "array of events": json.dumps([{"id": "evt_1", "type": PAID}]),
    "string": json.dumps(PAID),
    "not json": "{nope",
    "no data": json.dumps({"id": "evt_1", "type": PAID}),
    "no object": json.dumps({"id": "evt_1", "type": PAID, "data": {}}),
    "object is a list": json.dumps({"id": "evt_1", "type": PAID, "data": {"object": []}}),
    "id is a number": json.dumps({"id": 7, "type": PAID, "data": {"object": {"id": "cs_1"}}}),
    "type is a list": json.dumps({"id": "evt_1", "type": ["x"], "data": {"object": {"id": "cs_1"}}}),
    "amount is a string": json.dumps(
        {
            "id": "evt_1",
            "type": PAID,
            "data": {
                "object": {"id": "cs_1", "payment_status": "paid", "amount_total": "899", "currency": "usd"}
            },
        }
    ),
    "paid without amount": json.dumps(
        {
            "id": "evt_1",
            "type": PAID,
            "data": {"object": {"id": "cs_1", "payment_status": "paid", "currency": "usd"}},
        }
    ),
    "session id is null": json.dumps(
        {"id": "evt_1", "type": "checkout.session.expired", "data": {"object": {"id": None}}}
    ),
}


class TestWebhookHardening:
    @pytest.mark.parametrize("name", sorted(MALFORMED))
    def test_signed_malformed_body_is_a_400(self, shop: Shop, name: str) -> None:
        answer = shop.deliver(MALFORMED[name])
        assert answer.status_code == 400, answer.text
        assert answer.json()["detail"]

    def test_timestamp_an_hour_ahead_or_behind_is_refused(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"MUG-1": 1})
        event = paid_event(shop, sid)
        now = int(time.time())
        assert shop.deliver(event, timestamp=now + 3600).status_code == 400
        assert shop.deliver(event, timestamp=now - 3600).status_code == 400
        assert shop.order(me, number)["status"] == "pending_payment"
        assert shop.deliver(event, timestamp=now + 30).json()["applied"] is True  # small clock skew is fine

    def test_an_event_we_do_not_act_on_is_acknowledged(self, shop: Shop) -> None:
        other = {"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
        body = json.dumps(other)
        answer = shop.deliver(body)
        assert answer.status_code == 200
        assert answer.json() == {"received": True, "applied": False}


# --- 7. replays ---------------------------------------------------------------------------------------
class TestReplays:
    def test_the_same_paid_event_ten_times_pays_once(self, shop: Shop) -> None:
        me, number, sid = shop.placed({"BOOT-10": 1})
        event = paid_event(shop, sid)
        assert [shop.deliver(event).json()["applied"] for _ in range(10)] == [True] + [False] * 9
        again = shop.stub.event(sid, "checkout.session.async_payment_succeeded")  # a second event id
        assert shop.deliver(again).json()["applied"] is False
        order = shop.order(me, number)
        assert order["status"] == "paid"
        assert [e["status"] for e in order["history"]] == ["pending_payment", "paid"]
        assert stock(shop.db, "BOOT-10") == 4


def test_concurrent_replays_apply_once(shop: Shop) -> None:
    me, number, sid = shop.placed({"MUG-1": 1})
    event = paid_event(shop, sid)
    with ThreadPoolExecutor(8) as workers:
        answers = list(workers.map(lambda _: shop.deliver(event), range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 8
    assert sum(a.json()["applied"] for a in answers) == 1
    assert shop.order(me, number)["status"] == "paid"


# --- 5, chat path: the turn commits the order, then the payment page is opened ---------------------
class LockProbe:
    """A provider that checks, while it is being asked, that no one holds the stock row and the order is
    already committed (seen from a connection of its own); it fails when told to."""

    name = "probe"
    min_reservation_s = 0

    def __init__(self, db: str) -> None:
        self.db = db
        self.fail = False
        self.seen: list[tuple[int, int]] = []

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        async with await psycopg.AsyncConnection.connect(self.db) as conn, conn.transaction():
            cur = await conn.execute("SELECT stock FROM variants WHERE sku = 'MUG-1' FOR UPDATE NOWAIT")
            locked_stock = (await cur.fetchone() or (0,))[0]
            cur = await conn.execute("SELECT count(*) FROM orders WHERE id = %s", (request.order_id,))
            self.seen.append((int(locked_stock), int((await cur.fetchone() or (0,))[0])))
        if self.fail:
            raise PaymentError("the payment provider is unavailable")
        return CheckoutSession(
            id=f"probe_{request.order_number}", url=f"https://pay.test/{request.order_number}"
        )

    async def refund(self, session_id: str, amount_minor: int, currency: str, idempotency_key: str) -> None:
        return None

    async def expire_session(self, session_id: str) -> None:
        return None


class TestChatCheckout:
    async def test_the_payment_page_opens_after_the_turn_commits(
        self, commerce_db: str, tmp_path: Path
    ) -> None:
        probe = LockProbe(commerce_db)
        async with chat(commerce_db, tmp_path, probe) as say:
            await say("add:MUG-1:2")
            reply = await say("checkout")
        links = [p for p in reply.parts if isinstance(p, CheckoutLinkPart)]
        assert [link.url for link in links] == [f"https://pay.test/{links[0].order_number}"]
        assert probe.seen == [(198, 1)]  # the row was free, the reservation and the order committed
        assert stored_links(commerce_db) == [links[0].url]  # a reloaded page shows the same link

    async def test_a_failing_provider_in_chat_restores_the_cart(
        self, commerce_db: str, tmp_path: Path
    ) -> None:
        probe = LockProbe(commerce_db)
        probe.fail = True
        async with chat(commerce_db, tmp_path, probe) as say:
            await say("add:MUG-1:2")
            reply = await say("checkout")
            cart = await say("view_cart")
        assert not [p for p in reply.parts if isinstance(p, CheckoutLinkPart)]
        assert "back in your cart" in reply.text
        assert stored_links(commerce_db) == []
        assert stock(commerce_db, "MUG-1") == 200
        assert [
            (line.sku, line.quantity) for p in cart.parts if isinstance(p, CartPart) for line in p.cart.lines
        ] == [("MUG-1", 2)]


def stored_links(db: str) -> list[str]:
    """The checkout links of the stored assistant messages (what the history shows after a reload)."""
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT parts FROM conversation_messages WHERE role = 'assistant' ORDER BY id"
        ).fetchall()
    return [part["url"] for (parts,) in rows for part in parts if part["type"] == "checkout_link"]


@asynccontextmanager
async def chat(
    db: str, tmp_path: Path, provider: Any
) -> AsyncIterator[Callable[[str], Awaitable[OutboundReply]]]:
    settings = make_settings(db, tmp_path)
    pool = await open_pool(db, settings)
    service = ConversationService(pool=pool, settings=settings, embedder=None, provider=provider)  # type: ignore[arg-type]

    async def say(action: str) -> OutboundReply:
        message = InboundMessage(
            channel="web",
            external_user_id="chat-pay",
            conversation_key="chat-pay",
            text=action,
            action=action,
        )
        return await service.handle(message)

    try:
        yield say
    finally:
        await pool.close()
