"""The web chat wire: JSON and SSE replies, history, auth, validation and the per-session rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import psycopg
import pytest

from tests.conversation.helpers import sse_events

LiveService = Callable[..., AbstractContextManager[str]]


def session(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/v1/sessions").json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(service: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service, timeout=30) as client:
        yield client


def test_json_turn_returns_text_cards_and_suggestions(client: httpx.Client) -> None:
    auth = session(client)
    reply = client.post("/api/v1/chat", json={"message": "show me headphones"}, headers=auth)
    assert reply.status_code == 200
    body = reply.json()
    kinds = [part["type"] for part in body["parts"]]
    assert kinds == ["product_cards", "quick_replies"]
    cards = body["parts"][0]["cards"]
    assert [card["position"] for card in cards] == list(range(1, len(cards) + 1))
    assert "headphones" in cards[0]["title"].lower()
    assert cards[0]["title"] in body["text"]


def test_sse_streams_tool_activity_parts_and_ends_with_the_whole_reply(client: httpx.Client) -> None:
    auth = session(client)
    headers = {**auth, "Accept": "text/event-stream"}
    response = client.post("/api/v1/chat", json={"message": "show me headphones"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    names = [name for name, _ in events]
    assert names[0] == "tool"
    searching = {"name": "search_products", "label": "Searching the catalog…"}
    assert events[0][1] == {**searching, "status": "started"}  # the label is what the widget shows
    assert ("tool", {**searching, "status": "done"}) in events
    assert names.index("part") < names.index("done")
    assert names[-1] == "done"
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert streamed == done["text"]
    assert done["parts"][0]["type"] == "product_cards"


def test_history_redraws_the_conversation_for_its_session_only(client: httpx.Client) -> None:
    auth, other = session(client), session(client)
    client.post("/api/v1/chat", json={"message": "show me headphones"}, headers=auth)
    client.post("/api/v1/chat", json={"message": "add the first one, black over-ear wired"}, headers=auth)
    turns = client.get("/api/v1/chat/history", headers=auth).json()
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2]["text"] == "add the first one, black over-ear wired"
    assert turns[3]["parts"][0]["type"] == "cart"
    later = client.get("/api/v1/chat/history", params={"after": turns[1]["id"]}, headers=auth).json()
    assert [t["id"] for t in later] == [turns[2]["id"], turns[3]["id"]]
    assert client.get("/api/v1/chat/history", headers=other).json() == []


def test_refuses_missing_token_empty_message_and_unknown_action(client: httpx.Client) -> None:
    assert client.post("/api/v1/chat", json={"message": "hi"}).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/chat", json={"message": "hi"}, headers=forged).status_code == 401
    auth = session(client)
    empty = client.post("/api/v1/chat", json={"message": "  "}, headers=auth)
    assert empty.status_code == 422
    assert empty.json()["error"] == "InvalidInput"
    unknown = client.post("/api/v1/chat", json={"message": "x", "action": "teleport:1"}, headers=auth)
    assert unknown.status_code == 422
    assert "unknown action" in unknown.json()["detail"]
    huge = client.post("/api/v1/chat", json={"message": "a" * 5000}, headers=auth)
    assert huge.status_code == 422


def test_rate_limit_answers_429_with_retry_after(live_service: LiveService) -> None:
    with (
        live_service(chat_rate_per_minute=3) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        auth = session(client)
        if time.time() % 60 > 40:  # the windows are calendar minutes: start the five turns inside one
            time.sleep(61 - time.time() % 60)
        for _ in range(3):
            assert client.post("/api/v1/chat", json={"message": "hello"}, headers=auth).status_code == 200
        limited = client.post("/api/v1/chat", json={"message": "hello"}, headers=auth)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["error"] == "RateLimited"
        streamed = client.post(
            "/api/v1/chat", json={"message": "hello"}, headers={**auth, "Accept": "text/event-stream"}
        )
        assert streamed.status_code == 429
        fresh = session(client)
        assert client.post("/api/v1/chat", json={"message": "hello"}, headers=fresh).status_code == 200


def test_a_session_whose_customer_is_gone_gets_401(db_url: str, client: httpx.Client) -> None:
    """The turn's admission reads the customer (no separate connection for the token's check): a session
    of a deactivated customer is refused before anything is stored."""
    token = client.post("/api/v1/sessions").json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/chat", json={"message": "hello"}, headers=auth).status_code == 200
    with psycopg.connect(db_url, autocommit=True) as conn:
        customer = conn.execute(
            "SELECT customer_id FROM conversations WHERE channel = 'web' ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        assert customer is not None
        conn.execute("UPDATE customers SET active = false WHERE id = %s", customer)
        stored = conn.execute("SELECT count(*) FROM conversation_messages").fetchone()
    for headers in (auth, {**auth, "Accept": "text/event-stream"}):
        refused = client.post("/api/v1/chat", json={"message": "hello again"}, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "no longer exists" in refused.json()["detail"]
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM conversation_messages").fetchone() == stored
