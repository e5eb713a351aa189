"""Migration 0003 applies on the shared template and keeps a conversation unique per channel and key."""

from __future__ import annotations

import psycopg
import pytest

from elara_bot.db import Conn


async def test_conversation_unique_per_channel(conn: Conn) -> None:
    cur = await conn.execute(
        "INSERT INTO conversations (channel, conversation_key) VALUES ('web', 'k1') RETURNING id, state"
    )
    row = await cur.fetchone()
    assert row is not None
    await conn.execute("INSERT INTO conversations (channel, conversation_key) VALUES ('telegram', 'k1')")
    async with conn.transaction():
        with pytest.raises(psycopg.errors.UniqueViolation):
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO conversations (channel, conversation_key) VALUES ('web', 'k1')"
                )
        await conn.execute(
            "INSERT INTO conversation_messages (conversation_id, role, text) VALUES (%s, 'user', 'hi')",
            (row["id"] if isinstance(row, dict) else row[0],),
        )
