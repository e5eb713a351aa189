"""A conversation service over a private database (turns commit, as in production)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from elara_bot.contracts import InboundMessage, OutboundReply
from elara_bot.conversation.service import ConversationService
from elara_bot.db import Conn, open_pool
from elara_bot.payments.dev import build_dev_provider
from retrieval.embedding import Embedder
from tests.conftest import make_settings

Say = Callable[[str], Awaitable[OutboundReply]]


@pytest.fixture
async def pool(db_url: str, tmp_path: Path) -> AsyncIterator[AsyncConnectionPool[Conn]]:
    pool = await open_pool(db_url, make_settings(db_url, tmp_path))
    yield pool
    await pool.close()


@pytest.fixture
def conversation(
    pool: AsyncConnectionPool[Conn], db_url: str, tmp_path: Path, embedder: Embedder
) -> Callable[..., ConversationService]:
    """Factory: a ConversationService with the offline model (keyword arguments override fields)."""

    def build(**overrides: Any) -> ConversationService:
        settings = overrides.pop("settings", None) or make_settings(db_url, tmp_path)
        return ConversationService(
            pool=pool,
            settings=settings,
            embedder=embedder,
            provider=build_dev_provider(settings),
            **overrides,
        )

    return build


def sayer(
    service: ConversationService, who: str, channel: str = "web"
) -> Callable[..., Awaitable[OutboundReply]]:
    async def say(text: str, action: str | None = None) -> OutboundReply:
        message = InboundMessage(
            channel=channel, external_user_id=who, conversation_key=who, text=text, action=action
        )
        return await service.handle(message)

    return say
