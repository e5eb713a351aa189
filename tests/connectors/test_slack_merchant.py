"""Issue 15's Slack faults: ``/elara`` in a channel the bot has not joined, retries across replicas, and the
analyst the connector is built with."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from connectors.slack import routes as slack_routes
from connectors.slack import start_slack
from connectors.slack.connector import SlackConnector, _RuntimeConversation
from connectors.slack.handoff import CLOSED
from connectors.slack.merchant import INVITE
from elara_bot.agent.merchant_analyst import build_analyst
from elara_bot.agent.merchant_tools import money
from elara_bot.agent.model import build_chat_model, close_chat_model
from elara_bot.agent.offline_merchant import OfflineMerchantModel
from elara_bot.config import DatabaseSettings, LLMSettings, Settings, SlackSettings
from elara_bot.db import Conn, connect
from elara_bot.runtime import Runtime
from tests.connectors.test_slack import MERCHANT, SECRET, FakeConversation, _event, _signed, slack, slack_db

__all__ = ["slack", "slack_db"]
FORM = "application/x-www-form-urlencoded"


def _command(text: str, response_url: str, channel: str = "CNOTJOINED") -> str:
    fields = {
        "command": "/elara",
        "text": text,
        "user_id": MERCHANT,
        "team_id": "T111",
        "channel_id": channel,
        "response_url": response_url,
        "trigger_id": "t1",
    }
    return urlencode(fields)


async def test_command_in_a_channel_the_bot_has_not_joined(slack: Any, stubs: Any) -> None:
    client, stub, token = slack
    stub.fail_next("chat.postMessage", "not_in_channel")
    hook = f"{stubs.base_url}/api/response.hook"  # the stand-in records any POST to /api/<name>
    body = _command("revenue trend last 7 days", hook)
    assert (
        await client.post("/slack/events", content=body, headers=_signed(body, content_type=FORM))
    ).status_code == 200
    [answer] = await stub.wait_for("", "response.hook")
    assert answer.fields["response_type"] == "ephemeral"
    assert answer.fields["text"].startswith("Revenue last 7 days (")
    assert answer.fields["text"].endswith(INVITE)
    assert "/invite @Elara" in answer.fields["blocks"][-1]["elements"][0]["text"]
    await asyncio.sleep(0.3)
    assert stub.for_token(token, "files.getUploadURLExternal") == []  # no chart where the bot cannot post


async def test_a_mention_failing_to_post_is_not_redirected(slack: Any) -> None:
    """Only a command has a response_url; a failed mention reply is logged by bolt, as before."""
    client, stub, token = slack
    before = len(stub.for_token("", "response.hook"))
    stub.fail_next("chat.postMessage", "not_in_channel")
    body = _event("revenue today")
    assert (await client.post("/slack/events", content=body, headers=_signed(body))).status_code == 200
    await stub.wait_for(token, "chat.postMessage")
    await asyncio.sleep(0.3)
    assert len(stub.for_token("", "response.hook")) == before


@pytest.fixture
async def replica(slack: Any, slack_db: str, stubs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A second Elara process on the same database and Slack app (the same bot token)."""
    _, stub, token = slack
    settings = Settings(
        database=DatabaseSettings(url=slack_db),
        slack=SlackSettings(
            bot_token=token,
            signing_secret=SECRET,
            api_base=f"{stubs.base_url}/api/",
            allowed_team_ids=["T111"],
            merchant_user_ids=[MERCHANT],
        ),
    )
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        slack_db, open=False, kwargs={"row_factory": dict_row}
    )
    await pool.open()
    runtime = Runtime(settings=settings, pool=pool, embedder=None)  # type: ignore[arg-type]
    runtime.connectors["slack"] = connector = await start_slack(runtime)
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(slack_routes.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica") as client:
        yield client
    await connector.stop()
    await pool.close()


async def test_a_retry_reaching_another_replica_is_not_answered_twice(
    slack: Any, replica: httpx.AsyncClient, slack_db: str
) -> None:
    client, stub, token = slack
    body = _event("revenue today")
    first = await client.post("/slack/events", content=body, headers=_signed(body))
    retry = await replica.post(
        "/slack/events", content=body, headers={**_signed(body), "X-Slack-Retry-Num": "1"}
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    await stub.wait_for(token, "chat.postMessage")
    await asyncio.sleep(0.5)
    assert len(stub.for_token(token, "chat.postMessage")) == 1
    async with connect(slack_db) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM slack_events WHERE event_id = %s",
            (body.split('"event_id": "')[1].split('"')[0],),
        )
        assert (await cur.fetchone() or {})["n"] == 1


@pytest.fixture
async def hosted_slack(slack: Any, slack_db: str, stubs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The Slack app with the analyst on ChatOpenAI over HTTP to the scripted OpenAI-compatible stand-in."""
    _, _, token = slack
    settings = Settings(
        database=DatabaseSettings(url=slack_db),
        llm=LLMSettings(
            provider="openai", base_url=f"{stubs.base_url}/openai/v1", api_key="sk-test", max_retries=0
        ),
        slack=SlackSettings(
            bot_token=token,
            signing_secret=SECRET,
            api_base=f"{stubs.base_url}/api/",
            allowed_team_ids=["T111"],
            merchant_user_ids=[MERCHANT],
        ),
    )
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        slack_db, open=False, kwargs={"row_factory": dict_row}
    )
    await pool.open()
    runtime = Runtime(settings=settings, pool=pool, embedder=None)  # type: ignore[arg-type]
    analyst = build_analyst(settings, build_chat_model(settings.llm))
    connector = SlackConnector(settings.slack, pool, _RuntimeConversation(runtime), analyst=analyst)
    runtime.connectors["slack"] = connector
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(slack_routes.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hosted") as client:
        yield client
    await connector.stop()
    await close_chat_model(analyst.model)
    await pool.close()


async def test_hosted_analyst_answer_is_posted(
    slack: Any, hosted_slack: httpx.AsyncClient, llm: Any, slack_db: str
) -> None:
    _, stub, token = slack
    llm.reset(
        [
            {"tool_calls": [("sales_breakdown", {"by": "product", "period": "last 30 days", "limit": 3})]},
            {"content": "Trail Boot leads the last 30 days."},
        ]
    )
    body = _event("what sold best this past month?")
    assert (await hosted_slack.post("/slack/events", content=body, headers=_signed(body))).status_code == 200
    [post] = await stub.wait_for(token, "chat.postMessage")
    assert {t["function"]["name"] for t in llm.requests[0]["tools"]} >= {"sales_breakdown", "unsold_products"}
    call = llm.requests[1]["messages"][-2]["tool_calls"][0]["function"]
    assert call["name"] == "sales_breakdown"
    today = datetime.now(UTC).date()
    first = today - timedelta(days=29)
    async with connect(slack_db) as conn:
        cur = await conn.execute(
            "SELECT min(l.title) AS t, sum(l.quantity * l.unit_price_minor)::bigint AS r FROM order_lines l"
            " JOIN orders o ON o.id = l.order_id WHERE o.status IN ('paid', 'fulfilled', 'delivered')"
            " AND o.created_at >= %s GROUP BY l.product_id ORDER BY r DESC, l.product_id LIMIT 3",
            (datetime(first.year, first.month, first.day, tzinfo=UTC),),
        )
        top = await cur.fetchall()
    text = post.fields["text"]
    assert text.startswith("Trail Boot leads the last 30 days.")
    assert f"Period: last 30 days ({first.isoformat()} to {today.isoformat()})." in text
    blocks = str(post.fields["blocks"])
    assert all(row["t"] in blocks and money(int(row["r"])) in blocks for row in top)


def test_the_connector_uses_the_hosted_model_when_configured() -> None:
    hosted = OfflineMerchantModel()  # stands for the shopper's hosted model object
    settings = Settings(
        llm=LLMSettings(provider="openai", base_url="http://model/v1"), store_time_zone="Europe/Berlin"
    )
    analyst = build_analyst(settings, hosted)
    assert analyst.model is hosted
    assert isinstance(analyst.fallback, OfflineMerchantModel)
    assert analyst.zone == "Europe/Berlin"
    offline = build_analyst(Settings(llm=LLMSettings(provider="offline")), hosted)
    assert isinstance(offline.model, OfflineMerchantModel)
    assert offline.model is not hosted
    assert offline.fallback is None
    with pytest.raises(ValueError, match="not an IANA time zone"):
        Settings(store_time_zone="Mars/Olympus")


# --- handoff faults on the Slack side ------------------------------------------------------------------


async def _open_handoff(client: httpx.AsyncClient, stub: Any, token: str) -> tuple[uuid.UUID, Any, str]:
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    runtime.settings.slack.handoff_channel = "CHANDOFF"
    runtime.conversation = FakeConversation()
    conversation_id = uuid.uuid4()
    await runtime.connectors["slack"].on_handoff(conversation_id, "asked for a person")
    opened = [c for c in stub.for_token(token, "chat.postMessage") if c.fields.get("channel") == "CHANDOFF"][
        -1
    ]
    async with connect(runtime.settings.database.url.get_secret_value()) as conn:
        cur = await conn.execute(
            "SELECT thread_ts FROM slack_handoffs WHERE conversation_id = %s", (conversation_id,)
        )
        thread_ts = (await cur.fetchone() or {})["thread_ts"]
    return conversation_id, opened, thread_ts


async def test_closing_removes_the_close_button(slack: Any) -> None:
    client, stub, token = slack
    conversation_id, opened, thread_ts = await _open_handoff(client, stub, token)
    payload = {
        "type": "block_actions",
        "team": {"id": "T111"},
        "user": {"id": MERCHANT},
        "container": {"channel_id": "CHANDOFF", "message_ts": thread_ts},
        "message": {"ts": thread_ts, "blocks": opened.fields["blocks"]},
        "actions": [{"action_id": "close_handoff", "value": str(conversation_id), "type": "button"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    assert (
        await client.post("/slack/events", content=body, headers=_signed(body, content_type=FORM))
    ).status_code == 200
    [update] = await stub.wait_for(token, "chat.update")
    assert (update.fields["channel"], update.fields["ts"]) == ("CHANDOFF", thread_ts)
    types = [block["type"] for block in update.fields["blocks"]]
    assert "actions" not in types
    assert update.fields["blocks"][0] == opened.fields["blocks"][0]  # the summary stays
    assert CLOSED in update.fields["blocks"][-1]["elements"][0]["text"]


async def test_resume_command_also_removes_the_button(slack: Any) -> None:
    client, stub, token = slack
    conversation_id, _, thread_ts = await _open_handoff(client, stub, token)
    before = len(stub.for_token(token, "chat.update"))
    body = _command(f"resume {conversation_id}", "http://x/", channel="CHANDOFF")
    assert (
        await client.post("/slack/events", content=body, headers=_signed(body, content_type=FORM))
    ).status_code == 200
    updates = await stub.wait_for(token, "chat.update", count=before + 1)
    assert updates[-1].fields["ts"] == thread_ts
    assert "actions" not in [block["type"] for block in updates[-1].fields["blocks"]]
    assert str(conversation_id) in updates[-1].fields["blocks"][0]["text"]["text"]


async def test_a_question_in_a_thread_of_the_bots_dm_is_answered(slack: Any) -> None:
    client, stub, token = slack
    event = {
        "type": "message",
        "user": MERCHANT,
        "text": "and revenue today?",
        "ts": "1700000500.000002",
        "thread_ts": "1700000500.000001",
        "channel": "DMERCHANT",
        "channel_type": "im",
    }
    body = json.dumps(
        {"type": "event_callback", "team_id": "T111", "event_id": f"Ev{uuid.uuid4().hex}", "event": event}
    )
    assert (await client.post("/slack/events", content=body, headers=_signed(body))).status_code == 200
    [answer] = await stub.wait_for(token, "chat.postMessage")
    assert (answer.fields["channel"], answer.fields["thread_ts"]) == ("DMERCHANT", "1700000500.000001")
    assert answer.fields["text"].startswith("Revenue today (")
