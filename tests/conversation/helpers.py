"""Helpers for the chat tests over HTTP: a shopper session, reply parts, SSE frames, SQL and metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import psycopg
from langchain_openai.chat_models import _client_utils
from psycopg.rows import dict_row

from tests.conftest import METRICS_AUTH

LiveService = Callable[..., AbstractContextManager[str]]
Reply = dict[str, Any]


def sql(db_url: str, query: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
    """Run one statement in its own (committed) transaction; the rows as dicts."""
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        cur = conn.execute(query, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def sql_one(db_url: str, query: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any]:
    rows = sql(db_url, query, params)
    assert len(rows) == 1, (query, rows)
    return rows[0]


def sse_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events = []
    for frame in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def parts(reply: Reply, kind: str) -> list[dict[str, Any]]:
    return [p for p in reply["parts"] if p["type"] == kind]


def part(reply: Reply, kind: str) -> dict[str, Any]:
    found = parts(reply, kind)
    assert found, (kind, reply)
    return found[0]


def kinds(reply: Reply) -> list[str]:
    return [p["type"] for p in reply["parts"]]


@dataclass
class Shopper:
    """One web session (a shopper) talking to the live service through `POST /api/v1/chat`."""

    client: httpx.Client
    db_url: str
    token: str = ""
    replies: list[Reply] = field(default_factory=list)
    conversation_id: str | None = None

    @classmethod
    def open(cls, client: httpx.Client, db_url: str, token: str | None = None) -> Shopper:
        if token is None:
            created = client.post("/api/v1/sessions")
            assert created.status_code == 201, created.text
            token = created.json()["token"]
        return cls(client=client, db_url=db_url, token=token)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, text: str, action: str | None = None, **headers: str) -> httpx.Response:
        return self.client.post(
            "/api/v1/chat", json={"message": text, "action": action}, headers={**self.auth, **headers}
        )

    def say(self, text: str, action: str | None = None) -> Reply:
        response = self.post(text, action)
        assert response.status_code == 200, response.text
        reply: Reply = response.json()
        self.replies.append(reply)
        self.conversation_id = reply["conversation_id"]
        return reply

    def add(self, text: str) -> Reply:
        """Say an add; when the assistant asks which variant (the product has several in stock and the
        message named none), answer "the first one", as a shopper picking the first option offered."""
        reply = self.say(text)
        if not any(p["type"] == "cart" for p in reply["parts"]) and reply["text"].rstrip().endswith("?"):
            reply = self.say("the first one")
        return reply

    def stream(self, text: str, action: str | None = None) -> list[tuple[str, Any]]:
        response = self.post(text, action, Accept="text/event-stream")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        assert events[-1][0] == "done", events
        self.replies.append(events[-1][1])
        self.conversation_id = events[-1][1]["conversation_id"]
        return events

    # --- database state -------------------------------------------------------------------------
    @property
    def customer_id(self) -> UUID:
        assert self.conversation_id is not None, "say something first"
        row = sql_one(
            self.db_url, "SELECT customer_id FROM conversations WHERE id = %s", (self.conversation_id,)
        )
        return UUID(str(row["customer_id"]))

    def cart(self) -> dict[str, int]:
        """The open cart in SQL: {sku: quantity}."""
        rows = sql(
            self.db_url,
            "SELECT l.sku, l.quantity FROM carts c JOIN cart_lines l ON l.cart_id = c.id"
            " WHERE c.customer_id = %s AND c.status = 'open'",
            (self.customer_id,),
        )
        return {r["sku"]: int(r["quantity"]) for r in rows}

    def orders(self) -> list[dict[str, Any]]:
        return sql(
            self.db_url,
            "SELECT number, status, total_minor FROM orders WHERE customer_id = %s ORDER BY created_at",
            (self.customer_id,),
        )

    def order_status(self, number: str) -> str:
        row = sql_one(
            self.db_url,
            "SELECT status FROM orders WHERE number = %s AND customer_id = %s",
            (number, self.customer_id),
        )
        return str(row["status"])

    def state(self) -> dict[str, Any]:
        row = sql_one(self.db_url, "SELECT state FROM conversations WHERE id = %s", (self.conversation_id,))
        return dict(row["state"])

    def messages(self) -> list[dict[str, Any]]:
        return sql(
            self.db_url,
            "SELECT role, text, parts, tool_calls FROM conversation_messages WHERE conversation_id = %s"
            " ORDER BY id",
            (self.conversation_id,),
        )

    def tool_call_names(self) -> list[str]:
        """Every tool call recorded with this conversation's assistant messages, in order."""
        return [call["name"] for m in self.messages() for call in m["tool_calls"]]


def price_of(db_url: str, sku: str) -> int:
    return int(sql_one(db_url, "SELECT price_minor FROM variants WHERE sku = %s", (sku,))["price_minor"])


def stock_of(db_url: str, sku: str) -> int:
    return int(sql_one(db_url, "SELECT stock FROM variants WHERE sku = %s", (sku,))["stock"])


def order_lines(db_url: str, number: str) -> list[dict[str, Any]]:
    return sql(
        db_url,
        "SELECT l.sku, l.quantity, l.unit_price_minor, v.price_minor AS db_price_minor"
        " FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN variants v ON v.sku = l.sku"
        " WHERE o.number = %s ORDER BY l.sku",
        (number,),
    )


def all_prices(db_url: str) -> dict[str, int]:
    return {r["sku"]: int(r["price_minor"]) for r in sql(db_url, "SELECT sku, price_minor FROM variants")}


def in_stock_sku(db_url: str, title: str, *, min_stock: int = 5) -> str:
    """An active variant of the product called `title` with at least `min_stock` units."""
    row = sql(
        db_url,
        "SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id"
        " WHERE p.title = %s AND v.active AND v.stock >= %s ORDER BY v.sku LIMIT 1",
        (title, min_stock),
    )
    assert row, title
    return str(row[0]["sku"])


def pay_in_test_mode(client: httpx.Client, url: str) -> None:
    """Follow the dev provider's payment link: open the TEST MODE page, then submit its pay form."""
    path = urlsplit(url).path  # the settings' public_url is not the live service's port
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert "TEST MODE" in page.text
    form = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert form is not None, page.text
    paid = client.post(form.group(1), follow_redirects=False)
    assert paid.status_code == 303, paid.text


METRIC_LINE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def metric_total(client: httpx.Client, name: str, **labels: str) -> float:
    """Sum of a Prometheus metric's samples (optionally only those with these label values)."""
    text = client.get("/metrics", headers=METRICS_AUTH).text
    total = 0.0
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match["value"])
    return total


# --- the OpenAI stand-in ---------------------------------------------------------------------------
def llm_settings(stubs: Any, **overrides: Any) -> dict[str, Any]:
    """`llm` settings pointing the live service's ChatOpenAI at the scripted stand-in."""
    return {
        "provider": "openai",
        "base_url": f"{stubs.base_url}/openai/v1",
        "api_key": "sk-test",
        "timeout_s": 2,
        "max_retries": 1,
        **overrides,
    }


def forget_cached_http_clients() -> None:
    """langchain-openai shares one pooled httpx client per (base_url, timeout) across the process; its
    connections belong to the event loop of the live service that opened them, so the next live service
    (a new loop) fails with "Event loop is closed" (test_openai_chat.py::
    test_second_service_in_one_process_reaches_the_model). Call before starting a live service."""
    _client_utils._cached_async_httpx_client.cache_clear()
    _client_utils._cached_sync_httpx_client.cache_clear()
