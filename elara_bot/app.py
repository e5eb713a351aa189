"""The composition root: the lifespan builds every resource; routers are mounted here."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette_compress import CompressMiddleware, remove_compress_type
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from elara_bot import demo, observability
from elara_bot.agent.model import build_chat_model, build_fallback_model, close_chat_model
from elara_bot.api import health
from elara_bot.api.body_limit import BodyLimitMiddleware, BodyTooLarge
from elara_bot.api.errors import install_error_handlers
from elara_bot.api.guard import InputGuard
from elara_bot.catalog import service as catalog
from elara_bot.catalog.repository import vacuum_catalog
from elara_bot.config import Settings, get_settings
from elara_bot.conversation.service import ConversationService
from elara_bot.db import database_url, migrate, open_pool, release_embedded
from elara_bot.nlu import Nlu
from elara_bot.policies import service as policies
from elara_bot.prompts import load_prompt
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder, SentenceTransformerEmbedder

if TYPE_CHECKING:
    from connectors.slack import SlackConnector

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(
        settings.embedding.model_path,
        batch_size=settings.embedding.batch_size,
        cache_size=settings.embedding.query_cache_size,
        threads=settings.embedding.threads,
        workers=settings.embedding.workers,
        onnx_dir=(settings.embedding.onnx_dir or settings.data_dir / "models")
        if settings.embedding.runtime == "onnxruntime"
        else None,
    )


async def start_runtime(
    settings: Settings, embedder: Embedder | None = None, *, serve: bool = True
) -> Runtime:
    """Migrate, open the pool, load the demo store into an empty database, build the services.

    ``serve=False`` (``elara chat``) leaves out what only a serving process runs: the connectors and the
    sweepers."""
    url = database_url(settings)
    await migrate(url)
    pool = await open_pool(url, settings)
    runtime = Runtime(settings=settings, pool=pool, embedder=embedder or build_embedder(settings))
    if settings.load_demo:
        async with pool.connection() as conn, conn.transaction():
            if seeded := await demo.is_empty(conn):
                log.info("empty database: loading the demo store")
                await demo.seed_demo(conn, runtime.embedder)
        if seeded:
            async with pool.connection() as conn:
                await vacuum_catalog(conn)
    async with pool.connection() as conn, conn.transaction():
        await policies.refresh_index(conn, runtime.embedder)  # after an upgrade: probes, topics
    await _build_services(runtime, serve=serve)
    await warm_understanding(runtime)
    release_freed_memory()
    return runtime


async def warm_understanding(runtime: Runtime) -> None:
    """Train the offline model's understanding before the first message (about 20 s on two cores; the
    sentence vectors are cached in the data directory), when the offline model can answer at all."""
    llm = runtime.settings.llm
    if llm.provider == "openai" and not llm.fallback_to_offline:
        return
    started = time.perf_counter()
    nlu = await asyncio.to_thread(Nlu.for_embedder, runtime.embedder, runtime.settings.data_dir / "nlu")
    async with runtime.pool.connection() as conn:
        nlu.learn_catalog(await catalog.product_type_terms(conn))
    log.info("understanding ready in %.1f s", time.perf_counter() - started)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (musl and macOS lack its malloc tuning: nothing to do there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread heaps: the worker threads that embed queries would each grow their own, and
    the resident size with them (the service's memory budget is 700 MB)."""
    if (libc := _glibc()) is not None:
        libc.mallopt(M_ARENA_MAX, arenas)


def release_freed_memory() -> None:
    """Hand the heap freed after start-up (loading the model, embedding the demo store: ~100 MB) back
    to the OS; glibc keeps freed memory otherwise, and the process would carry it forever."""
    if (libc := _glibc()) is not None:
        libc.malloc_trim(0)


async def _build_services(runtime: Runtime, *, serve: bool) -> None:
    """Payments and the conversation service; when serving, the sweepers and the connectors, whose
    handlers are then subscribed to the hooks."""
    from elara_bot.customers.service import start_session_sweeper
    from elara_bot.orders.sweeper import start_sweeper
    from elara_bot.payments import build_provider

    runtime.payments = build_provider(runtime.settings)
    runtime.conversation = build_conversation(runtime)
    if not serve:
        return
    runtime.tasks["order_sweeper"] = start_sweeper(
        runtime.pool,
        runtime.payments,
        alerts=runtime.on_payment_alert,  # the list the merchant's channels subscribe to below
        grace_s=runtime.settings.payments.orphan_grace_s,
    )
    runtime.tasks["session_sweeper"] = start_session_sweeper(runtime.pool, runtime.settings)
    slack = await _start_connectors(runtime)
    if slack is not None:
        wire_hooks(runtime, slack)


async def _start_connectors(runtime: Runtime) -> SlackConnector | None:
    """Telegram, then Slack (which pushes a merchant's handoff replies to Telegram shoppers)."""
    telegram = None
    if runtime.settings.telegram.token is not None:
        from connectors.telegram import start_telegram

        telegram = runtime.connectors["telegram"] = await start_telegram(runtime)
    slack = runtime.settings.slack
    if slack.bot_token is None or slack.signing_secret is None:
        return None
    from connectors.slack import start_slack

    runtime.connectors["slack"] = connector = await start_slack(runtime, telegram=telegram)
    return connector


def wire_hooks(runtime: Runtime, slack: SlackConnector) -> None:
    """Every subscription, here and nowhere else: paid orders (with low stock) and payment alerts go to
    Slack's alerts channel; handoffs and a shopper's words during one go to Slack's handoff threads."""
    conversation = runtime.chat()  # built before the connectors: a handoff is never dropped silently
    runtime.on_order_paid.append(slack.notify_order_paid)
    runtime.on_payment_alert.append(slack.notify_payment_alert)
    conversation.on_handoff.append(slack.on_handoff)
    conversation.on_shopper_message_in_handoff.append(slack.on_shopper_message)


def wire_ucp(app: FastAPI, runtime: Runtime) -> None:
    """The platform that placed an order through UCP hears of the merchant's changes to it (admin API),
    in order webhooks signed with the key the store's profile publishes."""
    if not runtime.settings.ucp.enabled:
        return
    from elara_bot.ucp.operations import OrderWebhooks
    from elara_bot.ucp.signatures import signer_for

    signer = signer_for(app.state, runtime.settings)
    runtime.on_order_changed.append(OrderWebhooks(runtime.pool, runtime.settings, signer))


def build_conversation(runtime: Runtime) -> ConversationService:
    settings = runtime.settings
    return ConversationService(
        pool=runtime.pool,
        settings=settings,
        embedder=runtime.embedder,
        provider=runtime.provider(),  # built just before: payments first
        model=build_chat_model(settings.llm),
        fallback=build_fallback_model(settings.llm),
        prompt=load_prompt("shopper_assistant"),
        search_caches=runtime.search_caches,
    )


async def stop_runtime(runtime: Runtime) -> None:
    """Finish the chat turns in flight (bounded by the grace period), then close everything."""
    if runtime.conversation is not None:
        await runtime.conversation.drain(runtime.settings.shutdown_grace_s)
    for task in runtime.tasks.values():
        task.cancel()
    for connector in runtime.connectors.values():
        await connector.stop()
    if runtime.conversation is not None:
        await close_chat_model(runtime.conversation.model)
    await runtime.pool.close()
    if runtime.settings.database.url is None:
        release_embedded(runtime.settings.pgdata)  # the last Elara process out stops the embedded server


def _mount_routers(app: FastAPI) -> None:
    from connectors.slack import routes as slack_routes
    from connectors.telegram import routes as telegram_routes
    from connectors.webchat import routes as chat
    from connectors.webchat import widget
    from elara_bot.api import (
        admin,
        cart,
        checkout,
        orders,
        pay,
        products,
        sessions,
        store,
        webhooks_stripe,
    )

    for module in (health, observability, products, sessions, cart, checkout, orders, chat, admin):
        app.include_router(module.router)
    for module in (webhooks_stripe, pay, telegram_routes, slack_routes, widget, store):
        app.include_router(module.router)
    from elara_bot.ucp import mcp_server
    from elara_bot.ucp import routes as ucp_routes

    app.include_router(ucp_routes.router)
    mcp_server.mount(app)  # the UCP MCP binding at /mcp (its session manager runs with the lifespan)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")


async def _too_large(_: Request, exc: Exception) -> JSONResponse:
    detail = exc.detail if isinstance(exc, BodyTooLarge) else str(exc)
    return JSONResponse(
        {"error": "PayloadTooLarge", "detail": detail}, status_code=413, headers={"Connection": "close"}
    )


def add_compression(app: FastAPI) -> None:
    """Brotli or gzip for widget.js, the store page and API replies of 1 KB or more; never SSE streams.

    Brotli at quality 5 goes to clients that accept it (every current browser): widget.js is 21.3 KB on the
    wire against gzip's 22.1 (3.0 ms against 3.5), 36 KB of JSON 6.2 KB against 6.8 in the same 1.1 ms.
    Gzip stays at level 6, not 9: a 36 KB search reply took 2.8 ms at 9 and 0.8 ms at 6, about as small.
    No zstd: it would win over brotli with every browser that offers both and sends widget.js larger
    (23.5 KB at its level 4).
    Server-sent events go out uncompressed, frame by frame as the turn makes them: the middleware would
    compress and flush each frame (a compressor per open stream, and proxies that buffer encoded bodies);
    the setting is the package's own registry of content types, the same for every app in the process.
    """
    remove_compress_type("text/event-stream")
    app.add_middleware(CompressMiddleware, minimum_size=1024, zstd=False, brotli_quality=5, gzip_level=6)


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    settings = settings or get_settings()
    limit_malloc_arenas()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings, embedder)
        app.state.runtime = runtime
        wire_ucp(app, runtime)
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
    add_compression(app)
    app.add_middleware(InputGuard)  # NUL in path, query or body: 422 before any route
    app.add_middleware(BodyLimitMiddleware, limits=settings.limits)  # outside anything that reads bodies
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_middleware(observability.ObservabilityMiddleware)
    # the client address (rate limits) comes from X-Forwarded-For only when a configured proxy sent it;
    # `elara serve` turns uvicorn's own handling (which trusts 127.0.0.1) off
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    _mount_routers(app)
    return app
