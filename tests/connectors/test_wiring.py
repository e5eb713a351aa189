"""The app wires every hook itself (app.wire_hooks): paid orders (with low stock) and payment alerts to
Slack's alerts, handoffs and a shopper's words during one to Slack's threads, Telegram as Slack's way to
reach shoppers; a runtime built in the wrong order is refused instead of dropping handoffs silently."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from connectors.slack import SlackConnector
from connectors.telegram import TelegramConnector
from elara_bot.app import start_runtime, stop_runtime, wire_hooks
from elara_bot.errors import ServiceUnavailable
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder
from tests.conftest import make_settings
from tests.connectors.test_slack import MERCHANT, SECRET


def slack_settings(stubs: Any) -> dict[str, Any]:
    return {
        "bot_token": f"xoxb-{uuid.uuid4().hex[:12]}",
        "signing_secret": SECRET,
        "api_base": f"{stubs.base_url}/api/",
        "allowed_team_ids": ["T111"],
        "merchant_user_ids": [MERCHANT],
    }


async def test_building_the_app_wires_every_hook(
    db_url: str, tmp_path: Path, embedder: Embedder, telegram: dict[str, Any], stubs: Any
) -> None:
    settings = make_settings(db_url, tmp_path, telegram=telegram, slack=slack_settings(stubs))
    runtime = await start_runtime(settings, embedder)
    try:
        slack, tg = runtime.connectors["slack"], runtime.connectors["telegram"]
        assert isinstance(slack, SlackConnector)
        assert isinstance(tg, TelegramConnector)
        conversation = runtime.chat()
        assert runtime.on_order_paid == [slack.alerts.order_paid]  # paid orders and low stock
        assert runtime.on_payment_alert == [slack.alerts.payment_alert]
        assert conversation.on_handoff == [slack.handoffs.on_handoff]
        assert conversation.on_shopper_message_in_handoff == [slack.handoffs.on_shopper_message]
        assert slack.handoffs.telegram is tg  # a merchant's reply reaches Telegram shoppers
        assert sorted(runtime.tasks) == ["order_sweeper", "session_sweeper"]
        assert not any(task.done() for task in runtime.tasks.values())
    finally:
        await stop_runtime(runtime)
    assert all(task.cancelled() for task in runtime.tasks.values())


async def test_wiring_before_the_conversation_service_is_refused(
    db_url: str, tmp_path: Path, embedder: Embedder, stubs: Any
) -> None:
    """Slack built before the conversation service would have had no ``on_handoff`` to join: the wiring
    says so instead of leaving handoffs unannounced."""
    from elara_bot.db import open_pool

    settings = make_settings(db_url, tmp_path, slack=slack_settings(stubs))
    pool = await open_pool(db_url, settings)
    try:
        runtime = Runtime(settings=settings, pool=pool, embedder=embedder)
        slack = SlackConnector(settings.slack, pool, conversation=None)  # type: ignore[arg-type]
        with pytest.raises(ServiceUnavailable):
            wire_hooks(runtime, slack)
        await slack.stop()
    finally:
        await pool.close()
