"""Telegram for shoppers (python-telegram-bot); the only package importing ``telegram``."""

from __future__ import annotations

from connectors.telegram.connector import TelegramConnector, build_application, webhook_secret
from elara_bot.contracts import InboundMessage, OutboundReply
from elara_bot.runtime import Runtime

__all__ = ["TelegramConnector", "build_application", "start_telegram", "webhook_secret"]


class _RuntimeConversation:
    """The runtime's conversation service, looked up per turn (it may be built after the connector)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def handle(self, message: InboundMessage) -> OutboundReply:
        return await self._runtime.chat().handle(message)  # chat(): a 503 before it is built


async def start_telegram(runtime: Runtime) -> TelegramConnector:
    """Build and start the connector for the runtime's settings (the bot token must be set)."""
    connector = TelegramConnector(
        build_application(runtime.settings.telegram),
        runtime.pool,
        _RuntimeConversation(runtime),
        runtime.settings.public_url,
    )
    await connector.start()
    return connector
