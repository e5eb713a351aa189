"""Fixtures shared by the connector tests: the Telegram stand-in and a bot token configured against it."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import pytest

from tests.stubs.telegram_stub import TelegramStub

TELEGRAM_SECRET = "s3cret-token_for-tests"
# Unique ids (bot ids, users, updates, messages) across the tests sharing the session-wide stand-in.
ids = itertools.count(int(time.time()) % 100_000 * 1000)


@pytest.fixture
def tg(stubs: Any) -> TelegramStub:
    stub: TelegramStub = stubs.parts["telegram"]
    return stub


@pytest.fixture
def token() -> str:
    """A bot token of its own per test, so the session-wide stand-in's records do not mix."""
    return f"{next(ids)}:AA{uuid.uuid4().hex}"


@pytest.fixture
def telegram(stubs: Any, token: str) -> dict[str, Any]:
    """``Settings.telegram`` for a bot whose Bot API is the stand-in."""
    return {"token": token, "secret_token": TELEGRAM_SECRET, "api_base": stubs.base_url}
