"""Human handoff over Slack: a thread per conversation in the handoff channel, with a Close button.

The shopper's words go to the thread while a person has the conversation; a merchant's reply in the
thread goes to the shopper on their own channel; the Close button or ``/elara resume <id>`` gives the
conversation back to the assistant.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from psycopg_pool import AsyncConnectionPool
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack import repository
from connectors.slack.blocks import MAX_SECTION, context, escape, plain_text, section
from elara_bot.cart import service as carts
from elara_bot.config import SlackSettings
from elara_bot.contracts import OutboundReply
from elara_bot.conversation import store
from elara_bot.db import Conn

log = logging.getLogger(__name__)
CLOSE_ACTION = "close_handoff"
CLOSED = "Handoff closed: the assistant answers again."
NOT_DELIVERED = ":warning: Not delivered: the shopper has blocked the bot on Telegram."
LAST_WORDS = 6


class HandoffConversation(Protocol):
    """What the handoff asks of the conversation service."""

    async def relay_from_human(self, conn: Conn, conversation_id: UUID, text: str) -> None: ...

    async def close_handoff(self, conn: Conn, conversation_id: UUID) -> OutboundReply: ...


class ShopperPush(Protocol):
    """A shopper channel that takes pushed replies (Telegram); False when the shopper blocked the bot."""

    async def send_reply(self, chat_id: int | str, reply: OutboundReply) -> bool: ...


IsMerchant = Callable[[str | None, str | None], Awaitable[bool]]


@dataclass(eq=False)
class HandoffDesk:
    settings: SlackSettings
    pool: AsyncConnectionPool[Conn]
    client: AsyncWebClient
    conversation: HandoffConversation
    is_merchant: IsMerchant
    telegram: ShopperPush | None = None

    async def on_handoff(self, conversation_id: UUID, reason: str) -> None:
        """The conversation service's ``on_handoff``: open a thread with a Close button.

        A conversation with an open thread is not posted again (a repeated notification). When the thread
        cannot be opened (no handoff channel, a Slack error), the handoff is released so that the shopper
        is not left waiting for a person who was never told: the assistant answers again.
        """
        async with self.pool.connection() as conn:
            if await repository.thread_of(conn, conversation_id) is not None:
                return
            summary = await describe(conn, conversation_id, reason)
        text = f":raising_hand: A shopper asked for a person\n{summary}"
        try:
            if self.settings.handoff_channel is None:
                raise RuntimeError("ELARA_SLACK__HANDOFF_CHANNEL is not set")
            sent = await self.client.chat_postMessage(
                channel=self.settings.handoff_channel, text=text, blocks=thread_blocks(conversation_id, text)
            )
        except Exception:
            log.exception("handoff of conversation %s could not be posted: releasing it", conversation_id)
            async with self.pool.connection() as conn, conn.transaction():
                await self.conversation.close_handoff(conn, conversation_id)
            return
        async with self.pool.connection() as conn:
            await repository.remember(conn, conversation_id, str(sent["channel"]), str(sent["ts"]))

    async def on_shopper_message(self, conversation_id: UUID, text: str) -> None:
        """``on_shopper_message_in_handoff``: the shopper's words go to the open thread."""
        async with self.pool.connection() as conn:
            thread = await repository.thread_of(conn, conversation_id)
        if thread is None or not text.strip():
            return
        channel, thread_ts = thread
        await self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=f":speech_balloon: *Shopper:* {escape(text)}"
        )

    async def relay(
        self, team: str | None, user: str | None, channel: str, thread_ts: str, text: str
    ) -> bool:
        """A merchant's reply in a handoff thread goes to the shopper on their own channel. False when the
        thread carries no open handoff (the message is someone else's to answer)."""
        async with self.pool.connection() as conn:
            conversation_id = await repository.open_for_thread(conn, channel, thread_ts)
        if conversation_id is None:
            return False
        if not await self.is_merchant(team, user):
            return True
        text = plain_text(text)  # the shopper sees what the merchant typed, not Slack's wire format
        async with self.pool.connection() as conn, conn.transaction():
            await self.conversation.relay_from_human(conn, conversation_id, text)
        if not await self._to_shopper(conversation_id, OutboundReply(text=text)):
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=NOT_DELIVERED)
        return True

    async def close_handoff(
        self, conversation_id: UUID, channel: str, thread_ts: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Close the handoff; the thread's first message (``blocks``, when the button press carried them)
        loses its Close button and says it is closed."""
        async with self.pool.connection() as conn:
            closed = await repository.close(conn, conversation_id)
        if closed:
            async with self.pool.connection() as conn, conn.transaction():
                back = await self.conversation.close_handoff(conn, conversation_id)
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=CLOSED)
            await self._drop_button(conversation_id, channel, thread_ts, blocks)
            await self._to_shopper(conversation_id, back)  # the shopper learns the assistant is back

    async def resume(self, channel: str, args: list[str]) -> None:
        """``/elara resume <conversation id>`` closes that handoff."""
        try:
            conversation_id = UUID(args[0])
        except (IndexError, ValueError):
            await self.client.chat_postMessage(channel=channel, text="Usage: /elara resume <conversation id>")
            return
        async with self.pool.connection() as conn:
            thread = await repository.thread_of(conn, conversation_id, open_only=False)
        if thread is None:
            await self.client.chat_postMessage(channel=channel, text=f"No handoff for {conversation_id}.")
            return
        await self.close_handoff(conversation_id, *thread)

    async def _drop_button(
        self, conversation_id: UUID, channel: str, ts: str, blocks: list[dict[str, Any]] | None
    ) -> None:
        if blocks is None:
            async with self.pool.connection() as conn:
                summary = await describe(conn, conversation_id, "handed back to the assistant")
            blocks = [section(summary[:MAX_SECTION])]
        kept = [block for block in blocks if block.get("type") != "actions"]
        kept.append(context(f":white_check_mark: {CLOSED}"))
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=CLOSED, blocks=kept)
        except SlackApiError:
            log.exception("the Close button of conversation %s could not be removed", conversation_id)

    async def _to_shopper(self, conversation_id: UUID, reply: OutboundReply) -> bool:
        """Push a reply to a shopper whose channel takes pushes (Telegram); the web widget reads it from
        the conversation's history instead. False when Telegram refused it (the shopper blocked the bot)."""
        async with self.pool.connection() as conn:
            target = await store.channel_and_key(conn, conversation_id)
        if target is not None and target[0] == "telegram" and self.telegram is not None:
            return await self.telegram.send_reply(target[1], reply)
        return True


async def describe(conn: Conn, conversation_id: UUID, reason: str) -> str:
    """Shopper, channel, open cart and last messages of a conversation, as Slack mrkdwn."""
    lines = [f"*Reason:* {escape(reason)}", f"*Conversation:* `{conversation_id}`"]
    shopper = await store.shopper_of(conn, conversation_id)
    if shopper is None:
        return "\n".join(lines)
    channel, name, customer_id = shopper
    lines.append(f"*Shopper:* {escape(name or 'guest')} on {channel}")
    lines.append(f"*Cart:* {await _cart_text(conn, customer_id) or 'empty'}")
    words = await store.last_words(conn, conversation_id, LAST_WORDS)
    lines += [f"> *{role}:* {escape(' '.join(text[:300].split()))}" for role, text in words]
    return "\n".join(lines)


async def _cart_text(conn: Conn, customer_id: UUID | None) -> str:
    if customer_id is None:
        return ""
    async with conn.transaction(force_rollback=True):  # a look only: no open cart is created for it
        cart = await carts.view_cart(conn, customer_id)
    return ", ".join(
        f"{ln.quantity} x {escape(ln.title)}" for ln in sorted(cart.lines, key=lambda ln: ln.title)
    )


def thread_blocks(conversation_id: UUID, summary: str) -> list[dict[str, Any]]:
    return [
        section(summary[:MAX_SECTION]),
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
