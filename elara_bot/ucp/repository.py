"""SQL of the UCP edge: Idempotency-Key records (24 hours)."""

from __future__ import annotations

import json
from typing import Any

from elara_bot.db import Conn

KEEP = "24 hours"


async def lock_key(conn: Conn, key: str, operation: str) -> dict[str, Any] | None:
    """The stored outcome of this key on this operation (row-locked; a concurrent first use waits on the
    advisory lock of the key until the other request commits)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{operation} {key}",))
    cur = await conn.execute(
        f"SELECT request_hash, status_code, body FROM idempotency_keys WHERE key = %s AND operation = %s"
        f" AND created_at > now() - interval '{KEEP}'",
        (key, operation),
    )
    return await cur.fetchone()


async def save_key(conn: Conn, key: str, operation: str, request_hash: str, status: int, body: Any) -> None:
    await conn.execute(
        "INSERT INTO idempotency_keys (key, operation, request_hash, status_code, body)"
        " VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT (key, operation) DO UPDATE SET"
        " request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code, body = EXCLUDED.body,"
        " created_at = now()",
        (key, operation, request_hash, status, json.dumps(body)),
    )


async def prune(conn: Conn) -> None:
    await conn.execute(f"DELETE FROM idempotency_keys WHERE created_at < now() - interval '{KEEP}'")
