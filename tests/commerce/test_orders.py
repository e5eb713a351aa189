from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from elara_bot.cart import service as cart
from elara_bot.checkout.service import checkout, resume_payment
from elara_bot.config import Settings
from elara_bot.customers.service import customer_for_identity
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock, PaymentError
from elara_bot.orders import service as orders
from elara_bot.payments.base import (
    CheckoutSession,
    CheckoutSessionRequest,
    PaymentEvent,
    PaymentEventKind,
    apply_payment_event,
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
    me = await customer_for_identity(conn, "web", who)
    for sku, qty in items.items():
        await cart.add_item(conn, me.id, sku, qty, max_quantity=20)
    result = await checkout(conn, me.id, provider, SETTINGS)
    session_id = result.payment_url.rsplit("/", 1)[-1]
    return me.id, result.order.number, session_id


def paid(session_id: str, event_id: str, kind: PaymentEventKind = PaymentEventKind.PAID) -> PaymentEvent:
    return PaymentEvent(provider="dev", event_id=event_id, kind=kind, session_id=session_id)


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
    with pytest.raises(InvalidInput, match="empty"):
        await checkout(cconn, me.id, dev, SETTINGS)
    await cart.add_item(cconn, me.id, "BOOT-11", 1, max_quantity=20)
    await cart.add_item(cconn, me.id, "MUG-1", 1, max_quantity=20)
    await cconn.execute("UPDATE variants SET stock = 0 WHERE sku = 'BOOT-11'")
    with pytest.raises(OutOfStock, match="BOOT-11"):
        await checkout(cconn, me.id, dev, SETTINGS)
    assert await stock(cconn, "MUG-1") == 200  # the partial reservation was undone


async def test_same_event_ten_times_and_out_of_order_pays_once(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, session = await place(cconn, "c3", {"BOOT-10": 1}, dev)
    assert await stock(cconn, "BOOT-10") == 4
    results = [await apply_payment_event(cconn, paid(session, "evt_1")) for _ in range(10)]
    assert results == [True] + [False] * 9
    # a late "expired" for the same session must not move a paid order back or restock
    assert not await apply_payment_event(cconn, paid(session, "evt_2", PaymentEventKind.EXPIRED))
    assert not await apply_payment_event(cconn, paid(session, "evt_3", PaymentEventKind.PAID))
    order = await orders.get_order(cconn, me, number)
    assert order.status == "paid"
    assert await stock(cconn, "BOOT-10") == 4
    assert [e.status for e in order.history] == ["pending_payment", "paid"]


async def test_expired_session_and_sweeper_release_stock(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, session = await place(cconn, "c4", {"LAMP-W": 5}, dev)
    assert await apply_payment_event(cconn, paid(session, "evt_x", PaymentEventKind.EXPIRED))
    assert (await orders.get_order(cconn, me, number)).status == "expired"
    assert await stock(cconn, "LAMP-W") == 50
    me2, number2, _ = await place(cconn, "c5", {"LAMP-W": 3}, dev)
    assert await orders.expire_stale_orders(cconn, datetime.now(UTC)) == []
    later = datetime.now(UTC) + timedelta(minutes=SETTINGS.payments.reservation_minutes + 1)
    assert await orders.expire_stale_orders(cconn, later) == [number2]
    assert await orders.expire_stale_orders(cconn, later) == []
    assert (await orders.get_order(cconn, me2, number2)).status == "expired"
    assert await stock(cconn, "LAMP-W") == 50


async def test_cancel_pending_and_paid_orders(cconn: Conn) -> None:
    dev = DevPaymentProvider(SETTINGS)
    me, number, _ = await place(cconn, "c6", {"MUG-1": 4}, dev)
    assert (await orders.cancel_order(cconn, me, number, dev)).status == "cancelled"
    assert await stock(cconn, "MUG-1") == 200
    assert dev.refunds == []
    with pytest.raises(Conflict):
        await orders.cancel_order(cconn, me, number, dev)
    me, number, session = await place(cconn, "c6", {"MUG-1": 2}, dev)
    await apply_payment_event(cconn, paid(session, "evt_c6"))
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
    await apply_payment_event(cconn, paid(session, "evt_c7"))
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

    def __init__(self) -> None:
        self.fail = True
        self.keys: list[str] = []

    async def create_checkout_session(self, request: CheckoutSessionRequest) -> CheckoutSession:
        self.keys.append(f"checkout-{request.order_id}")
        if self.fail:
            raise PaymentError("the payment provider is unavailable, try again")
        return CheckoutSession(id="cs_ok", url="https://pay.test/cs_ok")

    async def refund(self, session_id: str, amount_minor: int, currency: str) -> None:
        return None

    async def expire_session(self, session_id: str) -> None:
        return None


async def test_provider_failure_keeps_order_pending_and_retry_succeeds(cconn: Conn) -> None:
    flaky = FlakyProvider()
    me = await customer_for_identity(cconn, "web", "c8")
    await cart.add_item(cconn, me.id, "MUG-1", 1, max_quantity=20)
    result = await checkout(cconn, me.id, flaky, SETTINGS)
    assert result.payment_error
    assert result.payment_url == ""
    assert result.order.status == "pending_payment"
    assert await stock(cconn, "MUG-1") == 199
    flaky.fail = False
    retried = await resume_payment(cconn, me.id, result.order.number, flaky, SETTINGS)
    assert retried.payment_url == "https://pay.test/cs_ok"
    assert retried.payment_error is None
    assert len(set(flaky.keys)) == 1
    assert len(flaky.keys) == 2


def test_dev_provider_refused_in_prod() -> None:
    settings = Settings.model_construct(env="prod", payments=SETTINGS.payments, public_url="x")
    with pytest.raises(Exception, match="TEST MODE"):
        build_dev_provider(settings)


async def test_hundred_simultaneous_checkouts_never_oversell(commerce_db: str) -> None:
    dev = DevPaymentProvider(SETTINGS)
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        commerce_db,
        min_size=10,
        max_size=20,
        kwargs={"row_factory": __import__("psycopg").rows.dict_row},
        open=False,
    )
    await pool.open(wait=True)
    try:
        async with pool.connection() as conn:
            await conn.execute("UPDATE variants SET stock = 7 WHERE sku = 'BOOT-10'")
            shoppers = []
            for i in range(120):
                me = await customer_for_identity(conn, "web", f"race-{i}")
                await cart.add_item(conn, me.id, "BOOT-10", 1, max_quantity=20)
                shoppers.append(me.id)

        async def attempt(customer_id: UUID) -> bool:
            async with pool.connection() as conn, conn.transaction():
                try:
                    await checkout(conn, customer_id, dev, SETTINGS)
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
