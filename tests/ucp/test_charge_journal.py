"""The charge journal: a Stripe charge whose order never committed (a commit that fails after the charge
stands in for the process dying there) is found by the reconciliation the sweeper runs and refunded once,
in full; an attempt that never took money is failed without a refund; a settled one is never touched; a
retry with another card never charges twice. Stripe is the local stand-in, reached over HTTP by the real
``stripe`` library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg

from elara_bot.db import open_pool
from elara_bot.orders.schemas import PaymentAlert
from elara_bot.orders.sweeper import reconcile_charges, run_sweeper
from elara_bot.payments.stripe import StripeProvider
from tests.ucp.client import UcpClient, protocol_error
from tests.ucp.conftest import Platform, stripe_settings
from tests.ucp.test_rest_conformance import stock, total
from tests.ucp.test_stripe_handler import pay, payment_of, ready_checkout


def journal(db_url: str, session_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(
            "SELECT * FROM charge_journal WHERE checkout_session_id = %s ORDER BY created_at", (session_id,)
        ).fetchall()


def orders_count(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM orders").fetchone()
    assert row is not None
    return int(row[0])


@contextmanager
def commit_fails(db_url: str) -> Iterator[None]:
    """The completion's transaction fails at COMMIT, after the charge and after everything in it ran (a
    deferred constraint trigger): what a process dying between Stripe and the commit leaves behind."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION lose_commit() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'the server went away (test)'; END $$"
        )
        conn.execute(
            "CREATE CONSTRAINT TRIGGER lose_commit AFTER UPDATE ON checkout_sessions"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'completed')"
            " EXECUTE FUNCTION lose_commit()"
        )
    try:
        yield
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER lose_commit ON checkout_sessions")
            conn.execute("DROP FUNCTION lose_commit()")


@asynccontextmanager
async def reconciler(db_url: str, stubs: Any) -> AsyncIterator[Any]:
    """The sweeper's reconciliation as the app wires it, with no grace period; yields a runner and the
    alerts the merchant received, and the sweeper loop itself."""
    settings = stripe_settings(db_url, stubs)
    assert settings.database.url is not None
    pool = await open_pool(settings.database.url.get_secret_value(), settings)
    provider = StripeProvider(settings)
    alerts: list[PaymentAlert] = []

    async def hook(alert: PaymentAlert) -> None:
        alerts.append(alert)

    async def run(grace_s: float = 0.0) -> int:
        return await reconcile_charges(pool, provider, [hook], grace_s)

    async def loop() -> None:  # the order sweeper's loop, every 50 ms
        await run_sweeper(pool, provider, 0.05, alerts=[hook], grace_s=0.0)

    try:
        yield run, alerts, loop
    finally:
        await pool.close()


def refunds_of(stripe: Any, intent_id: str) -> list[dict[str, Any]]:
    return [r for r in stripe.refunds if r["payment_intent"] == intent_id]


def lose_a_paid_completion(
    client: UcpClient, db_url: str, stripe: Any, token: str = "pm_card_visa"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Complete a ready checkout whose commit then fails: the charged intent and the ready checkout."""
    ready = ready_checkout(client)
    charged = len(stripe.succeeded_intents())
    with commit_fails(db_url):
        lost = client.http.post(
            f"{client.endpoint}/checkout-sessions/{ready['id']}/complete",
            json=pay(token),
            headers=client.headers("lost-1"),
        )
    assert lost.status_code >= 500, lost.text
    assert len(stripe.succeeded_intents()) == charged + 1
    return stripe.succeeded_intents()[-1], ready


async def test_a_charge_whose_commit_failed_is_refunded_once_by_the_sweeper(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    before, orders_before = stock(commerce_db, "LAMP-W"), orders_count(commerce_db)
    intent, ready = await asyncio.to_thread(lose_a_paid_completion, client, commerce_db, stripe)
    assert intent["amount"] == total(ready, "total")
    assert intent["metadata"]["checkout_session_id"] == ready["id"]
    [row] = journal(commerce_db, ready["id"])
    assert intent["metadata"]["journal_id"] == str(row["id"])
    assert (row["status"], row["intent_id"], row["amount_minor"]) == (
        "pending",
        intent["id"],
        intent["amount"],
    )
    assert refunds_of(stripe, intent["id"]) == []  # the gap: charged, no order, nothing given back yet

    async with reconciler(commerce_db, stubs) as (run, alerts, _):
        assert await run(grace_s=3600) == 0  # inside the grace period: left alone
        assert journal(commerce_db, ready["id"])[0]["status"] == "pending"
        assert await run() == 1
        assert await run() == 0  # a second run refunds nothing more
    [refund] = refunds_of(stripe, intent["id"])
    assert refund["amount"] == intent["amount"]
    refund_posts = [r for r in stripe.refund_requests() if r.params["payment_intent"] == intent["id"]]
    assert [r.idempotency_key for r in refund_posts] == [f"orphan-refund-{row['id']}"]
    assert journal(commerce_db, ready["id"])[0]["status"] == "refunded"
    assert [(a.kind, a.amount_minor) for a in alerts] == [("orphan_charge_refunded", intent["amount"])]
    assert intent["id"] in alerts[0].detail
    assert ready["id"] in alerts[0].detail
    assert orders_count(commerce_db) == orders_before  # no order
    assert stock(commerce_db, "LAMP-W") == before  # nothing reserved
    assert (await asyncio.to_thread(client.get, ready["id"]))["status"] == "ready_for_complete"


async def test_concurrent_reconciliations_refund_once(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    intent, ready = await asyncio.to_thread(lose_a_paid_completion, client, commerce_db, stripe)
    stripe.delay_s = 0.3  # each run is still talking to Stripe when the others reach the row
    try:
        async with reconciler(commerce_db, stubs) as (run, alerts, _):
            done = await asyncio.gather(run(), run(), run())
    finally:
        stripe.delay_s = 0.0
    assert sorted(done) == [0, 0, 1]
    assert len(refunds_of(stripe, intent["id"])) == 1
    # one request, not one replayed by the idempotency key: the row lock kept the others out
    assert len([r for r in stripe.refund_requests() if r.params["payment_intent"] == intent["id"]]) == 1
    assert journal(commerce_db, ready["id"])[0]["status"] == "refunded"
    assert len(alerts) == 1


async def test_an_attempt_that_took_no_money_fails_without_a_refund_and_a_settled_one_is_untouched(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = await asyncio.to_thread(ready_checkout, client)
    path = f"/checkout-sessions/{ready['id']}/complete"
    declined = await asyncio.to_thread(client.call, "POST", path, pay("pm_card_visa_chargeDeclined"))
    assert declined.status_code == 402
    assert [r["status"] for r in journal(commerce_db, ready["id"])] == ["failed"]  # known at once
    stripe.fail_next(3)  # Stripe down: whether the charge happened is unknown, the row stays pending
    down = await asyncio.to_thread(client.call, "POST", path, pay("pm_card_mastercard"))
    assert down.status_code == 502, down.text
    assert [r["status"] for r in journal(commerce_db, ready["id"])] == ["failed", "pending"]

    paid_ready = await asyncio.to_thread(ready_checkout, client)
    paid = await asyncio.to_thread(
        client.call, "POST", f"/checkout-sessions/{paid_ready['id']}/complete", pay("pm_card_visa")
    )
    assert paid.status_code == 200, paid.text
    [settled] = journal(commerce_db, paid_ready["id"])
    number = paid.json()["order"]["id"]
    assert settled["status"] == "settled"
    assert (settled["intent_id"], settled["order_id"] is not None) == (
        payment_of(commerce_db, number)[1],
        True,
    )

    refunds, requests = len(stripe.refunds), len(stripe.requests)
    async with reconciler(commerce_db, stubs) as (run, alerts, _):
        assert await run() == 0
    assert [r["status"] for r in journal(commerce_db, ready["id"])] == ["failed", "failed"]
    assert len(stripe.refunds) == refunds
    assert alerts == []
    asked = [r.path for r in stripe.requests[requests:]]
    assert asked == ["/v1/payment_intents/search"]  # only the pending row was looked up
    assert journal(commerce_db, paid_ready["id"]) == [settled]  # the settled row was never touched


def test_a_retry_with_another_card_never_charges_twice(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    """While an earlier attempt's outcome is unknown, another card is refused (409); the same card retries
    the same charge. An earlier attempt that took money without an order is refunded before another card
    is charged."""
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    path = f"/checkout-sessions/{ready['id']}/complete"
    charged = len(stripe.succeeded_intents())
    stripe.fail_next(3)
    assert client.call("POST", path, pay("pm_card_visa")).status_code == 502
    refused = protocol_error(client.call("POST", path, pay("pm_card_mastercard")), 409, "conflict")
    assert "earlier payment attempt" in refused["content"]
    assert len(stripe.succeeded_intents()) == charged
    completed = client.checkout(client.call("POST", path, pay("pm_card_visa")))
    assert completed["status"] == "completed"
    assert len(stripe.succeeded_intents()) == charged + 1
    assert [r["status"] for r in journal(commerce_db, ready["id"])] == ["settled"]

    before = stock(commerce_db, "LAMP-W")
    lost, again = lose_a_paid_completion(client, commerce_db, stripe, "pm_card_visa")
    retried = client.call("POST", f"/checkout-sessions/{again['id']}/complete", pay("spt_test_granted_9"))
    done = client.checkout(retried)
    assert done["status"] == "completed"
    [refund] = refunds_of(stripe, lost["id"])  # the first card was given back, in full, before
    assert refund["amount"] == lost["amount"]
    paid = stripe.succeeded_intents()[-1]
    assert paid["id"] != lost["id"]
    assert paid["shared_payment_granted_token"] == "spt_test_granted_9"
    assert payment_of(commerce_db, done["order"]["id"]) == ("ucp_stripe", paid["id"])
    assert [r["status"] for r in journal(commerce_db, again["id"])] == ["refunded", "settled"]
    assert stock(commerce_db, "LAMP-W") == before - 2


async def test_the_order_sweeper_loop_runs_the_reconciliation(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    intent, ready = await asyncio.to_thread(lose_a_paid_completion, client, commerce_db, stripe)
    async with reconciler(commerce_db, stubs) as (_, alerts, loop):
        task = asyncio.create_task(loop())
        try:
            for _ in range(200):
                if alerts:
                    break
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
    assert [a.kind for a in alerts] == ["orphan_charge_refunded"]
    assert [r["amount"] for r in refunds_of(stripe, intent["id"])] == [intent["amount"]]
    assert journal(commerce_db, ready["id"])[0]["status"] == "refunded"
