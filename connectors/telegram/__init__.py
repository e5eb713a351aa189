"""Telegram for shoppers (python-telegram-bot); the only package importing ``telegram``."""

from __future__ import annotations

from typing import Any

from connectors.telegram.connector import TelegramConnector, build_application, webhook_secret
from elara_bot.errors import ServiceUnavailable
from elara_bot.runtime import Runtime

__all__ = ["TelegramConnector", "build_application", "start_telegram", "webhook_secret"]


class _RuntimeConversation:
    """The runtime's conversation service, looked up per turn (it may be built after the connector)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def handle(self, message: Any) -> Any:
        if self._runtime.conversation is None:
            raise ServiceUnavailable("The assistant is not available right now. Please try again later.")
        return await self._runtime.conversation.handle(message)


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
