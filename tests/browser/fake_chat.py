"""A stand-in chat endpoint on another origin that speaks the contract's wire format (docs/contracts.md):
sessions, history (with ids, ``after`` and scripted failures) and a streamed chat whose replies a test
scripts per message or action."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

WIDGET = Path(__file__).resolve().parents[2] / "connectors" / "webchat" / "widget.js"
HOSTILE = (
    "* { font-size: 40px !important; color: red !important } elara-chat, div { display: none !important }"
)
EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> **not bold**'

CARDS = {
    "type": "product_cards",
    "cards": [
        {
            "position": 1,
            "product_id": "p1",
            "title": "Trail <b>Runner</b>",
            "image_url": None,
            "description": EVIL,
            "price_min_minor": 4999,
            "price_max_minor": 6999,
            "currency": "USD",
            "variants": [
                {"sku": "p1-a", "options": {"size": "9"}, "price_minor": 4999, "in_stock": False},
                {"sku": "p1-b", "options": {"size": "10"}, "price_minor": 6999, "in_stock": True},
            ],
        }
    ],
}


def cart_line(sku: str, title: str, options: dict[str, str], quantity: int, unit: int) -> dict[str, Any]:
    return {
        "sku": sku,
        "product_id": sku.split("-")[0],
        "title": title,
        "options": options,
        "quantity": quantity,
        "unit_price_minor": unit,
        "line_total_minor": unit * quantity,
        "currency": "USD",
        "stock": 9,
    }


def cart_part(*lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "cart",
        "cart": {
            "lines": list(lines),
            "item_count": sum(line["quantity"] for line in lines),
            "total_minor": sum(line["line_total_minor"] for line in lines),
            "currency": "USD",
        },
    }


CART = cart_part(cart_line("p1-b", "Trail Runner", {"size": "10"}, 1, 6999))
REPLY_TEXT = (
    "Here you go:\n- **Trail Runner** [site](https://example.com) [bad](javascript:alert(1))\n<b>raw</b>"
)


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@dataclass
class Scripted:
    """The reply to a message or action containing ``match`` (case-insensitive)."""

    match: str
    text: str
    parts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeChat:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int | None = None
    history_failures: int = 0  # the next N history reads answer 503
    history_reads: int = 0  # history requests answered (failed ones included)
    tool: dict[str, str] | None = None  # the next turn's tool event (with a pause, to read its label)
    script: list[Scripted] = field(default_factory=list)
    delta_pause_s: float = 0.01

    def add_history(self, role: str, text: str, parts: list[dict[str, Any]] | None = None) -> None:
        turn_id = len(self.history) + 1
        self.history.append(
            {
                "id": turn_id,
                "role": role,
                "text": text,
                "parts": parts or [],
                "created_at": "2026-12-01T10:00:00Z",
            }
        )

    def reply_to(self, body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        said = f"{body.get('message') or ''} {body.get('action') or ''}".lower()
        for turn in self.script:
            if turn.match.lower() in said:
                return turn.text, turn.parts
        if str(body.get("action") or "").startswith("add:"):
            return "Added to your cart.", [CART]
        return REPLY_TEXT, [CARDS]


def build_fake(state: FakeChat, allowed_origin: str) -> Starlette:
    async def sessions(_: Request) -> Response:
        return JSONResponse({"token": "tok-1"})

    async def history(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer tok-1":
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        state.history_reads += 1
        if state.history_failures > 0:
            state.history_failures -= 1
            return JSONResponse({"error": "ServiceUnavailable", "detail": "down"}, status_code=503)
        after = int(request.query_params.get("after", "0"))
        return JSONResponse([turn for turn in state.history if turn["id"] > after])

    async def chat(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer tok-1":
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        body = await request.json()
        state.requests.append(body)
        if state.fail_next is not None:
            status, state.fail_next = state.fail_next, None
            return JSONResponse(
                {"error": "RateLimited", "detail": "slow down"},
                status_code=status,
                headers={"Retry-After": "2"},
            )
        text, parts = state.reply_to(body)

        async def stream() -> AsyncIterator[str]:
            if state.tool is not None:
                tool, state.tool = state.tool, None
                yield sse("tool", {**tool, "status": "started"})
                await asyncio.sleep(1)
            else:
                yield sse("tool", {"name": "search_products", "label": "Searching…", "status": "started"})
            for word in text.split(" "):
                yield sse("delta", {"text": word + " "})
                await asyncio.sleep(state.delta_pause_s)
            for part in parts:
                yield sse("part", part)
            yield sse("done", {"text": text, "parts": parts, "conversation_id": "c1"})
            state.add_history("user", body["message"])
            state.add_history("assistant", text, parts)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def widget(_: Request) -> Response:
        return Response(WIDGET.read_bytes(), media_type="text/javascript")

    return Starlette(
        routes=[
            Route("/api/v1/sessions", sessions, methods=["POST"]),
            Route("/api/v1/chat/history", history),
            Route("/api/v1/chat", chat, methods=["POST"]),
            Route("/widget.js", widget),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=[allowed_origin],
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept"],
                expose_headers=["Retry-After"],
            )
        ],
    )


def shop_page(widget_url: str, *, head: str = "", body: str = "", attrs: str = "", lang: str = "en") -> str:
    """A store's own page embedding the widget: ``head`` and ``body`` add the page's own markup."""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Shop</title>{head}</head><body><header><h1>My shop</h1></header>{body}"
        f'<script src="{widget_url}/widget.js" data-elara-url="{widget_url}" {attrs}></script></body></html>'
    )
