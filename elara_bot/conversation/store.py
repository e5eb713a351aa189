"""SQL for conversations: the row (with its jsonb `state`), its messages, and the per-session rate limit.

The `conversations` row is upserted at the start of a turn, which also locks it: two turns of one
conversation (two tabs, two replicas) run one after the other, never interleaved.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from psycopg.types.json import Jsonb

from elara_bot.contracts import HistoryTurn, ReplyPart
from elara_bot.db import Conn


class Address(NamedTuple):
    """Where a conversation's shopper can be reached."""

    channel: str
    key: str


class Shopper(NamedTuple):
    """Who a conversation's shopper is (no name for a guest; no customer once the customer was deleted)."""

    channel: str
    display_name: str | None
    customer_id: UUID | None


async def open_conversation(
    conn: Conn, channel: str, key: str, customer_id: UUID
) -> tuple[UUID, dict[str, Any]]:
    """Get or create the conversation and lock it for this transaction; returns (id, state)."""
    cur = await conn.execute(
        "INSERT INTO conversations (channel, conversation_key, customer_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (channel, conversation_key) DO UPDATE SET updated_at = now()"
        " RETURNING id, state",
        (channel, key, customer_id),
    )
    row = await cur.fetchone()
    assert row is not None
    return row["id"], dict(row["state"])


async def find_conversation(conn: Conn, channel: str, key: str) -> UUID | None:
    cur = await conn.execute(
        "SELECT id FROM conversations WHERE channel = %s AND conversation_key = %s", (channel, key)
    )
    row = await cur.fetchone()
    return row["id"] if row else None


async def save_message(
    conn: Conn,
    conversation_id: UUID,
    role: str,
    text: str,
    parts: list[ReplyPart] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
) -> None:
    dumped = [part.model_dump(mode="json") for part in parts or []]
    await conn.execute(
        "INSERT INTO conversation_messages (conversation_id, role, text, parts, tool_calls)"
        " VALUES (%s, %s, %s, %s, %s)",
        (conversation_id, role, text, Jsonb(dumped), Jsonb(tool_calls or [])),
    )


async def save_turn(
    conn: Conn,
    conversation_id: UUID,
    state: dict[str, Any],
    said: str,
    reply: tuple[str, list[ReplyPart], list[dict[str, Any]]],
) -> None:
    """A turn's end in one statement: the conversation's state, what the shopper ``said`` and the
    ``reply`` (text, parts, tool calls), the shopper's words first (ids keep the order). Three statements
    were a tenth of a turn's database work."""
    text, parts, tool_calls = reply
    dumped = [part.model_dump(mode="json") for part in parts]
    await conn.execute(
        "WITH kept AS (UPDATE conversations SET state = %s, updated_at = now() WHERE id = %s)"
        " INSERT INTO conversation_messages (conversation_id, role, text, parts, tool_calls)"
        " VALUES (%s, 'user', %s, '[]', '[]'), (%s, 'assistant', %s, %s, %s)",
        (
            Jsonb(state),
            conversation_id,
            conversation_id,
            said,
            conversation_id,
            text,
            Jsonb(dumped),
            Jsonb(tool_calls),
        ),
    )


async def clear_handoff(conn: Conn, conversation_id: UUID) -> None:
    """The assistant answers the conversation again (its state forgets the handoff)."""
    await conn.execute(
        "UPDATE conversations SET state = state - 'handoff', updated_at = now() WHERE id = %s",
        (conversation_id,),
    )


async def channel_and_key(conn: Conn, conversation_id: UUID) -> Address | None:
    """The channel and conversation key of a conversation."""
    cur = await conn.execute(
        "SELECT channel, conversation_key FROM conversations WHERE id = %s", (conversation_id,)
    )
    row = await cur.fetchone()
    return Address(row["channel"], row["conversation_key"]) if row else None


async def shopper_of(conn: Conn, conversation_id: UUID) -> Shopper | None:
    cur = await conn.execute(
        "SELECT c.channel, cu.display_name, cu.id AS customer_id FROM conversations c"
        " LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = %s",
        (conversation_id,),
    )
    row = await cur.fetchone()
    return Shopper(row["channel"], row["display_name"], row["customer_id"]) if row else None


async def last_words(conn: Conn, conversation_id: UUID, limit: int) -> list[tuple[str, str]]:
    """(role, text) of the last ``limit`` non-empty shopper, assistant and person messages, oldest first."""
    cur = await conn.execute(
        "SELECT role, text FROM (SELECT id, role, text FROM conversation_messages"
        " WHERE conversation_id = %s AND role IN ('user', 'assistant', 'human_agent') AND text <> ''"
        " ORDER BY id DESC LIMIT %s) m ORDER BY id",
        (conversation_id, limit),
    )
    return [(r["role"], r["text"]) for r in await cur.fetchall()]


async def recent_messages(conn: Conn, conversation_id: UUID, limit: int) -> list[BaseMessage]:
    """The last `limit` user/assistant messages, oldest first: what the model sees of the past."""
    cur = await conn.execute(
        "SELECT role, text FROM (SELECT id, role, text FROM conversation_messages"
        " WHERE conversation_id = %s AND role IN ('user', 'assistant', 'human_agent')"
        " ORDER BY id DESC LIMIT %s) t ORDER BY id",
        (conversation_id, limit),
    )
    rows = await cur.fetchall()
    return [
        HumanMessage(r["text"]) if r["role"] == "user" else AIMessage(content=r["text"])
        for r in rows
        if r["text"]
    ]


async def history(
    conn: Conn, conversation_id: UUID, *, after_id: int = 0, limit: int = 200
) -> list[HistoryTurn]:
    """The conversation as the shopper saw it (for a reloaded page), oldest first."""
    cur = await conn.execute(
        "SELECT * FROM (SELECT id, role, text, parts, created_at FROM conversation_messages"
        " WHERE conversation_id = %s AND id > %s AND role IN ('user', 'assistant', 'human_agent')"
        " ORDER BY id DESC LIMIT %s) t ORDER BY id",
        (conversation_id, after_id, limit),
    )
    return [HistoryTurn.model_validate(row) for row in await cur.fetchall()]


async def count_turn(conn: Conn, key: str, window_s: int = 60) -> tuple[int, int]:
    """Count one turn against `key` in the current fixed window; returns (count, seconds left in window).

    Kept in PostgreSQL so every replica enforces one shared limit.
    """
    cur = await conn.execute(
        "INSERT INTO chat_rate (rate_key, window_start, turns)"
        " VALUES (%s, to_timestamp(floor(extract(epoch FROM now()) / %s) * %s), 1)"
        " ON CONFLICT (rate_key, window_start) DO UPDATE SET turns = chat_rate.turns + 1"
        " RETURNING turns, ceil(extract(epoch FROM window_start + make_interval(secs => %s) - now()))::int"
        " AS left_s",
        (key, window_s, window_s, window_s),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["turns"]), max(1, int(row["left_s"]))


async def prune_rate_windows(conn: Conn) -> None:
    await conn.execute("DELETE FROM chat_rate WHERE window_start < now() - interval '10 minutes'")


async def rewrite_checkout_reply(
    conn: Conn, conversation_id: UUID, order_number: str, text: str, parts: list[ReplyPart]
) -> None:
    """Store the final form of the assistant message that checked out ``order_number`` (its payment
    link is only known after the turn committed), so a reloaded page shows what the shopper saw."""
    dumped = [part.model_dump(mode="json") for part in parts]
    probe = [{"type": "checkout_link", "order_number": order_number}]
    await conn.execute(
        "UPDATE conversation_messages SET text = %s, parts = %s WHERE id = (SELECT id FROM"
        " conversation_messages WHERE conversation_id = %s AND role = 'assistant' AND parts @> %s"
        " ORDER BY id DESC LIMIT 1)",
        (text, Jsonb(dumped), conversation_id, Jsonb(probe)),
    )
