"""The Stripe payment handler over UCP REST: the store creates and confirms one PaymentIntent through the real
``stripe`` library, against the local Stripe stand-in over HTTP. A decline is a 402 with ``payment_failed``
and nothing reserved; a replayed completion and concurrent completions charge once."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import psycopg
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.commerce.apphelp import ADMIN_KEY
from tests.ucp.client import CHECKOUT_SCHEMAS, UcpClient, protocol_error, valid
from tests.ucp.conftest import Platform
from tests.ucp.test_rest_conformance import ADA, LAMPS, codes, stock, total

STRIPE = "com.stripe.payment_intent"


def ready_checkout(client: UcpClient) -> dict[str, Any]:
    """Two lamps for Ada, to her saved home address, express: ready to complete."""
    created = client.create({**LAMPS, "buyer": ADA})
    group = {"id": "package_1", "selected_option_id": "express"}
    fulfillment = {
        "methods": [{"type": "shipping", "selected_destination_id": "addr_home", "groups": [group]}]
    }
    ready = client.update(created["id"], {"fulfillment": fulfillment})
    assert ready["status"] == "ready_for_complete", ready["messages"]
    return ready


def pay(token: str, kind: str | None = None) -> dict[str, Any]:
    credential = {
        "type": kind
        or ("stripe_shared_payment_token" if token.startswith("spt_") else "stripe_payment_method"),
        "token": token,
    }
    instrument = {
        "id": "instr_1",
        "handler_id": "stripe",
        "type": "card",
        "selected": True,
        "credential": credential,
    }
    return {"payment": {"instruments": [instrument]}}


def payment_of(db_url: str, order_number: str) -> tuple[str, str]:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT payment_provider, payment_session_id FROM orders WHERE number = %s", (order_number,)
        ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_profile_offers_stripe_only_when_payments_run_on_stripe(
    stripe_store: str, store: str, platform: Platform
) -> None:
    with_stripe = UcpClient(stripe_store, platform.profile_url).profile["ucp"]["payment_handlers"]
    assert with_stripe[STRIPE][0]["id"] == "stripe"
    assert with_stripe[STRIPE][0]["config"]["environment"] == "test"
    assert "dev.elara.test_mode" in with_stripe
    without = UcpClient(store, platform.profile_url).profile["ucp"]["payment_handlers"]
    assert STRIPE not in without
    assert httpx.get(f"{store}/ucp/v1/payment-handlers/stripe").status_code == 404
    described = httpx.get(f"{stripe_store}/ucp/v1/payment-handlers/stripe").json()
    assert described["id"] == "stripe"


def test_pay_with_a_payment_method_declines_then_succeeds_and_a_replay_charges_once(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    assert STRIPE in ready["ucp"]["payment_handlers"]
    before, charged = stock(commerce_db, "LAMP-W"), len(stripe.succeeded_intents())
    path = f"/checkout-sessions/{ready['id']}/complete"

    declined = client.checkout(client.call("POST", path, pay("pm_card_visa_chargeDeclined")), 402)
    assert declined["status"] == "ready_for_complete"
    assert codes(declined)[0] == "payment_failed"
    assert "declined" in declined["messages"][0]["content"]
    assert stock(commerce_db, "LAMP-W") == before  # nothing reserved
    assert len(stripe.succeeded_intents()) == charged

    creates = len(stripe.intent_creates())
    paid = client.call("POST", path, pay("pm_card_visa"), key="stripe-complete-1")
    completed = client.checkout(paid)
    assert completed["status"] == "completed"
    request = stripe.intent_creates()[-1]
    assert request.params["amount"] == str(total(ready, "total"))
    assert request.params["currency"] == "usd"
    assert request.params["payment_method"] == "pm_card_visa"
    assert request.params["confirm"] == "true"
    assert request.idempotency_key.startswith(f"ucp-charge-{ready['id']}-")
    assert len(stripe.succeeded_intents()) == charged + 1
    intent = stripe.succeeded_intents()[-1]
    assert intent["amount"] == total(ready, "total")
    assert payment_of(commerce_db, completed["order"]["id"]) == ("ucp_stripe", intent["id"])
    assert stock(commerce_db, "LAMP-W") == before - 2

    replay = client.call("POST", path, pay("pm_card_visa"), key="stripe-complete-1")
    assert (replay.status_code, replay.json()) == (paid.status_code, paid.json())
    protocol_error(client.call("POST", path, pay("pm_card_visa")), 409, "conflict")  # a new key: done
    assert len(stripe.intent_creates()) == creates + 1  # one PaymentIntent for the order
    assert len(stripe.succeeded_intents()) == charged + 1
    assert stock(commerce_db, "LAMP-W") == before - 2

    number = completed["order"]["id"]  # the merchant's refund reaches the PaymentIntent
    refund = httpx.post(
        f"{stripe_store}/api/v1/admin/orders/{number}/refund", headers={"X-Admin-Key": ADMIN_KEY}
    )
    assert refund.status_code == 200, refund.text
    assert (stripe.refunds[-1]["payment_intent"], stripe.refunds[-1]["amount"]) == (
        intent["id"],
        intent["amount"],
    )


def test_pay_with_a_shared_payment_token_and_refuse_what_needs_the_payer(
    stripe_store: str, platform: Platform, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    path = f"/checkout-sessions/{ready['id']}/complete"
    needs_3ds = client.checkout(client.call("POST", path, pay("pm_card_authenticationRequired")), 402)
    assert codes(needs_3ds)[0] == "payment_failed"
    assert stripe.intents[_last_intent(stripe)]["status"] == "canceled"  # nothing left to capture
    wrong = client.call("POST", path, pay("tok_visa", "stripe_payment_method"))
    protocol_error(wrong, 400, "invalid_request")

    completed = client.checkout(client.call("POST", path, pay("spt_test_granted_1")))
    assert completed["status"] == "completed"
    request = stripe.intent_creates()[-1]
    assert request.params["shared_payment_granted_token"] == "spt_test_granted_1"
    assert "payment_method" not in request.params


def _last_intent(stripe: Any) -> str:
    return str(list(stripe.intents)[-1])


def test_concurrent_completions_charge_once(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    before, charged = stock(commerce_db, "LAMP-W"), len(stripe.succeeded_intents())
    url = f"{client.endpoint}/checkout-sessions/{ready['id']}/complete"
    tokens = ["pm_card_visa", "pm_card_mastercard", "spt_test_granted_2", "pm_card_amex"]
    answers: list[httpx.Response] = []
    start = threading.Barrier(len(tokens))

    def complete(token: str, key: str) -> None:
        with httpx.Client(timeout=60) as http:
            start.wait()
            answers.append(http.post(url, json=pay(token), headers=client.headers(key)))

    threads = [threading.Thread(target=complete, args=(t, f"concurrent-{i}")) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200)
    assert valid(winner.json(), CHECKOUT_SCHEMAS)["status"] == "completed"
    assert len(stripe.succeeded_intents()) == charged + 1
    assert stock(commerce_db, "LAMP-W") == before - 2


def test_stripe_down_reserves_nothing_and_the_retry_charges_once(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    before, charged = stock(commerce_db, "LAMP-W"), len(stripe.succeeded_intents())
    path = f"/checkout-sessions/{ready['id']}/complete"
    stripe.fail_next(3)  # the stripe library's own two retries fail too
    down = client.call("POST", path, pay("pm_card_visa"))
    assert down.status_code == 502, down.text
    assert "Stripe could not take the payment" in down.json()["content"]
    assert stock(commerce_db, "LAMP-W") == before
    assert client.get(ready["id"])["status"] == "ready_for_complete"
    keys = {r.idempotency_key for r in stripe.intent_creates()[-3:]}
    assert len(keys) == 1  # the retries were the same request
    completed = client.checkout(client.call("POST", path, pay("pm_card_visa")))
    assert completed["status"] == "completed"
    assert stripe.intent_creates()[-1].idempotency_key in keys  # the same charge, taken now
    assert len(stripe.succeeded_intents()) == charged + 1
    assert stock(commerce_db, "LAMP-W") == before - 2


def test_a_charge_whose_order_cannot_be_recorded_is_refunded_and_the_retry_charges_anew(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    """The database refuses to record the completion after Stripe took the money (a trigger stands in for
    the failure): the PaymentIntent is refunded, nothing is reserved, and the retried completion does not
    take the refunded intent's replay for a payment."""
    stripe = stubs.parts["stripe"]
    client = UcpClient(stripe_store, platform.profile_url)
    ready = ready_checkout(client)
    before, charged = stock(commerce_db, "LAMP-W"), len(stripe.succeeded_intents())
    with psycopg.connect(commerce_db, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'the disk is full (test)'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_completion BEFORE UPDATE ON checkout_sessions FOR EACH ROW"
            " WHEN (NEW.status = 'completed') EXECUTE FUNCTION refuse_completion()"
        )
    path = f"/checkout-sessions/{ready['id']}/complete"
    failed = client.http.post(
        f"{client.endpoint}{path}", json=pay("pm_card_visa"), headers=client.headers("k1")
    )
    assert failed.status_code == 500
    lost = stripe.succeeded_intents()[-1]
    assert len(stripe.succeeded_intents()) == charged + 1
    assert (stripe.refunds[-1]["payment_intent"], stripe.refunds[-1]["amount"]) == (
        lost["id"],
        lost["amount"],
    )
    assert stock(commerce_db, "LAMP-W") == before
    with psycopg.connect(commerce_db, autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse_completion ON checkout_sessions")

    completed = client.checkout(client.call("POST", path, pay("pm_card_visa")))
    assert completed["status"] == "completed"
    paid = stripe.succeeded_intents()[-1]
    assert paid["id"] != lost["id"]
    assert payment_of(commerce_db, completed["order"]["id"]) == ("ucp_stripe", paid["id"])
    assert stock(commerce_db, "LAMP-W") == before - 2


async def test_complete_over_mcp_with_the_stripe_handler(
    stripe_store: str, platform: Platform, commerce_db: str, stubs: Any
) -> None:
    stripe = stubs.parts["stripe"]
    ready = await asyncio.to_thread(ready_checkout, UcpClient(stripe_store, platform.profile_url))
    charged = len(stripe.succeeded_intents())
    async with (
        streamable_http_client(f"{stripe_store}/mcp") as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        meta = {"ucp-agent": {"profile": platform.profile_url}, "idempotency-key": "mcp-stripe-1"}
        arguments = {"meta": meta, "id": ready["id"], "checkout": pay("spt_test_granted_mcp")}
        result = await session.call_tool("complete_checkout", arguments)
        again = await session.call_tool("complete_checkout", arguments)  # replayed: the same answer
    assert not result.is_error
    body = valid(result.structured_content, CHECKOUT_SCHEMAS)
    assert body["status"] == "completed"
    assert again.structured_content == result.structured_content
    assert len(stripe.succeeded_intents()) == charged + 1
    assert payment_of(commerce_db, body["order"]["id"])[1] == stripe.succeeded_intents()[-1]["id"]
