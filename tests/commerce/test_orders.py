from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from elara_bot.cart import service as cart
from elara_bot.checkout.service import checkout, payment_request, place_order
from elara_bot.config import Settings
from elara_bot.customers.service import customer_for_identity
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock, PaymentError
from elara_bot.orders import repository as orders_repo
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import PaymentOutcome
from elara_bot.payments.base import (
    CheckoutSession,
    CheckoutSessionRequest,
    PaymentEvent,
    PaymentEventKind,
)
from elara_bot.payments.dev import DevPaymentProvider, build_dev_provider

SETTINGS = Settings(env="test", public_url="http://shop.test")


async def stock(conn: Conn, sku: str) -> int:
    cur = await conn.execute("SELECT stock FROM variants WHERE sku = %s", (sku,))
    row = await cur.fetchone()
    assert row is not None
    return int(row["stock"])


async def place(
    conn: Conn, who: str, items: dict[str, int], provider: DevPaymentProvider
) -> tuple[UUID, str, str]:
    """Checkout inside one rolled-back test transaction: the order placed, its session recorded (what
    ``checkout.service.open_payment`` does across its own transactions in the service)."""
    me = await customer_for_identity(conn, "web", who)
    for sku, qty in items.items():
        await cart.add_item(conn, me.id, sku, qty, max_quantity=20)
    order = await place_order(conn, me.id, provider, SETTINGS)
    row = await orders_repo.order_by_number(conn, me.id, order.number)
    assert row is not None
    session = await provider.create_checkout_session(payment_request(row, SETTINGS))
    await orders_repo.set_payment_session(
        conn, row["id"], provider.name, session.id, session.url, order.total_minor, order.currency
    )
    return me.id, order.number, session.id


def paid(
    session_id: str, event_id: str, kind: PaymentEventKind = PaymentEventKind.PAID, amount: int = 0
) -> PaymentEvent:
    return PaymentEvent(
        provider="dev",
        event_id=event_id,
        kind=kind,
        session_id=session_id,
        amount_minor=amount,
        currency="usd",
    )


async def apply(conn: Conn, event: PaymentEvent) -> PaymentOutcome:
    return await orders.apply_payment(conn, event, DevPaymentProvider(SETTINGS))


async def test_checkout_reserves_stock_and_captures_prices(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, _ = await place(cconn, "c1", {"LAMP-W": 2, "MUG-1": 1}, dev)
    order = await orders.get_order(cconn, me, number)
    assert order.status == "pending_payment"
    assert number.startswith("EL-")
    assert len(number) == 9
    assert order.total_minor == 2 * 3_450 + 899
    assert order.payment_url
    assert order.payment_url.startswith("http://shop.test/pay/devcs_")
    assert await stock(cconn, "LAMP-W") == 48
    assert await stock(cconn, "MUG-1") == 199
    assert (await cart.view_cart(cconn, me)).lines == []  # a fresh cart after checkout
    await cconn.execute("UPDATE variants SET price_minor = 1 WHERE sku = 'LAMP-W'")
    assert (await orders.get_order(cconn, me, number)).total_minor == 2 * 3_450 + 899


async def test_empty_cart_and_out_of_stock_checkout_are_refused(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me = await customer_for_identity(cconn, "web", "c2")
    with pytest.raises(Conflict, match="empty"):
        await place_order(cconn, me.id, dev, SETTINGS)
    await cart.add_item(cconn, me.id, "BOOT-11", 1, max_quantity=20)
    await cart.add_item(cconn, me.id, "MUG-1", 1, max_quantity=20)
    await cconn.execute("UPDATE variants SET stock = 0 WHERE sku = 'BOOT-11'")
    with pytest.raises(OutOfStock, match="BOOT-11"):
        await place_order(cconn, me.id, dev, SETTINGS)
    assert await stock(cconn, "MUG-1") == 200  # the partial reservation was undone


async def test_same_event_ten_times_and_out_of_order_pays_once(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, session = await place(cconn, "c3", {"BOOT-10": 1}, dev)
    assert await stock(cconn, "BOOT-10") == 4
    results = [(await apply(cconn, paid(session, "evt_1", amount=12_999))).applied for _ in range(10)]
    assert results == [True] + [False] * 9
    # a late "expired" for the same session must not move a paid order back or restock
    assert not (await apply(cconn, paid(session, "evt_2", PaymentEventKind.EXPIRED))).applied
    assert not (await apply(cconn, paid(session, "evt_3", amount=12_999))).applied
    order = await orders.get_order(cconn, me, number)
    assert order.status == "paid"
    assert await stock(cconn, "BOOT-10") == 4
    assert [e.status for e in order.history] == ["pending_payment", "paid"]


async def test_expired_session_and_sweeper_release_stock(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, session = await place(cconn, "c4", {"LAMP-W": 5}, dev)
    assert (await apply(cconn, paid(session, "evt_x", PaymentEventKind.EXPIRED))).applied
    assert (await orders.get_order(cconn, me, number)).status == "expired"
    assert await stock(cconn, "LAMP-W") == 50
    me2, number2, _ = await place(cconn, "c5", {"LAMP-W": 3}, dev)
    assert await orders.expire_stale_orders(cconn, datetime.now(UTC)) == []
    later = datetime.now(UTC) + timedelta(minutes=SETTINGS.payments.reservation_minutes + 1)
    assert [o.number for o in await orders.expire_stale_orders(cconn, later)] == [number2]
    assert await orders.expire_stale_orders(cconn, later) == []
    assert (await orders.get_order(cconn, me2, number2)).status == "expired"
    assert await stock(cconn, "LAMP-W") == 50


async def test_cancel_pending_and_paid_orders(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, _ = await place(cconn, "c6", {"MUG-1": 4}, dev)
    assert (await orders.cancel_order(cconn, me, number, dev)).status == "cancelled"
    assert await stock(cconn, "MUG-1") == 200
    assert dev.refunds == []
    assert len(dev.expired) == 1  # the pending order's payment page was closed
    with pytest.raises(Conflict):
        await orders.cancel_order(cconn, me, number, dev)
    me, number, session = await place(cconn, "c6", {"MUG-1": 2}, dev)
    assert (await apply(cconn, paid(session, "evt_c6", amount=2 * 899))).paid_order == number
    order = await orders.cancel_order(cconn, me, number, dev)
    assert order.status == "cancelled"
    assert await stock(cconn, "MUG-1") == 200
    assert dev.refunds == [(session, 2 * 899, "USD")]


async def test_fulfil_deliver_return_and_refund(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, session = await place(cconn, "c7", {"MUG-1": 1, "LAMP-W": 1}, dev)
    with pytest.raises(Conflict, match="only delivered"):
        await orders.request_return(cconn, me, number, ["MUG-1"])
    with pytest.raises(Conflict):
        await orders.mark_fulfilled(cconn, number, ["1Z999"])
    assert (await apply(cconn, paid(session, "evt_c7", amount=3_450 + 899))).paid_order == number
    assert (await orders.mark_fulfilled(cconn, number, ["1Z999"])).tracking == ["1Z999"]
    with pytest.raises(Conflict, match="can no longer be cancelled"):
        await orders.cancel_order(cconn, me, number, dev)
    await orders.mark_delivered(cconn, number)
    with pytest.raises(InvalidInput):
        await orders.request_return(cconn, me, number, ["BOOT-10"])
    order = await orders.request_return(cconn, me, number, ["MUG-1"], "too small")
    assert order.history[-1].status == "return_requested"
    assert (await orders.refund_order(cconn, number, dev)).status == "refunded"
    assert dev.refunds[-1] == (session, 3_450 + 899, "USD")


async def test_another_customers_order_is_not_found(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    owner, number, _ = await place(cconn, "owner", {"MUG-1": 1}, dev)
    thief = await customer_for_identity(cconn, "web", "thief")
    with pytest.raises(NotFound):
        await orders.get_order(cconn, thief.id, number)
    with pytest.raises(NotFound):
        await orders.cancel_order(cconn, thief.id, number, dev)
    with pytest.raises(NotFound):
        await orders.request_return(cconn, thief.id, number, ["MUG-1"])
    assert await orders.list_orders(cconn, thief.id) == []
    assert (await orders.get_order(cconn, owner, number)).status == "pending_payment"


class FlakyProvider:
    name = "flaky"
    min_reservation_s = 0

    def __init__(self) -> None:
        self.fail = True
        self.keys: list[str] = []

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        self.keys.append(f"checkout-{request.order_id}")
        if self.fail:
            raise PaymentError("the payment provider is unavailable, try again")
        return CheckoutSession(id="cs_ok", url="https://pay.test/cs_ok")

    async def refund(self, session_id: str, amount_minor: int, currency: str, idempotency_key: str) -> None:
        return None

    async def expire_session(self, session_id: str) -> None:
        return None


async def _pool(db: str) -> AsyncConnectionPool[Conn]:
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        db, min_size=2, max_size=20, kwargs={"row_factory": __import__("psycopg").rows.dict_row}, open=False
    )
    await pool.open(wait=True)
    return pool


async def test_provider_failure_releases_the_order_and_restores_the_cart(commerce_db: str) -> None:
    """Was: the order stayed pending (stock held) with ``payment_error`` and ``resume_payment`` retried.
    Now nothing is held for a payment page that does not exist: stock back, lines back in the cart."""
    flaky = FlakyProvider()
    pool = await _pool(commerce_db)
    try:
        async with pool.connection() as conn:
            me = await customer_for_identity(conn, "web", "c8")
            await cart.add_item(conn, me.id, "MUG-1", 1, max_quantity=20)
            await cart.add_item(conn, me.id, "LAMP-W", 2, max_quantity=20)
        with pytest.raises(PaymentError, match="items are back in your cart"):
            await checkout(pool, me.id, flaky, SETTINGS)
        async with pool.connection() as conn:
            assert await stock(conn, "MUG-1") == 200
            assert await stock(conn, "LAMP-W") == 50
            lines = (await cart.view_cart(conn, me.id)).lines
            assert sorted((line.sku, line.quantity) for line in lines) == [("LAMP-W", 2), ("MUG-1", 1)]
            assert [o.status for o in await orders.list_orders(conn, me.id)] == ["expired"]
        flaky.fail = False
        result = await checkout(pool, me.id, flaky, SETTINGS)
        assert result.payment_url == "https://pay.test/cs_ok"
        assert result.order.status == "pending_payment"
        assert len(set(flaky.keys)) == 2  # a new order, a new idempotency key
    finally:
        await pool.close()


def test_dev_provider_refused_in_prod() -> None:
    settings = Settings.model_construct(env="prod", payments=SETTINGS.payments, public_url="x")
    with pytest.raises(Exception, match="TEST MODE"):
        build_dev_provider(settings)


async def test_hundred_simultaneous_checkouts_never_oversell(commerce_db: str) -> None:
    dev = DevPaymentProvider(SETTINGS)
    pool = await _pool(commerce_db)
    try:
        async with pool.connection() as conn:
            await conn.execute("UPDATE variants SET stock = 7 WHERE sku = 'BOOT-10'")
            shoppers = []
            for i in range(120):
                me = await customer_for_identity(conn, "web", f"race-{i}")
                await cart.add_item(conn, me.id, "BOOT-10", 1, max_quantity=20)
                shoppers.append(me.id)

        async def attempt(customer_id: UUID) -> bool:
            try:
                await checkout(pool, customer_id, dev, SETTINGS)
            except OutOfStock:
                return False
            return True

        outcomes = await asyncio.gather(*(attempt(c) for c in shoppers))
        async with pool.connection() as conn:
            assert sum(outcomes) == 7
            assert await stock(conn, "BOOT-10") == 0
            cur = await conn.execute(
                "SELECT coalesce(sum(quantity), 0) AS n FROM order_lines WHERE sku = 'BOOT-10'"
            )
            row = await cur.fetchone()
            assert row is not None
            assert row["n"] == 7
    finally:
        await pool.close()
