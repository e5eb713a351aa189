"""End to end in real Chromium against the real service: the demo store page, the widget, the chat API,
the cart, the TEST MODE payment page and the return to the store.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from pathlib import Path
from typing import Any

import brotli
import httpx

from elara_bot.db import connect
from tests.browser.conftest import PageServer
from tests.browser.fake_chat import shop_page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "img"
DOCS_IMG = DOCS / "widget.png"
DOCS_PHONE_IMG = DOCS / "widget-phone.png"
PAY = re.compile(r"pay", re.IGNORECASE)


async def open_widget(page: Any) -> Any:
    await page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    await box.wait_for()
    return box


async def idle(page: Any) -> None:
    await page.wait_for_function(
        "() => document.querySelector('elara-chat').shadowRoot.querySelector('.log')"
        ".getAttribute('aria-busy') === 'false'"
    )


async def say(page: Any, box: Any, text: str) -> None:
    before = await page.locator(".msg.assistant").count()
    await box.fill(text)
    await box.press("Enter")
    await page.locator(".msg.assistant").nth(before).wait_for()
    await idle(page)


async def test_widget_js_is_served_with_cache_headers(elara: str) -> None:
    async with httpx.AsyncClient(base_url=elara) as client:
        first = await client.get("/widget.js")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/javascript")
        assert "max-age=86400" in first.headers["cache-control"]
        again = await client.get("/widget.js", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        async with client.stream("GET", "/widget.js", headers={"Accept-Encoding": "gzip"}) as packed:
            assert packed.headers["content-encoding"] == "gzip"
            assert "Accept-Encoding" in packed.headers["vary"]
            wire = b"".join([chunk async for chunk in packed.aiter_raw()])
        assert len(wire) < 24_000 < len(plain.content)  # sent gzipped: about a third of the script


async def test_widget_and_store_page_are_sent_brotli_gzip_or_plain(elara: str) -> None:
    """Brotli for clients that accept it, gzip for the others, the plain bytes without Accept-Encoding: each
    decodes to the same script or page. Server-sent events stay uncompressed whatever the client accepts."""
    async with httpx.AsyncClient(base_url=elara) as client:
        for path in ("/widget.js", "/"):
            plain = await client.get(path, headers={"Accept-Encoding": "identity"})
            assert plain.status_code == 200
            assert "content-encoding" not in plain.headers
            for accepted, sent, decode in (
                ("br", "br", brotli.decompress),
                ("gzip, deflate, br, zstd", "br", brotli.decompress),  # what Chromium sends
                ("gzip", "gzip", gzip.decompress),
                ("gzip, deflate", "gzip", gzip.decompress),
            ):
                async with client.stream("GET", path, headers={"Accept-Encoding": accepted}) as packed:
                    assert packed.status_code == 200
                    assert packed.headers.get("content-encoding") == sent, (path, accepted)
                    assert "Accept-Encoding" in packed.headers["vary"]
                    wire = b"".join([chunk async for chunk in packed.aiter_raw()])
                assert decode(wire) == plain.content, (path, accepted)
                assert len(wire) < len(plain.content) / 2, (path, accepted)
        token = (await client.post("/api/v1/sessions", json={})).json()["token"]
        async with client.stream(
            "POST",
            "/api/v1/chat",
            json={"message": "running shoes"},
            headers={
                "Accept": "text/event-stream",
                "Accept-Encoding": "gzip, deflate, br, zstd",
                "Authorization": f"Bearer {token}",
            },
        ) as chat:
            assert chat.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in chat.headers  # frames go out as they are made
            frames = [chunk async for chunk in chat.aiter_raw()]
        assert frames[-1].startswith(b"event: done") or b"event: done" in frames[-1]
        assert len(frames) > 1  # several writes, not one buffered body


async def test_store_page_is_compressed_and_has_an_icon(elara: str) -> None:
    async with httpx.AsyncClient(base_url=elara) as client:
        async with client.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as page:
            assert page.headers["content-encoding"] == "gzip"
            html = (await page.aread()).decode()
        assert '<link rel="icon" href="/favicon.svg"' in html
        for path in ("/favicon.svg", "/favicon.ico"):
            icon = await client.get(path)
            assert icon.status_code == 200
            assert icon.headers["content-type"] == "image/svg+xml"
            assert icon.content.startswith(b"<svg")
        token = (await client.post("/api/v1/sessions", json={})).json()["token"]
        chat = await client.post(
            "/api/v1/chat",
            json={"message": "running shoes"},
            headers={"Accept": "text/event-stream", "Authorization": f"Bearer {token}"},
        )
        assert chat.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in chat.headers  # server-sent events are never buffered to compress


async def test_store_page_lists_the_catalog_with_the_widget(context: Any, elara: str, shot: Any) -> None:
    page = await context.new_page()
    await page.goto(f"{elara}/?order=W1&paid=1")
    assert await page.locator("li.product").count() == 24
    assert "W1" in await page.get_by_test_id("paid-banner").inner_text()
    await page.get_by_role("button", name="Open chat").wait_for()
    await shot(page, "store")


async def test_shop_chat_add_pay_and_come_back(desktop: Any, elara: str, shot: Any) -> None:
    page = await desktop.new_page()
    await page.goto(f"{elara}/")
    assert await page.locator("li.product").count() > 0
    box = await open_widget(page)
    await say(page, box, "running shoes")
    await page.locator(".card").first.wait_for()
    await shot(page, "cards")

    add = page.locator(".card button:not([disabled])", has_text="Add to cart").first
    await add.click()
    await page.get_by_test_id("elara-cart").wait_for()
    assert (
        await page.get_by_test_id("elara-cart").locator(".total span").first.inner_text() == "Total (1 item)"
    )
    await shot(page, "cart")
    readme_shot = await shot(page, "readme")
    if os.environ.get("ELARA_UPDATE_DOCS_IMG") or not DOCS_IMG.exists():  # the README's picture
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(readme_shot, DOCS_IMG)

    await say(page, box, "check out")
    pay = page.get_by_test_id("elara-pay")
    await pay.wait_for()
    await pay.click()
    await page.wait_for_url(re.compile(r"/pay/"))
    assert (
        await page.locator("meta[name=viewport]").get_attribute("content")
        == "width=device-width, initial-scale=1"
    )
    await shot(page, "payment-page")
    await page.get_by_role("button", name=PAY).first.click()
    await page.wait_for_url(re.compile(r"paid=1"))
    await page.get_by_test_id("paid-banner").wait_for()
    order = page.locator("[data-testid=elara-order][data-status=paid]")
    await order.wait_for()
    await shot(page, "paid")

    assert await page.get_by_role("link", name="Pay now").count() == 0  # the paid order offers no "Pay now"

    await page.reload()
    await open_widget(page)
    await page.locator(".card").first.wait_for()
    assert await page.locator(".msg.user").count() >= 3
    assert await page.get_by_role("link", name="Pay now").count() == 0


async def test_german_greeting_chips_work_with_the_offline_model(
    desktop: Any, elara: str, page_server: PageServer
) -> None:
    """A German store page, the real service with its offline model (which reads English only): the greeting's
    chips send their action, so "Bestseller zeigen" shows products and "Warenkorb ansehen" the cart, while
    the shopper sees their own language in the chat."""
    page_server.pages["de"] = shop_page(elara, lang="de")
    page = await desktop.new_page()
    await page.goto(f"{page_server.url}/de")
    await page.get_by_role("button", name="Chat öffnen").click()
    await page.get_by_role("button", name="Bestseller zeigen").click()
    await idle(page)
    reply = await page.locator(".msg.assistant .md").last.inner_text()
    assert await page.locator(".card").count() >= 3, reply
    assert await page.locator(".msg.user").all_inner_texts() == ["Was sind eure beliebtesten Produkte?"]

    await page.evaluate("localStorage.clear()")  # a new shopper: the greeting again
    await page.reload()
    await page.get_by_role("button", name="Chat öffnen").click()
    await page.get_by_role("button", name="Warenkorb ansehen").click()
    await idle(page)
    assert await page.locator(".msg.assistant .md").last.inner_text() == "Your cart is empty."


async def test_store_prices_read_as_the_widget_writes_them(context: Any, elara: str) -> None:
    page = await context.new_page()
    await page.goto(f"{elara}/")
    await page.get_by_role("button", name="Open chat").wait_for()
    prices = page.locator("li.product [data-elara-money]")
    assert await prices.count() >= 24
    for price in (await prices.all())[:6]:
        minor = int(await price.get_attribute("data-elara-money") or "")
        currency = await price.get_attribute("data-elara-currency")
        written = await page.evaluate("([m, c]) => window.Elara.formatMoney(m, c)", [minor, currency])
        assert await price.inner_text() == written


async def test_phone_shopper_gets_a_full_screen_chat(phone: Any, elara: str, shot: Any) -> None:
    page = await phone.new_page()
    await page.goto(f"{elara}/")
    box = await open_widget(page)
    assert await page.get_by_test_id("elara-panel").bounding_box() == {
        "x": 0,
        "y": 0,
        "width": 390,
        "height": 844,
    }
    await say(page, box, "running shoes")
    await page.locator(".card").first.wait_for()
    await page.locator(".card button:not([disabled])", has_text="Add to cart").first.click()
    await page.get_by_test_id("elara-cart").wait_for()
    await page.wait_for_function(
        "() => document.querySelector('elara-chat').shadowRoot.querySelector('.log')"
        ".getAttribute('aria-busy') === 'false'"
    )
    phone_shot = await shot(page, "readme-phone")
    if os.environ.get("ELARA_UPDATE_DOCS_IMG") or not DOCS_PHONE_IMG.exists():
        DOCS_PHONE_IMG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(phone_shot, DOCS_PHONE_IMG)

    await say(page, box, "check out")  # the TEST MODE page fits the phone too
    await page.get_by_test_id("elara-pay").click()
    await page.wait_for_url(re.compile(r"/pay/"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    button = await page.get_by_role("button", name=PAY).bounding_box()
    assert button is not None
    assert button["x"] >= 0
    assert button["x"] + button["width"] <= 390


async def test_script_in_catalog_description_is_text(context: Any, elara: str, db_url: str) -> None:
    evil = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    async with connect(db_url) as conn:
        cur = await conn.execute(
            "UPDATE products SET description = description || %s WHERE id = "
            "(SELECT id FROM products ORDER BY id LIMIT 1) RETURNING title",
            (" " + evil,),
        )
        row = await cur.fetchone()
        await conn.commit()
    assert row is not None
    page = await context.new_page()
    await page.goto(f"{elara}/")
    assert await page.evaluate("window.__pwned") is None
    box = await open_widget(page)
    await say(page, box, str(row["title"]))
    card = page.locator(".card", has_text=str(row["title"])).first
    await card.wait_for()
    assert "<script>" in await card.locator(".desc").inner_text()
    assert await page.evaluate("window.__pwned") is None


async def test_widget_on_another_origin(context: Any, elara: str, page_server: PageServer) -> None:
    page_server.pages["shop"] = (
        "<!doctype html><html><head><style>div, button, form, textarea"
        " { display: none !important; font: 40px serif !important }</style></head><body>"
        f'<script src="{elara}/widget.js" data-elara-url="{elara}"></script></body></html>'
    )
    page = await context.new_page()
    await page.goto(f"{page_server.url}/shop")
    box = await open_widget(page)
    await say(page, box, "boots")
    assert await page.locator("[data-testid=elara-error]").count() == 0
    stranger = await context.new_page()
    await stranger.goto(f"{page_server.origin_alias()}/shop")
    assert await stranger.evaluate(f"localStorage.getItem('elara:{elara}:session')") is None
    box = await open_widget(stranger)
    await box.fill("boots")
    await box.press("Enter")
    await stranger.get_by_test_id("elara-error").wait_for()
