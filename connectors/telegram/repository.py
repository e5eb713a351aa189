"""The connector's SQL: webhook deduplication (migrations/0004_telegram.sql) and the Telegram identity's
active flag (``customer_identities``)."""

from __future__ import annotations

from elara_bot.db import Conn

CHANNEL = "telegram"
KEEP_UPDATES_DAYS = 7  # Telegram gives up redelivering an update after 24 hours


async def record_update(conn: Conn, bot_id: str, update_id: int) -> bool:
    """Remember one delivered update; False when it was seen before (a retry or a duplicate)."""
    cur = await conn.execute(
        "INSERT INTO telegram_updates (bot_id, update_id) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1 AS new",
        (bot_id, update_id),
    )
    return await cur.fetchone() is not None


async def prune_updates(conn: Conn) -> int:
    cur = await conn.execute(
        "DELETE FROM telegram_updates WHERE received_at < now() - make_interval(days => %s)",
        (KEEP_UPDATES_DAYS,),
    )
    return cur.rowcount


async def set_identity_active(conn: Conn, external_id: str, active: bool) -> bool:
    """Flip the identity's flag; True when a row changed."""
    cur = await conn.execute(
        "UPDATE customer_identities SET active = %s"
        " WHERE channel = %s AND external_id = %s AND active IS DISTINCT FROM %s",
        (active, CHANNEL, external_id, active),
    )
    return cur.rowcount > 0


async def identity_active(conn: Conn, external_id: str) -> bool:
    """False only for a known identity marked inactive (e.g. the shopper blocked the bot)."""
    cur = await conn.execute(
        "SELECT active FROM customer_identities WHERE channel = %s AND external_id = %s",
        (CHANNEL, external_id),
    )
    row = await cur.fetchone()
    return row is None or bool(row["active"])
