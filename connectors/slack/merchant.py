"""Merchant questions over Slack: who is a merchant, and the analyst's answer posted back (with charts)."""

from __future__ import annotations

import base64
import re

from psycopg_pool import AsyncConnectionPool
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack.blocks import reply_blocks
from elara_bot.agent.merchant_analyst import MerchantAnalyst
from elara_bot.config import SlackSettings
from elara_bot.contracts import ChartPart, OutboundReply
from elara_bot.customers import repository as customers
from elara_bot.db import Conn

MENTION = re.compile(r"<@[A-Z0-9]+>")
REFUSAL = "Sorry, I can only share store data with the store's merchants."


class MerchantDesk:
    """Only merchants get data: a user in ``merchant_user_ids`` or a customer with role merchant/admin
    linked by a ``slack`` identity, from an allowed team. Everyone else gets a polite refusal."""

    def __init__(
        self,
        settings: SlackSettings,
        pool: AsyncConnectionPool[Conn],
        client: AsyncWebClient,
        analyst: MerchantAnalyst,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.client = client
        self.analyst = analyst

    async def is_merchant(self, team_id: str | None, user_id: str | None) -> bool:
        if not user_id or team_id not in self.settings.allowed_team_ids:
            return False
        if user_id in self.settings.merchant_user_ids:
            return True
        async with self.pool.connection() as conn:
            return await customers.is_staff_identity(conn, "slack", user_id)

    async def answer(self, question: str) -> OutboundReply:
        async with self.pool.connection() as conn, conn.transaction(force_rollback=True):
            return await self.analyst.answer(conn, question)

    async def respond(
        self, team_id: str | None, user_id: str | None, channel: str, text: str, thread_ts: str | None = None
    ) -> None:
        if not await self.is_merchant(team_id, user_id):
            await self.client.chat_postMessage(channel=channel, text=REFUSAL, thread_ts=thread_ts)
            return
        reply = await self.answer(MENTION.sub("", text).strip())
        await self.client.chat_postMessage(
            channel=channel, text=reply.text, blocks=reply_blocks(reply), thread_ts=thread_ts
        )
        for part in reply.parts:
            if isinstance(part, ChartPart):
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    title=part.title,
                    filename="chart.png",
                    content=base64.b64decode(part.png_base64),
                )
