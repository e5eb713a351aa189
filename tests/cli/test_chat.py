"""``elara chat`` runs the services only: no Telegram or Slack connector, no sweeper, even when the
settings configure them (the serving process owns those)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from elara_bot.app import stop_runtime
from elara_bot.cli.chat import chat_runtime
from retrieval.embedding import Embedder
from tests.conftest import make_settings


async def test_chat_runtime_has_no_connectors_and_no_sweeper(
    db_url: str, tmp_path: Path, embedder: Embedder
) -> None:
    settings = make_settings(
        db_url,
        tmp_path,
        telegram={"token": "123456:AAnot-a-real-token", "api_base": "http://127.0.0.1:9"},
        slack={
            "bot_token": "xoxb-not-real",
            "signing_secret": "not-a-real-signing-secret",
            "api_base": "http://127.0.0.1:9/api/",
            "allowed_team_ids": ["T111"],
        },
    )
    runtime = await chat_runtime(settings, embedder)
    try:
        assert runtime.connectors == {}
        assert runtime.tasks == {}
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert not names & {"order-expiry-sweeper", "anonymous-session-sweeper"}
        assert runtime.conversation is not None  # the chat itself is there
        assert runtime.on_order_paid == []
        assert runtime.conversation.on_handoff == []
    finally:
        await stop_runtime(runtime)
