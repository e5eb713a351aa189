"""A seeded store served over real HTTP with the UCP edge, and a platform of our own: its profile (with the
order webhook URL) and a webhook receiver, served on loopback too."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from pydantic import SecretStr

from elara_bot.config import Settings
from elara_bot.db import connect
from elara_bot.storefront.importer import import_dir
from elara_bot.ucp import mcp_server
from elara_bot.ucp import routes as ucp_routes
from tests.commerce.apphelp import build_commerce_app, commerce_settings
from tests.commerce.conftest import commerce_db, commerce_db_factory, commerce_template
from tests.helpers import serve_in_thread
from tests.storefront.test_store import write_store

__all__ = ["commerce_db", "commerce_db_factory", "commerce_template"]
SIMULATION_SECRET = "simulate-please"


@dataclass
class Platform:
    """The platform side: its profile (version and capabilities as a test sets them) and what its webhook
    received."""

    base_url: str = ""
    version: str = "2026-04-08"
    capabilities: list[str] = field(
        default_factory=lambda: [
            "dev.ucp.shopping.checkout",
            "dev.ucp.shopping.order",
            "dev.ucp.shopping.discount",
            "dev.ucp.shopping.fulfillment",
            "dev.ucp.shopping.buyer_consent",
            "dev.ucp.shopping.cart",
            "dev.ucp.shopping.catalog.search",
            "dev.ucp.shopping.catalog.lookup",
        ]
    )
    received: list[dict[str, Any]] = field(default_factory=list)
    signing_keys: list[dict[str, Any]] = field(default_factory=list)  # JWKs its requests are signed with

    @property
    def profile_url(self) -> str:
        return f"{self.base_url}/.well-known/ucp"

    def profile(self) -> dict[str, Any]:
        spec = f"https://ucp.dev/{self.version}/specification"
        caps: dict[str, list[dict[str, Any]]] = {}
        for name in self.capabilities:
            entry: dict[str, Any] = {
                "version": self.version,
                "spec": f"{spec}/{name.rsplit('.', 1)[1]}",
                "schema": f"https://ucp.dev/schemas/shopping/{name.rsplit('.', 1)[1]}.json",
            }
            if name.endswith(("fulfillment", "buyer_consent")):
                entry["extends"] = "dev.ucp.shopping.checkout"
            if name.endswith("discount"):
                entry["extends"] = ["dev.ucp.shopping.checkout", "dev.ucp.shopping.cart"]
            if name.endswith(".order"):
                entry["config"] = {"webhook_url": f"{self.base_url}/webhooks/ucp/orders"}
            caps[name] = [entry]
        service = {
            "version": self.version,
            "spec": f"{spec}/overview",
            "transport": "rest",
            "schema": f"https://ucp.dev/{self.version}/services/shopping/rest.openapi.json",
        }
        return {
            "ucp": {
                "version": self.version,
                "services": {"dev.ucp.shopping": [service]},
                "capabilities": caps,
                "payment_handlers": {},
            },
            "signing_keys": self.signing_keys,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/ucp")
        async def profile() -> dict[str, Any]:
            return self.profile()

        @app.post("/webhooks/ucp/orders")
        async def webhook(request: Request) -> dict[str, Any]:
            raw = await request.body()
            self.received.append({"headers": dict(request.headers), "body": json.loads(raw), "raw": raw})
            return {"ucp": {"version": self.version}}

        return app


@pytest.fixture
def platform() -> Iterator[Platform]:
    found = Platform()
    with serve_in_thread(found.app()) as url:
        found.base_url = url
        yield found


def _seed(db_url: str, directory: Path) -> None:
    async def run() -> None:
        async with connect(db_url) as conn, conn.transaction():
            await import_dir(conn, write_store(directory))

    asyncio.run(run())


@pytest.fixture
def store(commerce_db: str, tmp_path: Path) -> Iterator[str]:
    """The seeded store (catalog, discounts, promotions, shipping, taxes, a customer with saved addresses)
    serving the commerce routes and the UCP edge; yields its base URL."""
    with serve_store(commerce_db, tmp_path, commerce_settings(commerce_db)) as url:
        yield url


STRIPE_WEBHOOK_SECRET = "whsec_ucp_test"


def stripe_settings(db_url: str, stubs: Any) -> Settings:
    """The commerce settings with payments on Stripe: the local stand-in, reached over HTTP."""
    return commerce_settings(
        db_url,
        provider="stripe",
        stripe_secret_key="sk_test_elara",
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        stripe_api_base=stubs.base_url,
        stripe_timeout_s=5,
    )


@pytest.fixture
def stripe_store(commerce_db: str, tmp_path: Path, stubs: Any) -> Iterator[str]:
    """The same store with its payments on Stripe (the local stand-in, reached over HTTP by the real
    ``stripe`` library): the profile offers the Stripe handler next to TEST MODE."""
    settings = stripe_settings(commerce_db, stubs)
    stubs.parts["stripe"].failures.clear()
    with serve_store(commerce_db, tmp_path, settings) as url:
        yield url


@contextmanager
def serve_store(commerce_db: str, tmp_path: Path, settings: Settings) -> Iterator[str]:
    _seed(commerce_db, tmp_path)
    settings.ucp.allow_http_profiles = True  # the platform's profile is served on loopback
    settings.ucp.simulation_secret = SecretStr(SIMULATION_SECRET)
    settings.ucp.profile_ttl_s = 60
    app = build_commerce_app(settings)
    app.include_router(ucp_routes.router)
    mcp_server.mount(app)
    with serve_in_thread(app) as url:
        settings.public_url = url
        yield url
