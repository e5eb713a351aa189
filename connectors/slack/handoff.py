"""Human handoff over Slack: SQL for the thread <-> conversation map and the thread's Block Kit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from connectors.slack.blocks import escape
from elara_bot.db import Conn

CLOSE_ACTION = "close_handoff"


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


async def open_thread(conn: Conn, conversation_id: UUID) -> tuple[str, str] | None:
    """(channel, thread_ts) of the conversation's open handoff thread."""
    cur = await conn.execute(
        "SELECT channel, thread_ts FROM slack_handoffs WHERE conversation_id = %s AND status = 'open'",
        (conversation_id,),
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


async def describe(conn: Conn, conversation_id: UUID, reason: str) -> str:
    """Shopper, channel, open cart and last messages of a conversation, as Slack mrkdwn."""
    cur = await conn.execute(
        "SELECT c.channel, cu.display_name, cu.id AS customer_id FROM conversations c"
        " LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = %s",
        (conversation_id,),
    )
    head = await cur.fetchone()
    lines = [f"*Reason:* {escape(reason)}", f"*Conversation:* `{conversation_id}`"]
    if head is None:
        return "\n".join(lines)
    lines.append(f"*Shopper:* {escape(head['display_name'] or 'guest')} on {head['channel']}")
    cur = await conn.execute(
        "SELECT cl.quantity, p.title FROM carts ca JOIN cart_lines cl ON cl.cart_id = ca.id"
        " JOIN variants v ON v.sku = cl.sku JOIN products p ON p.id = v.product_id"
        " WHERE ca.customer_id = %s AND ca.status = 'open' ORDER BY p.title",
        (head["customer_id"],),
    )
    cart = ", ".join(f"{r['quantity']} x {escape(r['title'])}" for r in await cur.fetchall())
    lines.append(f"*Cart:* {cart or 'empty'}")
    cur = await conn.execute(
        "SELECT role, text FROM (SELECT id, role, text FROM conversation_messages"
        " WHERE conversation_id = %s AND role IN ('user', 'assistant', 'human_agent') AND text <> ''"
        " ORDER BY id DESC LIMIT 6) m ORDER BY id",
        (conversation_id,),
    )
    lines += [f"> *{r['role']}:* {escape(' '.join(r['text'][:300].split()))}" for r in await cur.fetchall()]
    return "\n".join(lines)


async def conversation_channel(conn: Conn, conversation_id: UUID) -> tuple[str, str] | None:
    cur = await conn.execute(
        "SELECT channel, conversation_key FROM conversations WHERE id = %s", (conversation_id,)
    )
    row = await cur.fetchone()
    return (row["channel"], row["conversation_key"]) if row else None


def thread_blocks(conversation_id: UUID, summary: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": summary[:2900]}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": CLOSE_ACTION,
                    "style": "danger",
                    "value": str(conversation_id),
                    "text": {"type": "plain_text", "text": "Close handoff"},
                }
            ],
        },
    ]
