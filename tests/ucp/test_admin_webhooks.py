"""The composed service (elara_bot.app.create_app, the demo store): an order a platform placed over UCP is
shipped, delivered and refunded by the merchant through the admin API, and the platform's webhook receiver
(on 127.0.0.1) gets each change as a signed order webhook; an order placed in the chat gets none."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from elara_bot.app import create_app
from elara_bot.ucp.signatures import verify
from retrieval.embedding import Embedder
from tests.conftest import make_settings
from tests.helpers import serve_in_thread
from tests.ucp.client import ORDER_SCHEMAS, UcpClient, valid
from tests.ucp.conftest import Platform

ADMIN_KEY = "admin-webhook-test-key"


def in_stock_sku(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT sku FROM variants WHERE active AND stock >= 5 AND currency = 'USD' ORDER BY sku LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0])


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_admin_changes_reach_the_platform_as_signed_order_webhooks(
    platform: Platform, db_url: str, tmp_path: Path, embedder: Embedder
) -> None:
    sku = in_stock_sku(db_url)
    overrides = {"ucp": {"allow_http_profiles": True}, "auth": {"admin_api_key": ADMIN_KEY}}
    settings = make_settings(db_url, tmp_path, **overrides)
    with serve_in_thread(create_app(settings, embedder=embedder)) as url:
        settings.public_url = url  # the profile's endpoint and the webhooks' UCP-Agent name this address
        client = UcpClient(url, platform.profile_url)
        created = client.create(
            {"line_items": [{"item": {"id": sku}, "quantity": 1}], "buyer": {"email": "agent@example.com"}}
        )
        assert created["status"] == "ready_for_complete", created["messages"]
        paid = client.checkout(
            client.call(
                "POST", f"/checkout-sessions/{created['id']}/complete", client.pay("tok_test_success")
            )
        )
        number = paid["order"]["id"]
        wait_for(lambda: len(platform.received) == 1)  # the completion's own webhook

        admin = httpx.Client(base_url=url, headers={"X-Admin-Key": ADMIN_KEY}, timeout=30)
        hook_url = f"{platform.base_url}/webhooks/ucp/orders"
        jwk = client.profile["signing_keys"][0]

        def latest(count: int) -> dict[str, Any]:
            wait_for(lambda: len(platform.received) == count)
            hook = platform.received[-1]
            assert verify(jwk, "POST", hook_url, hook["headers"], hook["raw"])
            assert hook["headers"]["ucp-agent"] == f'profile="{url}/.well-known/ucp"'
            body: dict[str, Any] = valid(hook["body"], ORDER_SCHEMAS)
            assert body["id"] == number
            return body

        shipped = admin.post(f"/api/v1/admin/orders/{number}/fulfil", json={"tracking": ["1ZADMIN"]})
        assert shipped.status_code == 200, shipped.text
        events = latest(2)["fulfillment"]["events"]
        assert [(e["type"], e.get("tracking_number")) for e in events] == [("shipped", "1ZADMIN")]

        assert admin.post(f"/api/v1/admin/orders/{number}/deliver").status_code == 200
        assert [e["type"] for e in latest(3)["fulfillment"]["events"]] == ["shipped", "delivered"]

        assert admin.post(f"/api/v1/admin/orders/{number}/refund").status_code == 200
        refunded = latest(4)
        assert {line["status"] for line in refunded["line_items"]} == {"removed"}

        refused = admin.post(f"/api/v1/admin/orders/{number}/fulfil", json={"tracking": ["again"]})
        assert refused.status_code == 409  # nothing changed: no webhook
        time.sleep(0.5)
        assert len(platform.received) == 4
