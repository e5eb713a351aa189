"""Issue 15: a Telegram text of 4,001-4,096 characters (what Telegram accepts) is answered, and a message
that fails validation gets a reply instead of silence."""

from __future__ import annotations

from telegram.constants import MessageLimit

from connectors.telegram.connector import UNREADABLE
from tests.connectors.test_telegram import bare_db_url, bot_service, message_update, new_user, post_update
from tests.stubs.telegram_stub import TelegramStub

__all__ = ["bare_db_url", "bot_service"]


async def test_the_longest_text_telegram_accepts_is_answered(
    bot_service: str, tg: TelegramStub, token: str
) -> None:
    uid = new_user()
    text = ("running shoes under 100 " * 200)[: MessageLimit.MAX_TEXT_LENGTH]
    assert len(text) == 4096
    assert (await post_update(bot_service, message_update(uid, text))).status_code == 200
    [sent, *_] = await tg.wait_for(token, "sendMessage")
    assert sent.fields["chat_id"] == str(uid)
    assert "couldn" not in sent.fields["text"]


async def test_a_message_failing_validation_gets_a_reply(
    bot_service: str, tg: TelegramStub, token: str
) -> None:
    uid = new_user()
    update = message_update(uid, "x" * 5000)  # longer than Telegram allows: only a forged update carries it
    assert (await post_update(bot_service, update)).status_code == 200
    [sent] = await tg.wait_for(token, "sendMessage")
    assert sent.fields["chat_id"] == str(uid)
    prefix = UNREADABLE.split("(")[0].replace("'", "'")
    assert sent.fields["text"].replace("\\", "").startswith(prefix)
    assert "4096" in sent.fields["text"]
