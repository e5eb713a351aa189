"""The "Done when" flow against the full app (template DB with the demo store): search included."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


def in_stock_skus(client: httpx.Client, query: str) -> list[tuple[str, int, str]]:
    response = client.get("/api/v1/products/search", params={"q": query, "in_stock": True})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    return [
        (v["sku"], v["stock"], h["product"]["id"])
        for h in hits
        for v in h["product"]["variants"]
        if v["stock"] > 0
    ]


def test_shopper_flow_through_the_full_app(service: str) -> None:
    with httpx.Client(base_url=service, timeout=60) as client:
        token = client.post("/api/v1/sessions").json()["token"]
        me = {"Authorization": f"Bearer {token}"}
        skus = in_stock_skus(client, "water bottle")[:1] + in_stock_skus(client, "office chair")[:1]
        assert len(skus) == 2
        for sku, _, _ in skus:
            assert (
                client.post("/api/v1/cart/items", json={"sku": sku, "quantity": 1}, headers=me).status_code
                == 200
            )
        checkout = client.post("/api/v1/checkout", headers=me)
        assert checkout.status_code == 201, checkout.text
        number, pay_url = checkout.json()["order"]["number"], checkout.json()["payment_url"]
        pay_url = urlsplit(pay_url).path  # public_url is not the test server's port here
        assert pay_url.startswith("/pay/devcs_")
        page = client.get(pay_url)
        assert "TEST MODE" in page.text
        assert client.post(pay_url, follow_redirects=False).status_code == 303
        assert client.get(f"/api/v1/orders/{number}", headers=me).json()["status"] == "paid"
        for sku, before, product_id in skus:
            product = client.get(f"/api/v1/products/{product_id}").json()
            after = [v["stock"] for v in product["variants"] if v["sku"] == sku]
            assert after == [before - 1]
        admin_orders = client.get(
            "/api/v1/admin/orders", params={"status": "paid"}, headers={"X-Admin-Key": "x"}
        )
        assert admin_orders.status_code == 401
