"""The composition root: the lifespan builds every resource; routers are mounted here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from elara_bot import demo
from elara_bot.api import health
from elara_bot.api.errors import install_error_handlers
from elara_bot.config import Settings, get_settings
from elara_bot.db import database_url, migrate, open_pool
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder, SentenceTransformerEmbedder

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(
        settings.embedding.model_path,
        batch_size=settings.embedding.batch_size,
        cache_size=settings.embedding.query_cache_size,
    )


async def start_runtime(settings: Settings, embedder: Embedder | None = None) -> Runtime:
    """Migrate, open the pool, load the demo store into an empty database, build the services."""
    url = database_url(settings)
    await migrate(url)
    pool = await open_pool(url, settings)
    runtime = Runtime(settings=settings, pool=pool, embedder=embedder or build_embedder(settings))
    if settings.load_demo:
        async with pool.connection() as conn, conn.transaction():
            if await demo.is_empty(conn):
                log.info("empty database: loading the demo store")
                await demo.seed_demo(conn, runtime.embedder)
    await _build_services(runtime)
    return runtime


async def _build_services(runtime: Runtime) -> None:
    """Later stages (payments, agent, connectors) are built here, in dependency order."""
    from elara_bot.payments.service import build_provider, start_sweeper

    runtime.payments = build_provider(runtime.settings)
    runtime.connectors["order_sweeper"] = start_sweeper(runtime.pool)
    if runtime.settings.telegram.token is not None:
        from connectors.telegram import start_telegram

        runtime.connectors["telegram"] = await start_telegram(runtime)
    slack = runtime.settings.slack
    if slack.bot_token is not None and slack.signing_secret is not None:
        from connectors.slack import start_slack

        runtime.connectors["slack"] = await start_slack(runtime)


async def stop_runtime(runtime: Runtime) -> None:
    if "order_sweeper" in runtime.connectors:
        runtime.connectors["order_sweeper"].cancel()
    if "telegram" in runtime.connectors:
        await runtime.connectors["telegram"].stop()
    if "slack" in runtime.connectors:
        await runtime.connectors["slack"].stop()
    await runtime.pool.close()


def _mount_routers(app: FastAPI) -> None:
    from elara_bot.api import products

    app.include_router(health.router)
    from elara_bot import observability

    app.include_router(observability.router)
    app.include_router(products.router)
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    from connectors.telegram import routes as telegram_routes

    app.include_router(telegram_routes.router)
    from connectors.slack import routes as slack_routes

    app.include_router(slack_routes.router)
    from elara_bot.api import store

    app.include_router(store.router)
    from elara_bot.api import admin, cart, checkout, orders, pay, sessions, webhooks_stripe

    for commerce_router in (sessions, cart, checkout, orders, admin, webhooks_stripe, pay):
        app.include_router(commerce_router.router)


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings, embedder)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_runtime(runtime)

    app = FastAPI(
        title="Elara",
        version="0.1.0",
        description="Conversational commerce: catalog search, cart, checkout and orders.",
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Retry-After"],
        )
    install_error_handlers(app)
    from elara_bot.observability import ObservabilityMiddleware

    app.add_middleware(ObservabilityMiddleware)
    _mount_routers(app)
    return app
