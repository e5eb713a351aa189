"""The widget in real Chromium, embedded on another origin with hostile CSS, against a stand-in chat
endpoint that speaks the contract's wire format (docs/contracts.md). The end-to-end run against the real
service is in test_store_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.browser.conftest import PageServer
from tests.helpers import serve_in_thread

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
CART = {
    "type": "cart",
    "cart": {
        "lines": [
            {
                "sku": "p1-b",
                "product_id": "p1",
                "title": "Trail Runner",
                "options": {"size": "10"},
                "quantity": 1,
                "unit_price_minor": 6999,
                "line_total_minor": 6999,
                "currency": "USD",
                "stock": 3,
            }
        ],
        "item_count": 1,
        "total_minor": 6999,
        "currency": "USD",
    },
}
REPLY_TEXT = (
    "Here you go:\n- **Trail Runner** [site](https://example.com) [bad](javascript:alert(1))\n<b>raw</b>"
)


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@dataclass
class FakeChat:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int | None = None
    tool: dict[str, str] | None = None  # the next turn's tool event (with a pause, to read its label)


def build_fake(state: FakeChat, allowed_origin: str) -> Starlette:
    async def sessions(_: Request) -> Response:
        return JSONResponse({"token": "tok-1"})

    async def history(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer tok-1":
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        return JSONResponse(state.history)

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
        adding = str(body.get("action") or "").startswith("add:")
        parts = [CART] if adding else [CARDS]
        text = "Added to your cart." if adding else REPLY_TEXT

        async def stream() -> AsyncIterator[str]:
            if state.tool is not None:
                tool, state.tool = state.tool, None
                yield sse("tool", {**tool, "status": "started"})
                await asyncio.sleep(1)
            else:
                yield sse("tool", {"name": "search_products", "status": "started"})
            for word in text.split(" "):
                yield sse("delta", {"text": word + " "})
                await asyncio.sleep(0.01)
            for part in parts:
                yield sse("part", part)
            yield sse("done", {"text": text, "parts": parts, "conversation_id": "c1"})
            state.history += [
                {"role": "user", "text": body["message"], "parts": []},
                {"role": "assistant", "text": text, "parts": parts},
            ]

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


@pytest.fixture
def fake(page_server: PageServer) -> Iterator[FakeChat]:
    state = FakeChat()
    with serve_in_thread(build_fake(state, page_server.url)) as url:
        state.url = url
        page_server.pages["shop"] = (
            f"<!doctype html><html><head><style>{HOSTILE}</style></head><body><h1>My shop</h1>"
            f'<script src="{url}/widget.js" data-elara-url="{url}"></script></body></html>'
        )
        yield state


async def open_widget(page: Any) -> Any:
    await page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    await box.wait_for()
    return box


async def test_cards_stream_cart_badge_and_history_on_other_origin(
    context: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    page = await context.new_page()
    await page.goto(f"{page_server.url}/shop")
    box = await open_widget(page)
    assert await page.evaluate("document.activeElement.tagName") == "ELARA-CHAT"

    await box.fill("running shoes")
    await box.press("Enter")
    card = page.locator(".card").first
    await card.wait_for()
    await page.get_by_text("Trail Runner", exact=False).first.wait_for()
    assert "<b>Runner</b>" in await card.locator("h3").inner_text()
    assert EVIL in await card.locator(".desc").inner_text()
    assert await page.evaluate("window.__pwned") is None
    links = page.locator(".md a")
    assert await links.count() == 1
    assert await links.first.get_attribute("href") == "https://example.com/"
    assert "<b>raw</b>" in await page.locator(".msg.assistant .md").last.inner_text()
    await shot(page, "fake-cards")

    await page.get_by_role("button", name="Add Trail <b>Runner</b> to cart").click()
    await page.locator(".badge").wait_for()
    assert await page.locator(".badge").inner_text() == "1"
    assert fake.requests[-1]["action"] == "add:p1-b:1"

    token = await page.evaluate(f"localStorage.getItem('elara:{fake.url}:session')")
    assert token == "tok-1"
    other = await context.new_page()
    await other.goto(f"{page_server.origin_alias()}/shop")
    assert await other.evaluate(f"localStorage.getItem('elara:{fake.url}:session')") is None

    await page.reload()
    await open_widget(page)
    await page.locator(".card").first.wait_for()
    assert await page.locator(".msg.user").count() == 2


async def test_hostile_css_keyboard_and_phone_width(
    context: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    page = await context.new_page()
    await page.set_viewport_size({"width": 375, "height": 700})
    await page.goto(f"{page_server.url}/shop")
    bubble = page.get_by_role("button", name="Open chat")
    await bubble.focus()
    await page.keyboard.press("Enter")
    panel = page.get_by_test_id("elara-panel")
    await panel.wait_for()
    size = await panel.bounding_box()
    assert size is not None
    assert size["x"] >= 0
    assert size["width"] <= 375
    font = await panel.evaluate("p => getComputedStyle(p).fontSize")
    assert font == "14px"
    await page.keyboard.type("boots")
    await page.keyboard.press("Enter")
    await page.locator(".card").first.wait_for()
    await shot(page, "fake-phone")
    await page.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await bubble.evaluate("b => b.getRootNode().activeElement === b")


async def test_rate_limit_and_network_error_offer_retry(
    context: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    page = await context.new_page()
    await page.goto(f"{page_server.url}/shop")
    box = await open_widget(page)

    fake.fail_next = 429
    await box.fill("hello")
    await box.press("Enter")
    error = page.get_by_test_id("elara-error")
    await error.wait_for()
    assert "wait 2 s" in await error.inner_text()
    retry = page.get_by_test_id("elara-retry")
    assert await retry.is_disabled()
    await shot(page, "fake-429")
    await page.wait_for_function(
        "() => !document.querySelector('elara-chat').shadowRoot"
        ".querySelector('[data-testid=elara-retry]').disabled"
    )
    await retry.click()
    await page.locator(".card").first.wait_for()
    assert await error.count() == 0

    await page.route("**/api/v1/chat", lambda route: route.abort())
    await box.fill("again")
    await box.press("Enter")
    await error.wait_for()
    assert "reach" in await error.inner_text()
    await page.unroute("**/api/v1/chat")
    await page.get_by_test_id("elara-retry").click()
    await page.locator(".card").nth(1).wait_for()

    fake.fail_next = 503
    await box.fill("third")
    await box.press("Enter")
    await error.wait_for()
    assert "our side" in await error.inner_text()
    assert await box.is_enabled()


async def test_a_running_tool_shows_the_label_the_server_sends(
    context: Any, page_server: PageServer, fake: FakeChat
) -> None:
    """The tool event names what the tool does: the widget keeps no map of tool names (it had one, which
    showed "Working on it…" for most tools and named two that do not exist)."""
    page = await context.new_page()
    await page.goto(f"{page_server.url}/shop")
    box = await open_widget(page)
    fake.tool = {"name": "store_policy", "label": "Checking our policies…"}
    await box.fill("can I return shoes?")
    await box.press("Enter")
    status = page.locator(".msg.assistant .status").last
    await status.get_by_text("Checking our policies…").wait_for()
    await page.locator(".card").first.wait_for()
    assert await status.is_hidden()
