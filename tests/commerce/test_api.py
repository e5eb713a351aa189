"""The commerce REST API end to end over HTTP, with the dev (TEST MODE) provider."""

from __future__ import annotations

import re

import httpx
import psycopg

from tests.commerce.apphelp import ADMIN_KEY, commerce_service, commerce_settings


def session(client: httpx.Client) -> dict[str, str]:
    response = client.post("/api/v1/sessions")
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['token']}"}


def stock(db_url: str, sku: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT stock FROM variants WHERE sku = %s", (sku,)).fetchone()
        assert row is not None
        return int(row[0])


def add(client: httpx.Client, who: dict[str, str], sku: str, quantity: int) -> httpx.Response:
    return client.post("/api/v1/cart/items", json={"sku": sku, "quantity": quantity}, headers=who)


def test_done_when_flow_with_the_dev_provider(commerce_db: str) -> None:
    settings = commerce_settings(commerce_db)
    with commerce_service(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        me = session(client)
        assert add(client, me, "BOOT-10", 1).status_code == 200
        cart = add(client, me, "LAMP-W", 2).json()
        assert cart["total_minor"] == 12_999 + 2 * 3_450
        assert cart["item_count"] == 3
        response = client.post("/api/v1/checkout", headers=me)
        assert response.status_code == 201, response.text
        body = response.json()
        number, pay_url = body["order"]["number"], body["payment_url"]
        assert body["order"]["status"] == "pending_payment"
        assert pay_url.startswith(f"{url}/pay/")
        page = client.get(pay_url)
        assert page.status_code == 200
        assert "TEST MODE" in page.text
        assert number in page.text
        assert "Pay (test)" in page.text
        assert "$198.99" in page.text  # the TEST MODE page formats amounts as the widget does (Intl)
        paid = client.post(pay_url, follow_redirects=False)
        assert paid.status_code == 303
        assert f"order={number}" in paid.headers["location"]
        order = client.get(f"/api/v1/orders/{number}", headers=me).json()
        assert order["status"] == "paid"
        assert order["payment_url"] is None
        assert [o["number"] for o in client.get("/api/v1/orders", headers=me).json()] == [number]
        assert client.post(pay_url, follow_redirects=False).status_code == 303  # a replay is harmless
    assert stock(commerce_db, "BOOT-10") == 4
    assert stock(commerce_db, "LAMP-W") == 48


BAD_ITEMS = [
    {"sku": "NOPE", "quantity": 1},
    {"sku": "MUG-1", "quantity": -2},
    {"sku": "MUG-1", "quantity": 999},
    {"sku": "LAMP-B", "quantity": 1},
    {"quantity": 1},
]


def test_auth_idor_and_bad_input(commerce_db: str) -> None:
    settings = commerce_settings(commerce_db)
    with commerce_service(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/v1/cart").status_code == 401
        forged = {"Authorization": "Bearer forged.token.x"}
        assert client.get("/api/v1/cart", headers=forged).status_code == 401
        alice, bob = session(client), session(client)
        add(client, alice, "MUG-1", 1)
        number = client.post("/api/v1/checkout", headers=alice).json()["order"]["number"]
        assert client.get(f"/api/v1/orders/{number}", headers=bob).status_code == 404
        assert client.post(f"/api/v1/orders/{number}/cancel", headers=bob).status_code == 404
        returns = client.post(f"/api/v1/orders/{number}/returns", json={"skus": ["MUG-1"]}, headers=bob)
        assert returns.status_code == 404
        assert client.get("/api/v1/orders", headers=bob).json() == []
        assert client.get("/api/v1/cart", headers=bob).json()["lines"] == []
        for body in BAD_ITEMS:
            response = client.post("/api/v1/cart/items", json=body, headers=bob)
            assert 400 <= response.status_code < 500, body
            assert response.json()["detail"], body
        too_many = add(client, bob, "BOOT-11", 2)
        assert too_many.status_code == 409
        assert re.search(r"only 1 of \w.* \(BOOT-11\) available", too_many.json()["detail"])
        assert client.post("/api/v1/checkout", headers=bob).status_code == 409  # empty cart
        cancelled = client.post(f"/api/v1/orders/{number}/cancel", headers=alice).json()
        assert cancelled["status"] == "cancelled"
    assert stock(commerce_db, "MUG-1") == 200


def test_admin_routes(commerce_db: str) -> None:
    settings = commerce_settings(commerce_db)
    admin = {"X-Admin-Key": ADMIN_KEY}
    with commerce_service(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/v1/admin/orders").status_code == 401
        assert client.get("/api/v1/admin/orders", headers={"X-Admin-Key": "wrong"}).status_code == 401
        me = session(client)
        add(client, me, "MUG-1", 2)
        body = client.post("/api/v1/checkout", headers=me).json()
        number = body["order"]["number"]
        orders = f"/api/v1/admin/orders/{number}"
        assert client.post(f"{orders}/fulfil", json={"tracking": ["T1"]}, headers=admin).status_code == 409
        client.post(body["payment_url"], follow_redirects=False)
        listed = client.get("/api/v1/admin/orders", params={"status": "paid"}, headers=admin).json()
        assert [o["number"] for o in listed] == [number]
        shipped = client.post(f"{orders}/fulfil", json={"tracking": ["T1"]}, headers=admin).json()
        assert shipped["status"] == "fulfilled"
        assert shipped["tracking"] == ["T1"]
        assert client.post(f"{orders}/deliver", headers=admin).json()["status"] == "delivered"
        returned = client.post(
            f"/api/v1/orders/{number}/returns", json={"skus": ["MUG-1"], "reason": "broken"}, headers=me
        )
        assert returned.status_code == 200
        assert returned.json()["history"][-1]["status"] == "return_requested"
        assert client.post(f"{orders}/refund", headers=admin).json()["status"] == "refunded"
        stock_url = "/api/v1/admin/stock"
        assert client.put(f"{stock_url}/MUG-1", json={"stock": 7}, headers=admin).json() == {
            "sku": "MUG-1",
            "stock": 7,
        }
        assert client.put(f"{stock_url}/NOPE", json={"stock": 7}, headers=admin).status_code == 404
        assert client.put(f"{stock_url}/MUG-1", json={"stock": -1}, headers=admin).status_code == 422
