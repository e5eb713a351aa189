"""SQL for Slack: which handoff thread carries which conversation, and the event ids already handled."""

from __future__ import annotations

from uuid import UUID

from elara_bot.db import Conn


async def remember(conn: Conn, conversation_id: UUID, channel: str, thread_ts: str) -> None:
    await conn.execute(
        "INSERT INTO slack_handoffs (conversation_id, channel, thread_ts) VALUES (%s, %s, %s)"
        " ON CONFLICT (conversation_id) DO UPDATE SET channel = excluded.channel,"
        " thread_ts = excluded.thread_ts, status = 'open', closed_at = NULL",
        (conversation_id, channel, thread_ts),
    )


async def open_for_thread(conn: Conn, channel: str, thread_ts: str) -> UUID | None:
    cur = await conn.execute(
        "SELECT conversation_id FROM slack_handoffs"
        " WHERE channel = %s AND thread_ts = %s AND status = 'open'",
        (channel, thread_ts),
    )
    row = await cur.fetchone()
    return UUID(str(row["conversation_id"])) if row else None


async def thread_of(conn: Conn, conversation_id: UUID, *, open_only: bool = True) -> tuple[str, str] | None:
    """(channel, thread_ts) of the conversation's handoff thread (the open one, or any with ``open_only``
    off)."""
    cur = await conn.execute(
        "SELECT channel, thread_ts FROM slack_handoffs WHERE conversation_id = %s"
        " AND (status = 'open' OR NOT %s)",
        (conversation_id, open_only),
    )
    row = await cur.fetchone()
    return (row["channel"], row["thread_ts"]) if row else None


async def close(conn: Conn, conversation_id: UUID) -> bool:
    cur = await conn.execute(
        "UPDATE slack_handoffs SET status = 'closed', closed_at = now()"
        " WHERE conversation_id = %s AND status = 'open'",
        (conversation_id,),
    )
    return cur.rowcount == 1


KEEP_EVENTS_HOURS = 24  # Slack stops retrying an event after about an hour


async def first_delivery(conn: Conn, event_id: str) -> bool:
    """Remember one event id; False when it was handled before (a retry, on any replica)."""
    cur = await conn.execute(
        "INSERT INTO slack_events (event_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING 1 AS new",
        (event_id,),
    )
    return await cur.fetchone() is not None


async def prune_events(conn: Conn) -> int:
    cur = await conn.execute(
        "DELETE FROM slack_events WHERE received_at < now() - make_interval(hours => %s)",
        (KEEP_EVENTS_HOURS,),
    )
    return cur.rowcount
