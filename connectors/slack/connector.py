"""The Slack app for merchants: app mentions, DMs and ``/elara`` (merchant.py), handoff threads
(handoff.py) and alerts (alerts.py) behind one bolt app.

Bolt verifies the request signature (401 on a forged, stale or missing one) and answers
``url_verification``; retries are deduplicated on ``event_id`` in PostgreSQL (``slack_events``), so a
retry reaching another replica is recognised too. A request from a team not in
``allowed_team_ids`` (required when Slack is configured) gets no answer at all: it is acknowledged, logged
and dropped. The app (``app.py``) subscribes the handoff and alert handlers to their hooks.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from connectors.slack import repository
from connectors.slack.alerts import AlertDesk
from connectors.slack.handoff import CLOSE_ACTION, HandoffConversation, HandoffDesk, ShopperPush
from connectors.slack.merchant import MerchantDesk
from elara_bot.agent.merchant_analyst import MerchantAnalyst, build_analyst
from elara_bot.config import SlackSettings
from elara_bot.contracts import OutboundReply
from elara_bot.db import Conn
from elara_bot.errors import ServiceUnavailable
from elara_bot.runtime import Runtime

log = logging.getLogger(__name__)
PRUNE_EVERY = 500  # new events between two prunes of the handled-event table


class SlackConnector:
    def __init__(
        self,
        settings: SlackSettings,
        pool: AsyncConnectionPool[Conn],
        conversation: HandoffConversation,
        *,
        telegram: ShopperPush | None = None,
        analyst: MerchantAnalyst | None = None,
    ) -> None:
        assert settings.bot_token is not None
        assert settings.signing_secret is not None
        self.settings = settings
        self.pool = pool
        self.client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(), base_url=settings.api_base or AsyncWebClient.BASE_URL
        )
        self.merchant = MerchantDesk(settings, pool, self.client, analyst or MerchantAnalyst())
        self.handoffs = HandoffDesk(
            settings, pool, self.client, conversation, self.merchant.is_merchant, telegram
        )
        self.alerts = AlertDesk(settings, pool, self.client)
        # the hooks' subscribers (app.py wires them) and the handoff entry points
        self.on_handoff = self.handoffs.on_handoff
        self.on_shopper_message = self.handoffs.on_shopper_message
        self.close_handoff = self.handoffs.close_handoff
        self.notify_order_paid = self.alerts.order_paid
        self.notify_payment_alert = self.alerts.payment_alert
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret.get_secret_value(),
            process_before_response=False,
        )
        self.handler = AsyncSlackRequestHandler(self.app)
        self._new_events = 0
        self._register()

    def _register(self) -> None:
        self.app.middleware(self._allowed_team)
        self.app.middleware(self._dedupe)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/elara")(self._on_command)
        self.app.action(CLOSE_ACTION)(self._on_close_button)

    async def _dedupe(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str):
            async with self.pool.connection() as conn:
                if not await repository.first_delivery(conn, event_id):
                    log.info("slack retry of %s ignored", event_id)
                    return BoltResponse(status=200, body="")
                self._new_events += 1
                if self._new_events % PRUNE_EVERY == 1:
                    await repository.prune_events(conn)
        await next()
        return None

    async def _allowed_team(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Acknowledge (so Slack does not retry) and drop a request from a team that is not allowed."""
        team = team_of(body)
        if team not in self.settings.allowed_team_ids:
            log.warning("slack request from team %r refused: not in allowed_team_ids", team)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        thread_ts = event.get("thread_ts") or event.get("ts")
        await self.merchant.respond(
            body.get("team_id"), event.get("user"), event["channel"], event.get("text", ""), thread_ts
        )

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return
        team, user, channel = body.get("team_id"), event.get("user"), event["channel"]
        thread_ts = event.get("thread_ts") if event.get("thread_ts") != event.get("ts") else None
        if thread_ts and await self.handoffs.relay(team, user, channel, thread_ts, event.get("text", "")):
            return
        if event.get("channel_type") == "im":  # a question in the bot's DM, or in a thread of it
            await self.merchant.respond(team, user, channel, event.get("text", ""), thread_ts)

    async def _on_close_button(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if not await self.merchant.is_merchant(team_of(body), body.get("user", {}).get("id")):
            return
        message = body.get("container", {})
        blocks = body.get("message", {}).get("blocks")
        await self.close_handoff(
            UUID(body["actions"][0]["value"]),
            message.get("channel_id", ""),
            message.get("message_ts", ""),
            blocks if isinstance(blocks, list) else None,
        )

    async def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        team, user, channel = command.get("team_id"), command.get("user_id"), command["channel_id"]
        text = command.get("text", "").strip()
        if text.lower().startswith("resume") and await self.merchant.is_merchant(team, user):
            await self.handoffs.resume(channel, text.split()[1:])
            return
        await self.merchant.respond(team, user, channel, text, via_command=respond)

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


class _RuntimeConversation:
    """The runtime's conversation service, looked up per call (as Telegram's connector does)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def relay_from_human(self, conn: Conn, conversation_id: UUID, text: str) -> None:
        await self._service().relay_from_human(conn, conversation_id, text)

    async def close_handoff(self, conn: Conn, conversation_id: UUID) -> OutboundReply:
        return await self._service().close_handoff(conn, conversation_id)

    def _service(self) -> HandoffConversation:
        if self._runtime.conversation is None:
            raise ServiceUnavailable("The assistant is not available right now.")
        return self._runtime.conversation


async def start_slack(runtime: Runtime, *, telegram: ShopperPush | None = None) -> SlackConnector:
    """Build the connector for the runtime's settings; pushes to Telegram shoppers go through ``telegram``.
    Subscribing its handlers to the hooks is the app's job (``app.wire_hooks``)."""
    hosted = runtime.conversation.model if runtime.conversation is not None else None
    return SlackConnector(
        runtime.settings.slack,
        runtime.pool,
        _RuntimeConversation(runtime),
        telegram=telegram,
        analyst=build_analyst(runtime.settings, hosted),
    )
