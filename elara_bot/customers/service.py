"""Customers: get-or-create by channel identity; anonymous web sessions (limited, capped, swept)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from elara_bot.config import SessionSettings, Settings
from elara_bot.customers import repository as repo
from elara_bot.customers.schemas import Channel, CustomerPublic, Role
from elara_bot.db import Conn
from elara_bot.errors import NotFound, RateLimited, ServiceUnavailable

log = logging.getLogger(__name__)


async def customer_for_identity(
    conn: Conn,
    channel: Channel,
    external_id: str,
    *,
    display_name: str | None = None,
    role: Role = "shopper",
) -> CustomerPublic:
    row = await repo.find_by_identity(conn, channel, external_id)
    if row is None:
        try:
            async with conn.transaction():  # a savepoint: undone when a concurrent create won
                row = await repo.insert_customer(conn, display_name, role)
                if not await repo.insert_identity(conn, row["id"], channel, external_id):
                    raise _Raced
        except _Raced:
            row = await repo.find_by_identity(conn, channel, external_id)
    if row is None:
        raise NotFound("customer not found")
    return CustomerPublic.model_validate(row)


class _Raced(Exception):
    pass


async def get_customer(conn: Conn, customer_id: UUID) -> CustomerPublic:
    row = await repo.find_by_id(conn, customer_id)
    if row is None:
        raise NotFound("customer not found")
    return CustomerPublic.model_validate(row)


# --- anonymous web sessions -----------------------------------------------------------------------


class SessionsFull(RateLimited):
    """Every live anonymous session is in use (a cart, an order, recent activity): none can be evicted.
    A limit on the whole store rather than one client: 503, with ``Retry-After`` as a 429 has."""

    status_code = ServiceUnavailable.status_code


async def open_anonymous_session(
    conn: Conn, settings: SessionSettings, client: str, now: datetime | None = None
) -> CustomerPublic:
    """A new anonymous shopper for ``client`` (its address), within the per-client creation rate and the
    cap on live anonymous sessions.

    At the cap the oldest idle empty sessions make room: they have nothing to lose (no cart line, no
    order, no activity for ``evict_idle_minutes``) and their owners get a fresh session on their next
    visit. A flood of creations thus recycles its own sessions and never a shopper's cart; when no session
    can be evicted the answer is 503 rather than growing the table.
    """
    created, left_s = await repo.count_session_creation(conn, client)
    if created == 1:  # a new window for this client: a good moment to drop stale ones
        await repo.prune_session_rate(conn)
    if created > settings.create_per_minute:
        raise RateLimited(f"Too many new sessions from your address: try again in {left_s} s.", left_s)
    live = await repo.count_anonymous(conn, settings.max_anonymous)
    if live >= settings.max_anonymous:
        idle_before = (now or datetime.now(UTC)) - timedelta(minutes=settings.evict_idle_minutes)
        if await repo.delete_idle_anonymous(conn, idle_before, live - settings.max_anonymous + 1) == 0:
            raise SessionsFull("Too many shoppers right now: try again in a minute.", 60)
    row = await repo.insert_customer(conn, None, "shopper", anonymous=True)
    await repo.insert_identity(conn, row["id"], "web", "web_" + secrets.token_hex(16))
    return CustomerPublic.model_validate(row)


SWEEP_BATCH = 500


async def sweep_anonymous_sessions(
    conn: Conn, settings: SessionSettings, ttl_days: int, now: datetime | None = None
) -> int:
    """Delete anonymous sessions idle for ``sweep_idle_hours`` with no order and no cart line (with their
    empty carts and conversations), and those whose token has expired (``ttl_days``) and have no order.
    Returns how many."""
    now = now or datetime.now(UTC)
    idle_before = now - timedelta(hours=settings.sweep_idle_hours)
    expired_before = now - timedelta(days=ttl_days)
    swept = 0
    for delete, before in (
        (repo.delete_expired_anonymous, expired_before),
        (repo.delete_idle_anonymous, idle_before),
    ):
        while (deleted := await delete(conn, before, SWEEP_BATCH)) > 0:
            swept += deleted
            if deleted < SWEEP_BATCH:
                break
    return swept


async def run_session_sweeper(pool: AsyncConnectionPool[Conn], settings: Settings) -> None:
    """Sweep old anonymous sessions every ``sessions.sweep_interval_s`` until cancelled."""
    while True:
        try:
            ttl_days = settings.auth.session_ttl_days
            async with pool.connection() as conn, conn.transaction():
                swept = await sweep_anonymous_sessions(conn, settings.sessions, ttl_days)
            if swept:
                log.info("swept %d old anonymous sessions", swept)
        except Exception:  # the sweeper must survive a database outage
            log.exception("anonymous session sweep failed")
        await asyncio.sleep(settings.sessions.sweep_interval_s)


def start_session_sweeper(pool: AsyncConnectionPool[Conn], settings: Settings) -> asyncio.Task[None]:
    return asyncio.create_task(run_session_sweeper(pool, settings), name="anonymous-session-sweeper")
