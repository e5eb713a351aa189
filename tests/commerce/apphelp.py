"""A test app with only the commerce routers (the full app also needs the catalog's routers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from elara_bot.api import admin, cart, checkout, orders, pay, sessions, webhooks_stripe
from elara_bot.api.errors import install_error_handlers
from elara_bot.config import Settings
from elara_bot.db import open_pool
from elara_bot.payments import build_provider
from elara_bot.runtime import Runtime
from tests.helpers import serve_in_thread

ADMIN_KEY = "admin-test-key"


def commerce_settings(db_url: str, **payments: Any) -> Settings:
    return Settings(
        env="test",
        load_demo=False,
        database={"url": SecretStr(db_url), "pool_max": 20},  # type: ignore[arg-type]
        auth={"session_secret": SecretStr("s" * 32), "admin_api_key": SecretStr(ADMIN_KEY)},  # type: ignore[arg-type]
        payments=payments,  # type: ignore[arg-type]
    )


def build_commerce_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert settings.database.url is not None
        pool = await open_pool(settings.database.url.get_secret_value(), settings)
        runtime = Runtime(settings=settings, pool=pool, embedder=None)  # type: ignore[arg-type]
        runtime.payments = build_provider(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    for module in (sessions, cart, checkout, orders, admin, webhooks_stripe, pay):
        app.include_router(module.router)
    return app


@contextmanager
def commerce_service(settings: Settings) -> Iterator[str]:
    """Serve the commerce app; public_url is patched to the served address for the pay page."""
    with serve_in_thread(build_commerce_app(settings)) as url:
        settings.public_url = url
        yield url
