"""The Slack app for merchants: app mentions, DMs and ``/elara``, answered by the merchant analyst.

Bolt verifies the request signature (401 on a forged, stale or missing one) and answers
``url_verification``; retries are deduplicated on ``event_id``. Only merchants get data: a user in
``settings.slack.merchant_user_ids`` or a customer with role merchant/admin linked by a ``slack``
identity. Everyone else gets a polite refusal. A request from a team not in ``allowed_team_ids`` (required
when Slack is configured) gets no answer at all: it is acknowledged, logged and dropped.
"""

from __future__ import annotations

import base64
import logging
import re
from collections import OrderedDict
from typing import Any
from uuid import UUID

from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack import handoff
from connectors.slack.blocks import escape, plain_text, reply_blocks
from elara_bot.agent.merchant_analyst import MerchantAnalyst
from elara_bot.agent.merchant_tools import money
from elara_bot.analytics import service as analytics
from elara_bot.conversation.messages import ChartPart, OutboundReply
from elara_bot.orders.schemas import OrderPublic, PaymentAlert
from elara_bot.runtime import Runtime

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[A-Z0-9]+>")
REFUSAL = "Sorry, I can only share store data with the store's merchants."
SEEN_LIMIT = 5000
NOT_DELIVERED = ":warning: Not delivered: the shopper has blocked the bot on Telegram."


class SlackConnector:
    def __init__(self, runtime: Runtime, analyst: MerchantAnalyst | None = None) -> None:
        settings = runtime.settings.slack
        assert settings.bot_token is not None
        assert settings.signing_secret is not None
        self.runtime = runtime
        self.analyst = analyst or MerchantAnalyst()
        self.client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=settings.api_base or AsyncWebClient.BASE_URL,
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret.get_secret_value(),
            process_before_response=False,
        )
        self.handler = AsyncSlackRequestHandler(self.app)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._register()

    def _register(self) -> None:
        self.app.middleware(self._allowed_team)
        self.app.middleware(self._dedupe)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/elara")(self._on_command)
        self.app.action(handoff.CLOSE_ACTION)(self._on_close_button)

    async def _dedupe(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str):
            if event_id in self._seen:
                log.info("slack retry of %s ignored", event_id)
                return BoltResponse(status=200, body="")
            self._seen[event_id] = None
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
        await next()
        return None

    async def _allowed_team(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Acknowledge (so Slack does not retry) and drop a request from a team that is not allowed."""
        team = team_of(body)
        if team not in self.runtime.settings.slack.allowed_team_ids:
            log.warning("slack request from team %r refused: not in allowed_team_ids", team)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def is_merchant(self, team_id: str | None, user_id: str | None) -> bool:
        settings = self.runtime.settings.slack
        if not user_id or team_id not in settings.allowed_team_ids:
            return False
        if user_id in settings.merchant_user_ids:
            return True
        async with self.runtime.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM customer_identities i JOIN customers c ON c.id = i.customer_id"
                " WHERE i.channel = 'slack' AND i.external_id = %s AND i.active AND c.active"
                " AND c.role IN ('merchant', 'admin')",
                (user_id,),
            )
            return await cur.fetchone() is not None

    async def answer(self, question: str) -> OutboundReply:
        async with self.runtime.pool.connection() as conn, conn.transaction(force_rollback=True):
            return await self.analyst.answer(conn, question)

    async def respond(
        self,
        team_id: str | None,
        user_id: str | None,
        channel: str,
        text: str,
        thread_ts: str | None = None,
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

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        await self.respond(
            body.get("team_id"),
            event.get("user"),
            event["channel"],
            event.get("text", ""),
            thread_ts=event.get("thread_ts") or event.get("ts"),
        )

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return
        team, user, channel = body.get("team_id"), event.get("user"), event["channel"]
        if event.get("thread_ts") and event.get("thread_ts") != event.get("ts"):
            await self._relay(team, user, channel, event["thread_ts"], event.get("text", ""))
        elif event.get("channel_type") == "im":
            await self.respond(team, user, channel, event.get("text", ""))

    async def _relay(
        self, team: str | None, user: str | None, channel: str, thread_ts: str, text: str
    ) -> None:
        """A merchant's reply in a handoff thread goes to the shopper on their own channel."""
        async with self.runtime.pool.connection() as conn:
            conversation_id = await handoff.open_for_thread(conn, channel, thread_ts)
        if conversation_id is None or not await self.is_merchant(team, user):
            return
        text = plain_text(text)  # the shopper sees what the merchant typed, not Slack's wire format
        async with self.runtime.pool.connection() as conn, conn.transaction():
            await self.runtime.conversation.relay_from_human(conn, conversation_id, text)
        if not await self._to_shopper(conversation_id, OutboundReply(text=text)):
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=NOT_DELIVERED)

    async def _to_shopper(self, conversation_id: UUID, reply: OutboundReply) -> bool:
        """Push a reply to a shopper whose channel takes pushes (Telegram); the web widget reads it from
        the conversation's history instead. False when Telegram refused it (the shopper blocked the bot)."""
        async with self.runtime.pool.connection() as conn:
            target = await handoff.conversation_channel(conn, conversation_id)
        telegram = self.runtime.connectors.get("telegram")
        if target is not None and target[0] == "telegram" and telegram is not None:
            return bool(await telegram.send_reply(target[1], reply))
        return True

    async def on_handoff(self, conversation_id: UUID, reason: str) -> None:
        """Subscriber for the conversation service's ``on_handoff``: open a thread with a Close button.

        A conversation with an open thread is not posted again (a repeated notification). When the thread
        cannot be opened (no handoff channel, a Slack error), the handoff is released so that the shopper
        is not left waiting for a person who was never told: the assistant answers again.
        """
        channel = self.runtime.settings.slack.handoff_channel
        async with self.runtime.pool.connection() as conn:
            if await handoff.open_thread(conn, conversation_id) is not None:
                return
            summary = await handoff.describe(conn, conversation_id, reason)
        text = f":raising_hand: A shopper asked for a person\n{summary}"
        try:
            if channel is None:
                raise RuntimeError("ELARA_SLACK__HANDOFF_CHANNEL is not set")
            sent = await self.client.chat_postMessage(
                channel=channel, text=text, blocks=handoff.thread_blocks(conversation_id, text)
            )
        except Exception:
            log.exception("handoff of conversation %s could not be posted: releasing it", conversation_id)
            async with self.runtime.pool.connection() as conn, conn.transaction():
                await self.runtime.conversation.close_handoff(conn, conversation_id)
            return
        async with self.runtime.pool.connection() as conn:
            await handoff.remember(conn, conversation_id, str(sent["channel"]), str(sent["ts"]))

    async def on_shopper_message(self, conversation_id: UUID, text: str) -> None:
        """Subscriber for ``on_shopper_message_in_handoff``: the shopper's words go to the open thread."""
        async with self.runtime.pool.connection() as conn:
            thread = await handoff.open_thread(conn, conversation_id)
        if thread is None or not text.strip():
            return
        channel, thread_ts = thread
        await self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=f":speech_balloon: *Shopper:* {escape(text)}"
        )

    async def close_handoff(self, conversation_id: UUID, channel: str, thread_ts: str) -> None:
        async with self.runtime.pool.connection() as conn:
            closed = await handoff.close(conn, conversation_id)
        if closed:
            async with self.runtime.pool.connection() as conn, conn.transaction():
                back = await self.runtime.conversation.close_handoff(conn, conversation_id)
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text="Handoff closed: the assistant answers again."
            )
            await self._to_shopper(conversation_id, back)  # the shopper learns the assistant is back

    async def _on_close_button(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if not await self.is_merchant(body.get("team", {}).get("id"), body.get("user", {}).get("id")):
            return
        message = body.get("container", {})
        await self.close_handoff(
            UUID(body["actions"][0]["value"]), message.get("channel_id", ""), message.get("message_ts", "")
        )

    async def _on_command(self, ack: Any, command: dict[str, Any]) -> None:
        await ack()
        team, user, channel = command.get("team_id"), command.get("user_id"), command["channel_id"]
        text = command.get("text", "").strip()
        if text.lower().startswith("resume") and await self.is_merchant(team, user):
            await self._resume(channel, text.split()[1:])
            return
        await self.respond(team, user, channel, text)

    async def _resume(self, channel: str, args: list[str]) -> None:
        """``/elara resume <conversation id>`` closes that handoff."""
        try:
            conversation_id = UUID(args[0])
        except (IndexError, ValueError):
            await self.client.chat_postMessage(channel=channel, text="Usage: /elara resume <conversation id>")
            return
        async with self.runtime.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT channel, thread_ts FROM slack_handoffs WHERE conversation_id = %s", (conversation_id,)
            )
            row = await cur.fetchone()
        if row is None:
            await self.client.chat_postMessage(channel=channel, text=f"No handoff for {conversation_id}.")
            return
        await self.close_handoff(conversation_id, row["channel"], row["thread_ts"])

    async def notify_order_paid(self, order: OrderPublic) -> None:
        """Subscriber for ``runtime.on_order_paid``: post the paid order, and its variants whose stock is
        now at or below ``settings.slack.low_stock_threshold``, to the alerts channel. Errors are logged:
        an alert must never break the payment path."""
        settings = self.runtime.settings.slack
        channel = settings.alerts_channel
        if channel is None:
            return
        items = ", ".join(f"{ln.quantity} x {escape(ln.title)}" for ln in order.lines)
        total = money(order.total_minor, order.currency)
        text = f":moneybag: New paid order {order.number}: {total} ({items})"
        try:
            skus = sorted({ln.sku for ln in order.lines})
            async with self.runtime.pool.connection() as conn:
                low = await analytics.low_stock(conn, settings.low_stock_threshold, len(skus), skus=skus)
            await self.client.chat_postMessage(channel=channel, text=text)
            if low:
                stock = ", ".join(f"{v.sku} ({v.stock} left)" for v in sorted(low, key=lambda v: v.sku))
                await self.client.chat_postMessage(channel=channel, text=f":warning: Low stock: {stock}")
        except Exception:
            log.exception("slack alert for order %s failed", order.number)

    async def notify_payment_alert(self, alert: PaymentAlert) -> None:
        """Subscriber for ``runtime.on_payment_alert``: a payment held for review or refunded late goes to
        the alerts channel. Errors are logged: an alert must never break the payment path."""
        channel = self.runtime.settings.slack.alerts_channel
        if channel is None:
            return
        try:
            text = f":rotating_light: {escape(alert.detail)}"
            await self.client.chat_postMessage(channel=channel, text=text)
        except Exception:
            log.exception("slack payment alert for %s failed", alert.order_number)

    async def stop(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None:
            await session.close()


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request comes from: events carry ``team_id``, slash commands ``team_id`` too,
    interactions a ``team`` object."""
    team = body.get("team_id")
    if team is None and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    return team if isinstance(team, str) else None


def _subscribe(hooks: Any, hook: Any) -> None:
    if isinstance(hooks, list) and hook not in hooks:
        hooks.append(hook)


async def start_slack(runtime: Runtime) -> SlackConnector:
    """Build the connector; subscribe its alerts to ``runtime.on_order_paid`` and its handoff threads to
    the conversation service's ``on_handoff`` and ``on_shopper_message_in_handoff`` (when it is built)."""
    connector = SlackConnector(runtime)
    _subscribe(runtime.on_order_paid, connector.notify_order_paid)
    _subscribe(runtime.on_payment_alert, connector.notify_payment_alert)
    _subscribe(getattr(runtime.conversation, "on_handoff", None), connector.on_handoff)
    _subscribe(
        getattr(runtime.conversation, "on_shopper_message_in_handoff", None), connector.on_shopper_message
    )
    return connector
