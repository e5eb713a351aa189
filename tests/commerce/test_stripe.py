"""Stripe through the real ``stripe`` library against the stand-in, with signed webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.commerce.apphelp import commerce_service, commerce_settings
from tests.commerce.test_api import add, session, stock
from tests.stubs.stripe_stub import StripeStub

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_stub(stubs: Any) -> StripeStub:
    stub: StripeStub = stubs.parts["stripe"]
    stub.failures.clear()
    return stub


@pytest.fixture
def shop(commerce_db: str, stubs: Any, stripe_stub: StripeStub) -> Iterator[httpx.Client]:
    settings = commerce_settings(
        commerce_db,
        provider="stripe",
        stripe_secret_key="sk_test_elara",
        stripe_webhook_secret=SECRET,
        stripe_api_base=stubs.base_url,
        stripe_timeout_s=0.5,
    )
    with commerce_service(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def checkout(shop: httpx.Client, items: dict[str, int]) -> tuple[dict[str, str], httpx.Response]:
    me = session(shop)
    for sku, quantity in items.items():
        assert add(shop, me, sku, quantity).status_code == 200
    return me, shop.post("/api/v1/checkout", headers=me)


def session_id(response: httpx.Response) -> str:
    return str(response.json()["payment_url"].rsplit("/", 1)[-1])


def deliver(stub: StripeStub, shop: httpx.Client, payload: str, **kw: Any) -> httpx.Response:
    return stub.deliver(
        f"{str(shop.base_url).rstrip('/')}/webhooks/stripe", payload, kw.pop("secret", SECRET), **kw
    )


def test_done_when_flow_with_signed_webhook_ten_times_and_out_of_order(
    shop: httpx.Client, stripe_stub: StripeStub, commerce_db: str
) -> None:
    me, response = checkout(shop, {"BOOT-10": 1, "LAMP-W": 2})
    assert response.status_code == 201, response.text
    number, sid = response.json()["order"]["number"], session_id(response)
    create = stripe_stub.creates()[-1]
    assert create.params["line_items[0][price_data][unit_amount]"] == str(12_999 + 2 * 3_450)
    assert create.params["metadata[order_number]"] == number
    assert create.idempotency_key is not None
    assert create.idempotency_key.startswith("checkout-")
    stripe_stub.complete(sid)
    paid_event = stripe_stub.event(sid, "checkout.session.completed")
    answers = [deliver(stripe_stub, shop, paid_event) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["applied"] for a in answers] == [True] + [False] * 9
    late = stripe_stub.event(sid, "checkout.session.expired")  # out of order: after the payment
    assert (deliver(stripe_stub, shop, late)).json()["applied"] is False
    order = shop.get(f"/api/v1/orders/{number}", headers=me).json()
    assert order["status"] == "paid"
    assert stock(commerce_db, "BOOT-10") == 4
    assert stock(commerce_db, "LAMP-W") == 48
    cancelled = shop.post(f"/api/v1/orders/{number}/cancel", headers=me).json()
    assert cancelled["status"] == "cancelled"
    assert stripe_stub.refunds[-1]["payment_intent"] == stripe_stub.sessions[sid]["payment_intent"]
    assert stripe_stub.refunds[-1]["amount"] == 12_999 + 2 * 3_450
    assert stock(commerce_db, "BOOT-10") == 5


def test_signature_invalid_stale_or_missing_is_refused(shop: httpx.Client, stripe_stub: StripeStub) -> None:
    me, response = checkout(shop, {"MUG-1": 1})
    number, sid = response.json()["order"]["number"], session_id(response)
    stripe_stub.complete(sid)
    payload = stripe_stub.event(sid, "checkout.session.completed")
    assert (deliver(stripe_stub, shop, payload, secret="whsec_wrong")).status_code == 400
    stale = int(time.time()) - 3600
    assert (deliver(stripe_stub, shop, payload, timestamp=stale)).status_code == 400
    unsigned = shop.post("/webhooks/stripe", content=payload)
    assert unsigned.status_code == 400
    assert shop.get(f"/api/v1/orders/{number}", headers=me).json()["status"] == "pending_payment"
    assert (deliver(stripe_stub, shop, payload)).json()["applied"] is True


def test_unpaid_completion_waits_for_async_success(shop: httpx.Client, stripe_stub: StripeStub) -> None:
    me, response = checkout(shop, {"MUG-1": 1})
    number, sid = response.json()["order"]["number"], session_id(response)
    stripe_stub.sessions[sid]["status"] = "complete"  # e.g. a bank debit still processing
    pending = stripe_stub.event(sid, "checkout.session.completed")
    assert (deliver(stripe_stub, shop, pending)).json()["applied"] is False
    assert shop.get(f"/api/v1/orders/{number}", headers=me).json()["status"] == "pending_payment"
    stripe_stub.complete(sid)
    succeeded = stripe_stub.event(sid, "checkout.session.async_payment_succeeded")
    assert (deliver(stripe_stub, shop, succeeded)).json()["applied"] is True
    assert shop.get(f"/api/v1/orders/{number}", headers=me).json()["status"] == "paid"


def test_expired_session_releases_stock(
    shop: httpx.Client, stripe_stub: StripeStub, commerce_db: str
) -> None:
    me, response = checkout(shop, {"LAMP-W": 4})
    number, sid = response.json()["order"]["number"], session_id(response)
    assert stock(commerce_db, "LAMP-W") == 46
    stripe_stub.expire(sid)
    assert (deliver(stripe_stub, shop, stripe_stub.event(sid, "checkout.session.expired"))).status_code == 200
    assert shop.get(f"/api/v1/orders/{number}", headers=me).json()["status"] == "expired"
    assert stock(commerce_db, "LAMP-W") == 50


@pytest.mark.parametrize("mode", ["500", "timeout"])
def test_stripe_down_releases_the_order_and_the_client_retries_with_one_key(
    shop: httpx.Client, stripe_stub: StripeStub, commerce_db: str, mode: str
) -> None:
    """Was: the order stayed pending with stock held and ``/orders/{number}/pay`` retried. Now the order
    is released and the cart restored (tests/commerce/test_payment_safety.py holds the details)."""
    before = len(stripe_stub.creates())
    stripe_stub.fail_next(3, mode, sleep_s=1.5)  # the client retries twice
    me, response = checkout(shop, {"MUG-1": 2})
    assert response.status_code == 502
    assert "Stripe could not open a payment page" in response.json()["detail"]
    assert stock(commerce_db, "MUG-1") == 200
    keys = {r.idempotency_key for r in stripe_stub.creates()[before:]}
    assert len(keys) == 1  # the client's own retries reuse the order's key
    assert len(stripe_stub.creates()) - before == 3
    retried = shop.post("/api/v1/checkout", headers=me)  # the restored cart checks out
    assert retried.status_code == 201, retried.text
    assert retried.json()["payment_url"].startswith(f"{stripe_stub.base_url_of()}/checkout/cs_test_")
