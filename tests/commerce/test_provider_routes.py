"""Each payment provider's own route: the TEST MODE page with the dev provider, the signed webhook with
Stripe; the other provider's route is a 404 (the routes check the provider's type, not its name)."""

from __future__ import annotations

import httpx

from tests.commerce.apphelp import commerce_service, commerce_settings


def test_the_dev_provider_serves_the_test_page_and_no_stripe_webhook(commerce_db: str) -> None:
    with commerce_service(commerce_settings(commerce_db)) as url, httpx.Client(base_url=url) as client:
        webhook = client.post("/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
        assert webhook.status_code == 404
        assert webhook.json()["detail"] == "Stripe is not the configured payment provider"
        page = client.get("/pay/devcs_unknown")
        assert page.status_code == 404  # the page route is served: this session is unknown
        assert page.json()["detail"] != "the test payment page is not enabled"


def test_stripe_serves_the_webhook_and_no_test_page(commerce_db: str) -> None:
    settings = commerce_settings(
        commerce_db, provider="stripe", stripe_secret_key="sk_test_elara", stripe_webhook_secret="whsec_x"
    )
    with commerce_service(settings) as url, httpx.Client(base_url=url) as client:
        for page in (client.get("/pay/devcs_unknown"), client.post("/pay/devcs_unknown")):
            assert page.status_code == 404
            assert page.json()["detail"] == "the test payment page is not enabled"
        webhook = client.post("/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
        assert webhook.status_code == 400  # the webhook route is served: the signature is refused
        assert "signature" in webhook.json()["detail"]
