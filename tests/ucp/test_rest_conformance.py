"""UCP conformance, REST binding 2026-04-08: a platform client that knows only the spec drives a seeded store
over real HTTP (discovery, checkout with discounts and shipping, TEST MODE payment, orders, webhooks,
shipping simulation, idempotency, errors); every response body is validated against the spec's schemas."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from elara_bot.ucp.signatures import verify
from tests.ucp.client import ERROR_SCHEMAS, ORDER_SCHEMAS, UcpClient, protocol_error, valid
from tests.ucp.conftest import SIMULATION_SECRET, Platform

LAMPS = {"line_items": [{"item": {"id": "LAMP-W", "title": "FREE LAMP", "price": 1}, "quantity": 2}]}
ADA = {"email": "ada@example.com", "first_name": "Ada", "consent": {"marketing": False, "analytics": True}}


def total(body: dict[str, Any], kind: str) -> int | None:
    return next((t["amount"] for t in body["totals"] if t["type"] == kind), None)


def codes(body: dict[str, Any]) -> list[str]:
    return [m["code"] for m in body.get("messages", [])]


def stock(db_url: str, sku: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT stock FROM variants WHERE sku = %s", (sku,)).fetchone()
    assert row is not None
    return int(row[0])


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_discovery_profile_lists_capabilities_and_the_test_mode_handler(
    store: str, platform: Platform
) -> None:
    client = UcpClient(store, platform.profile_url)
    ucp = client.profile["ucp"]
    assert ucp["version"] == "2026-04-08"
    assert set(ucp["capabilities"]) >= {
        "dev.ucp.shopping.checkout",
        "dev.ucp.shopping.order",
        "dev.ucp.shopping.discount",
        "dev.ucp.shopping.fulfillment",
        "dev.ucp.shopping.buyer_consent",
    }
    assert client.endpoint == f"{store}/ucp/v1"
    assert client.handler["available_instruments"] == [{"type": "card"}]
    cache = httpx.get(f"{store}/.well-known/ucp").headers["cache-control"]
    assert "public" in cache
    assert "max-age=300" in cache


def test_buy_with_saved_address_discounts_shipping_and_follow_the_order_to_shipped(
    store: str, platform: Platform, commerce_db: str
) -> None:
    client = UcpClient(store, platform.profile_url)
    before = stock(commerce_db, "LAMP-W")
    created = client.create({**LAMPS, "buyer": ADA, "discounts": {"codes": ["welcome10", "TAKE5"]}})
    line = created["line_items"][0]
    assert line["item"] == {"id": "LAMP-W", "title": "Desk Lamp (white)", "price": 3_450}  # the catalog's
    assert created["status"] == "incomplete"
    assert codes(created) == ["missing"]  # only the shipping option is missing
    method = created["fulfillment"]["methods"][0]
    assert [d["id"] for d in method["destinations"]] == ["addr_home", "addr_work"]  # saved, default first
    assert method["selected_destination_id"] == "addr_home"
    assert [o["id"] for o in method["groups"][0]["options"]] == ["standard", "express"]
    assert [(d["code"], d["amount"]) for d in created["discounts"]["applied"]] == [
        ("WELCOME10", 690),
        ("TAKE5", 500),
    ]

    group = {"id": "package_1", "selected_option_id": "express"}
    fulfillment = {
        "methods": [{"type": "shipping", "selected_destination_id": "addr_home", "groups": [group]}]
    }
    ready = client.update(created["id"], {**LAMPS, "fulfillment": fulfillment})
    assert ready["status"] == "ready_for_complete"
    # 6900 − 690 − 500 = 5710; express 1999; California 7.25 % of 5710 = 414 (shipping untaxed there)
    assert [total(ready, k) for k in ("subtotal", "discount", "fulfillment", "tax", "total")] == [
        6_900,
        -1_190,
        1_999,
        414,
        8_123,
    ]

    declined = client.call(
        "POST", f"/checkout-sessions/{created['id']}/complete", client.pay("tok_test_decline")
    )
    body = client.checkout(declined, 402)
    assert body["status"] == "ready_for_complete"
    assert codes(body)[0] == "payment_failed"
    assert stock(commerce_db, "LAMP-W") == before  # nothing reserved

    path = f"/checkout-sessions/{created['id']}/complete"
    paid = client.call("POST", path, client.pay("tok_test_success"), key="complete-key-1")
    completed = client.checkout(paid)
    assert completed["status"] == "completed"
    assert stock(commerce_db, "LAMP-W") == before - 2
    replay = client.call("POST", path, client.pay("tok_test_success"), key="complete-key-1")
    assert (replay.status_code, replay.json()) == (paid.status_code, paid.json())
    protocol_error(
        client.call("POST", path, client.pay("tok_test_decline"), key="complete-key-1"),
        409,
        "idempotency_conflict",
    )
    protocol_error(client.call("POST", path, client.pay("tok_test_success")), 409, "conflict")
    protocol_error(client.call("PUT", f"/checkout-sessions/{created['id']}", LAMPS), 409, "conflict")
    assert stock(commerce_db, "LAMP-W") == before - 2  # one order, one charge

    order_id = completed["order"]["id"]
    order = client.order(order_id)
    assert order["checkout_id"] == created["id"]
    assert total(order, "total") == 8_123
    assert order["fulfillment"]["events"] == []
    wait_for(lambda: len(platform.received) == 1)
    hook = platform.received[0]
    valid(hook["body"], ORDER_SCHEMAS)
    assert hook["body"]["id"] == order_id
    assert hook["headers"]["webhook-id"]
    assert hook["headers"]["ucp-agent"] == f'profile="{store}/.well-known/ucp"'
    jwk = client.profile["signing_keys"][0]  # RFC 9421, the key the store's profile publishes
    webhook_url = f"{platform.base_url}/webhooks/ucp/orders"
    assert verify(jwk, "POST", webhook_url, hook["headers"], hook["raw"])
    assert not verify(jwk, "POST", webhook_url, hook["headers"], hook["raw"].replace(b"8123", b"1"))

    simulate = f"{client.endpoint}/testing/simulate-shipping"
    refused = httpx.post(simulate, json={"order_id": order_id}, headers={"Simulation-Secret": "wrong"})
    protocol_error(refused, 403, "forbidden")
    shipped = httpx.post(
        simulate,
        json={"order_id": order_id, "tracking_number": "1Z999"},
        headers={"Simulation-Secret": SIMULATION_SECRET},
    )
    assert shipped.json() == {"order_id": order_id, "status": "fulfilled"}
    wait_for(lambda: len(platform.received) == 2)
    events = valid(platform.received[1]["body"], ORDER_SCHEMAS)["fulfillment"]["events"]
    assert [(e["type"], e.get("tracking_number")) for e in events] == [("shipped", "1Z999")]
    after = client.order(order_id)
    assert after["line_items"][0]["status"] == "fulfilled"
    assert after["line_items"][0]["quantity"]["fulfilled"] == 2
    if target := os.environ.get("UCP_TRANSCRIPT"):  # the README's transcript comes from this run
        Path(target).write_text(client.transcript(), encoding="utf-8")


def test_a_used_up_code_is_reported_and_a_non_stacking_code_wins_alone(
    store: str, platform: Platform
) -> None:
    client = UcpClient(store, platform.profile_url)
    stacked = client.create({**LAMPS, "discounts": {"codes": ["WELCOME10", "HALF", "NOPE"]}})
    assert [d["code"] for d in stacked["discounts"]["applied"]] == ["HALF"]
    assert total(stacked, "discount") == -3_450
    warnings = {m["code"]: m["path"] for m in stacked["messages"] if m["type"] == "warning"}
    assert warnings == {
        "discount_code_invalid": "$.discounts.codes[2]",
        "discount_code_combination_disallowed": "$.discounts.codes[0]",
    }


def test_free_shipping_over_the_threshold_and_for_given_products(store: str, platform: Platform) -> None:
    client = UcpClient(store, platform.profile_url)
    home = {
        "street_address": "5 Oak",
        "address_locality": "Austin",
        "address_region": "TX",
        "postal_code": "73301",
        "address_country": "US",
    }
    fulfillment = {"methods": [{"type": "shipping", "destinations": [home]}]}
    boots = client.create(
        {"line_items": [{"item": {"id": "BOOT-10"}, "quantity": 1}], "fulfillment": fulfillment}
    )
    options = {
        o["id"]: o["totals"][0]["amount"] for o in boots["fulfillment"]["methods"][0]["groups"][0]["options"]
    }
    assert options == {"standard": 0, "express": 1_999}
    abroad = {**home, "address_country": "DE", "address_region": "BE"}
    mugs = client.create(
        {
            "line_items": [{"item": {"id": "MUG-1"}, "quantity": 2}],
            "fulfillment": {"methods": [{"type": "shipping", "destinations": [abroad]}]},
        }
    )
    options = {
        o["id"]: o["totals"][0]["amount"] for o in mugs["fulfillment"]["methods"][0]["groups"][0]["options"]
    }
    assert options == {"international": 0}


def test_unknown_item_out_of_stock_cancel_and_negotiation_errors(store: str, platform: Platform) -> None:
    client = UcpClient(store, platform.profile_url)
    unknown = client.call(
        "POST", "/checkout-sessions", {"line_items": [{"item": {"id": "NOPE"}, "quantity": 1}]}
    )
    assert unknown.status_code == 200
    assert valid(unknown.json(), ERROR_SCHEMAS)["messages"][0]["code"] == "not_found"

    empty = client.create({"line_items": [{"item": {"id": "LAMP-B"}, "quantity": 1}], "buyer": ADA})
    assert "out_of_stock" in codes(empty)
    not_ready = client.checkout(
        client.call("POST", f"/checkout-sessions/{empty['id']}/complete", client.pay("tok_test_success"))
    )
    assert not_ready["status"] == "incomplete"
    assert "order" not in not_ready

    canceled = client.checkout(client.call("POST", f"/checkout-sessions/{empty['id']}/cancel", {}))
    assert canceled["status"] == "canceled"
    protocol_error(client.call("PUT", f"/checkout-sessions/{empty['id']}", LAMPS), 409, "conflict")

    protocol_error(client.call("GET", "/checkout-sessions/chk_missing"), 404, "not_found")
    other = f'profile="{platform.profile_url}?someone=else"'
    protocol_error(client.call("GET", f"/checkout-sessions/{empty['id']}", agent=other), 404, "not_found")
    protocol_error(
        client.http.get(f"{client.endpoint}/checkout-sessions/{empty['id']}"), 400, "invalid_profile_url"
    )
    newer = f'profile="{platform.profile_url}", version="2027-01-01"'
    protocol_error(client.call("POST", "/checkout-sessions", LAMPS, agent=newer), 400, "version_unsupported")
    platform.version = "2026-12-31"  # a platform newer than this store (a fresh profile URL: not cached)
    newer_profile = f'profile="{platform.profile_url}?fresh=1"'
    protocol_error(
        client.call("POST", "/checkout-sessions", LAMPS, agent=newer_profile), 400, "version_unsupported"
    )
    bad = client.call(
        "POST", "/checkout-sessions", {"line_items": [{"item": {"id": "MUG-1"}, "quantity": 0}]}
    )
    protocol_error(bad, 400, "invalid_request")


SEARCH = ("shopping/catalog_search.json#/$defs/search_response",)
LOOKUP = ("shopping/catalog_lookup.json#/$defs/lookup_response",)
PRODUCT = ("shopping/catalog_lookup.json#/$defs/get_product_response",)
CART = ("shopping/cart.json", "shopping/discount.json#/$defs/dev.ucp.shopping.cart")


def test_find_a_product_build_a_cart_and_check_it_out(store: str, platform: Platform) -> None:
    client = UcpClient(store, platform.profile_url)
    found = client.call("POST", "/catalog/search", {"query": "desk lamp", "pagination": {"limit": 5}})
    assert found.status_code == 200, found.text
    products = valid(found.json(), SEARCH)["products"]
    lamp = next(p for p in products if p["id"] == "p-lamp")
    assert {v["id"]: v["price"]["amount"] for v in lamp["variants"]} == {"LAMP-W": 3_450, "LAMP-B": 3_600}
    assert {v["id"]: v["availability"]["available"] for v in lamp["variants"]} == {
        "LAMP-W": True,
        "LAMP-B": False,
    }
    looked = valid(
        client.call("POST", "/catalog/lookup", {"ids": ["p-boot", "MUG-1", "nope"]}).json(), LOOKUP
    )
    inputs = {v["id"]: v["inputs"] for p in looked["products"] for v in p["variants"]}
    assert inputs["MUG-1"] == [{"id": "MUG-1", "match": "exact"}]
    assert inputs["BOOT-10"] == [{"id": "p-boot", "match": "featured"}]
    assert looked["messages"][0]["code"] == "not_found"
    detail = valid(client.call("POST", "/catalog/product", {"id": "BOOT-11"}).json(), PRODUCT)["product"]
    assert detail["options"] == [{"name": "size", "values": [{"label": "10"}, {"label": "11"}]}]
    protocol_error(client.call("POST", "/catalog/product", {"id": "nope"}), 404, "not_found")

    made = client.call(
        "POST",
        "/carts",
        {"line_items": [{"item": {"id": "LAMP-W"}, "quantity": 1}], "discounts": {"codes": ["WELCOME10"]}},
    )
    assert made.status_code == 201, made.text
    cart = valid(made.json(), CART)
    grown = client.call(
        "PUT", f"/carts/{cart['id']}", {"line_items": [{"item": {"id": "LAMP-W"}, "quantity": 3}]}
    )
    assert {t["type"]: t["amount"] for t in valid(grown.json(), CART)["totals"]} == {
        "subtotal": 10_350,
        "discount": -1_035,
        "total": 9_315,
    }
    checkout = client.create({"cart_id": cart["id"], "line_items": []})
    assert checkout["cart_id"] == cart["id"]
    assert [(li["item"]["id"], li["quantity"]) for li in checkout["line_items"]] == [("LAMP-W", 3)]
    assert [d["code"] for d in checkout["discounts"]["applied"]] == ["WELCOME10"]
    assert client.create({"cart_id": cart["id"], "line_items": []})["id"] == checkout["id"]  # one per cart
    protocol_error(
        client.call("GET", f"/checkout-sessions/{cart['id']}"), 404, "not_found"
    )  # a cart is no checkout
    canceled = client.call("POST", f"/carts/{cart['id']}/cancel", {})
    assert valid(canceled.json(), CART)["id"] == cart["id"]


def test_malformed_requests_get_a_4xx_never_a_500(store: str, platform: Platform) -> None:
    client = UcpClient(store, platform.profile_url)
    made = client.create(LAMPS)
    path = f"/checkout-sessions/{made['id']}"
    bodies: list[Any] = [
        {"line_items": [{"item": {"id": "LAMP-W"}, "quantity": 1}], "buyer": {"email": 5}},
        {"buyer": {"email": "not-an-email"}},
        {"fulfillment": {"methods": [{"type": "shipping", "destinations": [{"address_country": 5}]}]}},
        {"fulfillment": {"methods": [{"type": "pickup"}]}},
        {"fulfillment": {"methods": [{"type": "shipping", "selected_destination_id": "nowhere"}]}},
        {"discounts": {"codes": [5]}},
        {"line_items": "lamps"},
        [1, 2],
    ]
    for body in bodies:
        answer = client.call("PUT", path, body)
        assert 400 <= answer.status_code < 500, (body, answer.text)
        assert answer.json()["code"] == "invalid_request"
    for payment in ({"instruments": "x"}, {"instruments": [5]}, {"instruments": [{"handler_id": "nope"}]}):
        answer = client.call("POST", f"{path}/complete", {"payment": payment})
        assert answer.status_code in (200, 400), answer.text  # not ready yet (200 messages) or refused
    not_json = client.http.post(
        f"{client.endpoint}/checkout-sessions", content=b"{", headers=client.headers("k")
    )
    protocol_error(not_json, 400, "invalid_request")
    long_key = client.call("POST", "/checkout-sessions", LAMPS, key="k" * 300)
    protocol_error(long_key, 400, "invalid_request")
