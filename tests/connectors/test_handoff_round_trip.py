"""A human handoff round trip over real HTTP (issue 6): a shopper on Telegram or the web chat asks for a
person, a thread opens in the Slack handoff channel, the shopper's next words reach that thread while the
agent keeps quiet, a merchant's reply in the thread (a signed Slack event) reaches the shopper on their own
channel, and once the merchant closes the handoff (the Close button, or ``/elara resume``) the agent
answers again.

The whole service runs with Telegram and Slack both configured, against the Bot API and Slack Web API
stand-ins; every Slack request is signed with the signing secret (bolt checks it), and the database is
checked along the way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

import httpx
import pytest

from connectors.telegram.render import model_text
from elara_bot.conversation.service import HANDOFF_CLOSED, HANDOFF_WAIT
from tests.connectors.test_slack import MERCHANT, OUTSIDER, _signed, _thread_reply
from tests.connectors.test_slack import SECRET as SLACK_SECRET
from tests.connectors.test_telegram import eventually, message_update, new_user, post_update, quiet, sql
from tests.connectors.test_telegram_render import unescape
from tests.conversation.helpers import sse_events
from tests.stubs.slack_stub import SlackCall, SlackStub
from tests.stubs.telegram_stub import SENDS, TelegramCall, TelegramStub

HANDOFF_CHANNEL = "CHANDOFF"  # the channel of test_slack's ``_thread_reply`` events
FORM = "application/x-www-form-urlencoded"
CLOSED = "Handoff closed: the assistant answers again."
# What the merchant types in the thread, and the event text Slack sends the app for it: &, < and > as
# entities, a typed URL as a ``<...>`` link.
REPLY = "Hi Ada, the black pair ships Monday & returns are free <30 days: https://shop.example.com/returns"
REPLY_ON_THE_WIRE = (
    "Hi Ada, the black pair ships Monday &amp; returns are free &lt;30 days:"
    " <https://shop.example.com/returns>"
)


@pytest.fixture
def slack_token() -> str:
    """A bot token of its own per test, so the session-wide Slack stand-in's records do not mix."""
    return f"xoxb-{uuid4().hex[:12]}"


@pytest.fixture
def slack_stub(stubs: Any) -> SlackStub:
    stub: SlackStub = stubs.parts["slack"]
    return stub


@pytest.fixture
def handoff_service(
    live_service: Callable[..., AbstractContextManager[str]],
    stubs: Any,
    telegram: dict[str, Any],
    slack_token: str,
) -> Iterator[str]:
    """The whole service (demo store) with both Telegram and Slack configured, handoffs to CHANDOFF."""
    slack = {
        "bot_token": slack_token,
        "signing_secret": SLACK_SECRET,
        "api_base": f"{stubs.base_url}/api/",
        "allowed_team_ids": ["T111"],
        "merchant_user_ids": [MERCHANT],
        "handoff_channel": HANDOFF_CHANNEL,
    }
    with live_service(telegram=telegram, slack=slack, public_url="https://shop.example.com") as base_url:
        yield base_url


# --- helpers ------------------------------------------------------------------------------------------
async def slack_post(base_url: str, body: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post("/slack/events", content=body, headers=headers)


async def merchant_says(base_url: str, text: str, thread_ts: str, user: str = MERCHANT) -> None:
    """A signed thread reply; ``text`` as Slack delivers it."""
    body = _thread_reply(text, thread_ts, user)
    response = await slack_post(base_url, body, _signed(body))
    assert response.status_code == 200, response.text


def close_button(conversation_id: UUID, thread_ts: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T111"},
        "user": {"id": MERCHANT},
        "container": {"channel_id": HANDOFF_CHANNEL, "message_ts": thread_ts},
        "actions": [{"action_id": "close_handoff", "value": str(conversation_id), "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def resume_command(conversation_id: UUID | str) -> str:
    return urlencode(
        {
            "command": "/elara",
            "text": f"resume {conversation_id}",
            "user_id": MERCHANT,
            "team_id": "T111",
            "channel_id": "C9",
            "response_url": "http://x/",
            "trigger_id": "t1",
        }
    )


def sent_after(tg: TelegramStub, token: str, mark: int) -> list[TelegramCall]:
    return [c for c in tg.calls_for(token)[mark:] if c.method in SENDS]


def posts(stub: SlackStub, token: str) -> list[SlackCall]:
    return stub.for_token(token, "chat.postMessage")


async def messages(db_url: str, conversation_id: UUID | str) -> list[tuple[str, str]]:
    rows = await sql(
        db_url,
        "SELECT role, text FROM conversation_messages WHERE conversation_id = %s ORDER BY id",
        conversation_id,
    )
    return [(r["role"], r["text"]) for r in rows]


async def handoff_row(db_url: str, conversation_id: UUID | str) -> tuple[str, str, str, bool] | None:
    """(channel, thread_ts, status, closed_at is set) of the conversation's Slack handoff."""
    rows = await sql(
        db_url,
        "SELECT channel, thread_ts, status, closed_at FROM slack_handoffs WHERE conversation_id = %s",
        conversation_id,
    )
    if not rows:
        return None
    [row] = rows
    return (row["channel"], row["thread_ts"], row["status"], row["closed_at"] is not None)


async def handoff_state(db_url: str, conversation_id: UUID | str) -> str | None:
    query = "SELECT state->>'handoff' AS h FROM conversations WHERE id = %s"
    [row] = await sql(db_url, query, conversation_id)
    return None if row["h"] is None else str(row["h"])


async def _status(row: Callable[[], Any]) -> str | None:
    got = await row()
    return None if got is None else str(got[2])


async def close_and_check(
    base: str,
    body: str,
    slack_stub: SlackStub,
    slack_token: str,
    post_number: int,
    thread_ts: str,
    row: Callable[[], Any],
) -> None:
    """A signed close request (button or ``/elara resume``): the thread's ``post_number``-th post says the
    handoff is closed, and SQL shows it closed."""
    response = await slack_post(base, body, _signed(body, content_type=FORM))
    assert response.status_code == 200
    done = (await slack_stub.wait_for(slack_token, "chat.postMessage", count=post_number))[post_number - 1]
    assert (done.fields["channel"], done.fields["thread_ts"], done.fields["text"]) == (
        HANDOFF_CHANNEL,
        thread_ts,
        CLOSED,
    )
    await eventually(lambda: _status(row), "closed")
    assert await row() == (HANDOFF_CHANNEL, thread_ts, "closed", True)


def is_card(call: TelegramCall) -> bool:
    return any(str(b.get("callback_data", "")).startswith("more_like:") for b in call.buttons)


# --- Telegram -> Slack -> Telegram ------------------------------------------------------------------------
class TestTelegramRoundTrip:
    async def test_shopper_merchant_and_back_to_the_agent(
        self,
        handoff_service: str,
        tg: TelegramStub,
        token: str,
        slack_stub: SlackStub,
        slack_token: str,
        db_url: str,
    ) -> None:
        base, uid = handoff_service, new_user()

        # 1. the shopper asks for a person: the agent says so, a thread opens in the handoff channel
        ask = "can I talk to a person?"
        assert (await post_update(base, message_update(uid, ask))).status_code == 200
        said = await tg.wait_for_message(token, lambda c: c.fields["chat_id"] == str(uid))
        assert "asked a member of our team to join" in said.text
        await quiet()
        # the shopper is not sent their own words back (the reason goes to the merchant's thread only)
        assert [c.text for c in tg.calls_for(token) if c.method in SENDS] == [said.text]
        assert ask not in unescape(said.text)[0]
        [opened] = await slack_stub.wait_for(slack_token, "chat.postMessage")
        [conversation] = await sql(
            db_url,
            "SELECT id FROM conversations WHERE channel = 'telegram' AND conversation_key = %s",
            str(uid),
        )
        cid: UUID = conversation["id"]
        assert opened.fields["channel"] == HANDOFF_CHANNEL
        assert "thread_ts" not in opened.fields  # a new thread
        text = opened.fields["text"]
        assert text.startswith(":raising_hand: A shopper asked for a person\n")
        assert "*Shopper:* Ada Lovelace on telegram" in text
        assert f"*Conversation:* `{cid}`" in text
        assert f"> *user:* {ask}" in text
        button = opened.fields["blocks"][1]["elements"][0]
        assert (button["action_id"], button["value"]) == ("close_handoff", str(cid))

        async def row() -> tuple[str, str, str, bool] | None:
            return await handoff_row(db_url, cid)

        await eventually(lambda: _status(row), "open")
        channel, thread_ts, _, _ = await row() or ("", "", "", False)
        assert channel == HANDOFF_CHANNEL
        assert await handoff_state(db_url, cid) == "active"

        # 2. the shopper writes again: it goes to the thread; the agent does not answer it
        mark = len(tg.calls_for(token))
        assert (await post_update(base, message_update(uid, "show me headphones"))).status_code == 200
        relayed = (await slack_stub.wait_for(slack_token, "chat.postMessage", count=2))[1]
        assert relayed.fields["channel"] == HANDOFF_CHANNEL
        assert relayed.fields["thread_ts"] == thread_ts
        assert relayed.fields["text"] == ":speech_balloon: *Shopper:* show me headphones"
        await tg.wait_for_message(token, lambda c: c.text == model_text(HANDOFF_WAIT), after=mark)
        await quiet()
        # only the hold notice (and its status line), no product cards or any answer of the agent
        held = sent_after(tg, token, mark)
        assert [(c.method, c.text) for c in held] == [("sendMessage", model_text(HANDOFF_WAIT))]  # once
        assert [r for r, _ in await messages(db_url, cid)] == ["user", "assistant", "user"]
        assert (await messages(db_url, cid))[-1] == ("user", "show me headphones")

        # 3. the merchant answers in the thread; a forged request and a non-merchant are not relayed
        mark = len(tg.calls_for(token))
        forged = _thread_reply("forged", thread_ts)
        assert (await slack_post(base, forged, _signed(forged, secret="wrong"))).status_code == 401
        await merchant_says(base, "not me", thread_ts, user=OUTSIDER)
        await merchant_says(base, REPLY_ON_THE_WIRE, thread_ts)
        delivered = await tg.wait_for_message(token, lambda c: c.fields["chat_id"] == str(uid), after=mark)
        assert delivered.method == "sendMessage"
        assert delivered.text == model_text(REPLY)
        await quiet()
        assert sent_after(tg, token, mark) == [delivered]
        human = await sql(
            db_url,
            "SELECT text FROM conversation_messages WHERE conversation_id = %s AND role = 'human_agent'",
            cid,
        )
        assert [r["text"] for r in human] == [REPLY]
        assert len(posts(slack_stub, slack_token)) == 2  # no "not delivered" warning in the thread

        # 4. the merchant presses "Close handoff": the thread says so, SQL shows it closed
        mark = len(tg.calls_for(token))
        await close_and_check(base, close_button(cid, thread_ts), slack_stub, slack_token, 3, thread_ts, row)
        assert await handoff_state(db_url, cid) is None
        # ... and the shopper is told that the assistant is back
        await tg.wait_for_message(token, lambda c: c.text == model_text(HANDOFF_CLOSED), after=mark)
        await quiet()
        assert [c.text for c in sent_after(tg, token, mark)] == [model_text(HANDOFF_CLOSED)]  # said once
        assert (await messages(db_url, cid))[-1] == ("assistant", HANDOFF_CLOSED)
        mark = len(tg.calls_for(token))
        await merchant_says(base, "too late", thread_ts)  # a closed thread relays nothing
        await quiet()
        assert sent_after(tg, token, mark) == []

        # 5. the next message gets the agent's answer again, and no longer goes to Slack
        await post_update(base, message_update(uid, "show me headphones"))
        await tg.wait_for_message(token, is_card, after=mark)
        await quiet()
        assert model_text(HANDOFF_WAIT) not in [c.text for c in sent_after(tg, token, mark)]
        assert len(posts(slack_stub, slack_token)) == 3
        [last] = await sql(
            db_url,
            "SELECT role, parts FROM conversation_messages WHERE conversation_id = %s"
            " ORDER BY id DESC LIMIT 1",
            cid,
        )
        assert last["role"] == "assistant"
        assert "product_cards" in [p["type"] for p in last["parts"]]
        assert [(r, t) for r, t in await messages(db_url, cid) if r == "human_agent"] == [
            ("human_agent", REPLY)
        ]


# --- web -> Slack -> web ----------------------------------------------------------------------------------
class TestWebRoundTrip:
    async def test_shopper_merchant_and_back_to_the_agent(
        self, handoff_service: str, slack_stub: SlackStub, slack_token: str, db_url: str
    ) -> None:
        base = handoff_service
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            created = await client.post("/api/v1/sessions")
            assert created.status_code == 201, created.text
            auth = {"Authorization": f"Bearer {created.json()['token']}"}

            async def say(text: str) -> dict[str, Any]:
                response = await client.post("/api/v1/chat", json={"message": text}, headers=auth)
                assert response.status_code == 200, response.text
                reply: dict[str, Any] = response.json()
                return reply

            async def history(after: int = 0) -> list[dict[str, Any]]:
                response = await client.get("/api/v1/chat/history", params={"after": after}, headers=auth)
                assert response.status_code == 200, response.text
                turns: list[dict[str, Any]] = response.json()
                return turns

            # 1. the shopper asks for a person: a thread opens in the handoff channel
            asked = await say("I want to talk to a person")
            assert [p for p in asked["parts"] if p["type"] == "handoff"] == [
                {"type": "handoff", "status": "requested", "detail": ""}  # not the shopper's own words
            ]
            assert "talk to a person" not in asked["text"]
            cid = asked["conversation_id"]
            [opened] = await slack_stub.wait_for(slack_token, "chat.postMessage")
            assert opened.fields["channel"] == HANDOFF_CHANNEL
            assert " on web\n" in opened.fields["text"]
            assert f"*Conversation:* `{cid}`" in opened.fields["text"]
            assert "> *user:* I want to talk to a person" in opened.fields["text"]

            async def row() -> tuple[str, str, str, bool] | None:
                return await handoff_row(db_url, cid)

            await eventually(lambda: _status(row), "open")
            _, thread_ts, _, _ = await row() or ("", "", "", False)

            # 2. while a person has the conversation the agent does not run: the hold notice, and the
            # shopper's words go to the thread (as JSON and as a stream alike)
            waiting = await say("do you have headphones?")
            assert waiting["text"] == HANDOFF_WAIT
            assert waiting["parts"] == [{"type": "handoff", "status": "active", "detail": ""}]  # one notice
            await slack_stub.wait_for(slack_token, "chat.postMessage", count=2)  # keeps the thread's order
            streamed = await client.post(
                "/api/v1/chat",
                json={"message": "hello?"},
                headers={**auth, "Accept": "text/event-stream"},
            )
            assert streamed.status_code == 200, streamed.text
            events = sse_events(streamed)
            assert [(e, d["text"]) for e, d in events] == [("done", HANDOFF_WAIT)]  # no tool, no delta
            in_thread = (await slack_stub.wait_for(slack_token, "chat.postMessage", count=3))[1:]
            assert [(p.fields["thread_ts"], p.fields["text"]) for p in in_thread] == [
                (thread_ts, ":speech_balloon: *Shopper:* do you have headphones?"),
                (thread_ts, ":speech_balloon: *Shopper:* hello?"),
            ]
            seen = await history()
            assert [(t["role"], t["text"]) for t in seen][-2:] == [
                ("user", "do you have headphones?"),
                ("user", "hello?"),
            ]
            assert [t["role"] for t in seen] == ["user", "assistant", "user", "user"]

            # 3. the merchant's signed thread reply: the page's poll of the history shows it
            await merchant_says(base, REPLY_ON_THE_WIRE, thread_ts)
            after = seen[-1]["id"]

            async def staff() -> list[tuple[str, str]]:
                return [(t["role"], t["text"]) for t in await history(after)]

            await eventually(staff, [("human_agent", REPLY)])
            [staff_turn] = await history(after)

            # 4. /elara resume <conversation> (signed) closes the handoff
            await close_and_check(base, resume_command(cid), slack_stub, slack_token, 4, thread_ts, row)
            assert await handoff_state(db_url, cid) is None
            # the page's poll learns that the assistant is back (and stops polling on that part)
            [back] = await history(staff_turn["id"])
            assert (back["role"], back["text"]) == ("assistant", HANDOFF_CLOSED)
            assert back["parts"] == [{"type": "handoff", "status": "closed", "detail": ""}]  # one notice

            # 5. the agent answers again, and the thread hears no more
            answered = await say("show me headphones")
            assert answered["text"] != HANDOFF_WAIT
            assert "product_cards" in [p["type"] for p in answered["parts"]]
            assert [t["role"] for t in await history(back["id"])] == ["user", "assistant"]
            await quiet()
            assert len(posts(slack_stub, slack_token)) == 4
            roles = [r for r, _ in await messages(db_url, cid)]
            assert roles == [
                *("user", "assistant", "user", "user", "human_agent"),
                *("assistant", "user", "assistant"),
            ]
