"""Merchant questions over Slack: who is a merchant, and the analyst's answer posted back (with charts).

A ``/elara`` command from a channel the bot has not joined cannot be answered with ``chat.postMessage``
(``not_in_channel``): the answer then goes to the command's ``response_url``, seen only by the merchant,
with how to invite the bot (charts need the bot in the channel)."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack.blocks import context, reply_blocks
from elara_bot.agent.merchant_analyst import MerchantAnalyst
from elara_bot.config import SlackSettings
from elara_bot.contracts import ChartPart, OutboundReply
from elara_bot.customers import repository as customers
from elara_bot.db import Conn

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[A-Z0-9]+>")
REFUSAL = "Sorry, I can only share store data with the store's merchants."
INVITE = (
    "(Only you can see this: I'm not a member of this channel. Invite me with `/invite @Elara` to have"
    " answers and charts posted here, or ask me in a direct message.)"
)
NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}
Respond = Callable[..., Awaitable[Any]]  # bolt's `respond`: a message to the command's response_url


@dataclass(eq=False)
class MerchantDesk:
    """Only merchants get data: a user in ``merchant_user_ids`` or a customer with role merchant/admin
    linked by a ``slack`` identity, from an allowed team. Everyone else gets a polite refusal."""

    settings: SlackSettings
    pool: AsyncConnectionPool[Conn]
    client: AsyncWebClient
    analyst: MerchantAnalyst

    async def is_merchant(self, team_id: str | None, user_id: str | None) -> bool:
        if not user_id or team_id not in self.settings.allowed_team_ids:
            return False
        if user_id in self.settings.merchant_user_ids:
            return True
        async with self.pool.connection() as conn:
            return await customers.is_staff_identity(conn, "slack", user_id)

    async def respond(
        self,
        team_id: str | None,
        user_id: str | None,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        via_command: Respond | None = None,
    ) -> None:
        if not await self.is_merchant(team_id, user_id):
            await self._post(channel, OutboundReply(text=REFUSAL), thread_ts, via_command)
            return
        async with self.pool.connection() as conn, conn.transaction(force_rollback=True):  # reads only
            reply = await self.analyst.answer(conn, MENTION.sub("", text).strip())
        if await self._post(channel, reply, thread_ts, via_command):
            await self._upload_charts(channel, reply, thread_ts)

    async def _post(
        self, channel: str, reply: OutboundReply, thread_ts: str | None, via_command: Respond | None
    ) -> bool:
        """Post the reply in the channel; for a command the bot may not post in, answer through the
        command's response_url instead. True when it was posted in the channel."""
        blocks = reply_blocks(reply) if reply.parts else None
        try:
            await self.client.chat_postMessage(
                channel=channel, text=reply.text, blocks=blocks, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if via_command is None or error not in NOT_IN_CHANNEL:
                raise
            log.info(
                "slack: cannot post in %s (%s); answered through the command's response_url", channel, error
            )
            await via_command(
                text=f"{reply.text}\n\n{INVITE}",
                blocks=[*(blocks or []), context(INVITE)],
                response_type="ephemeral",
            )
            return False
        return True

    async def _upload_charts(self, channel: str, reply: OutboundReply, thread_ts: str | None) -> None:
        for part in reply.parts:
            if isinstance(part, ChartPart):
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    title=part.title,
                    filename="chart.png",
                    content=base64.b64decode(part.png_base64),
                )
