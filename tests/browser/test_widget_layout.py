"""What a store notices at once (issue 17), each as a regression test in Chromium on a 1366×768 desktop and a
390×844 phone, against the stand-in chat endpoint: layout is measured with bounding boxes and line boxes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.browser.conftest import PageServer
from tests.browser.fake_chat import CARDS, FakeChat, Scripted, cart_line, cart_part, shop_page

ROOT = "document.querySelector('elara-chat').shadowRoot"
LONG_TITLE = "Waterproof Trail Running Shoe with Extra Cushioning and Reflective Laces"


def variant(sku: str, size: str, color: str, price: int, in_stock: bool) -> dict[str, Any]:
    return {"sku": sku, "options": {"size": size, "color": color}, "price_minor": price, "in_stock": in_stock}


# size 11 has no colour in stock; 10 comes in white only; 9 in black only
SHOE = {
    "position": 1,
    "product_id": "shoe",
    "title": "Road Shoe",
    "image_url": None,
    "description": "Light and quick.",
    "price_min_minor": 5000,
    "price_max_minor": 6000,
    "currency": "USD",
    "variants": [
        variant("shoe-9-black", "9", "black", 5000, True),
        variant("shoe-9-white", "9", "white", 5000, False),
        variant("shoe-10-black", "10", "black", 5500, False),
        variant("shoe-10-white", "10", "white", 5600, True),
        variant("shoe-11-black", "11", "black", 6000, False),
        variant("shoe-11-white", "11", "white", 6000, False),
    ],
}


def card(n: int) -> dict[str, Any]:
    return {**SHOE, "position": n, "product_id": f"shoe{n}", "title": f"Road Shoe {n}"}


FIVE_CARDS = {"type": "product_cards", "cards": [card(n) for n in range(1, 6)]}
BIG_CART = cart_part(
    cart_line("long-1", LONG_TITLE, {"size": "10", "color": "white"}, 1, 1_234_599),
    cart_line("sock-1", "Socks", {}, 3, 999),
)
ONE_ITEM = cart_part(cart_line("sock-1", "Socks", {}, 1, 999))
CHECK_OUT = {
    "type": "quick_replies",
    "replies": [
        {"label": "Check out", "message": "I'd like to check out", "action": "checkout"},
        {"label": "Keep shopping", "message": "Show me something else", "action": None},
    ],
}
PAY_LINK = {
    "type": "checkout_link",
    "url": "https://pay.example/devcs_1",
    "order_number": "W1",
    "total_minor": 999,
    "currency": "USD",
}
PAID = {
    "type": "order",
    "order": {
        "number": "W1",
        "status": "paid",
        "lines": [],
        "total_minor": 999,
        "currency": "USD",
        "created_at": "2026-12-01T10:00:00Z",
        "tracking": [],
        "payment_url": None,
        "history": [],
    },
}


async def open_widget(page: Any, name: str = "Open chat", box: str = "Message") -> Any:
    await page.get_by_role("button", name=name).click()
    textbox = page.get_by_role("textbox", name=box)
    await textbox.wait_for()
    return textbox


async def idle(page: Any) -> None:
    await page.wait_for_function(f"() => {ROOT}.querySelector('.log').getAttribute('aria-busy') === 'false'")


async def say(page: Any, box: Any, text: str) -> None:
    sent = await page.locator(".msg.user").count()
    await box.fill(text)
    await box.press("Enter")
    await page.locator(".msg.user").nth(sent).wait_for()
    await idle(page)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    """Waits for a condition on the stand-in server's side (what the widget asked it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.05)


async def line_count(locator: Any) -> int:
    """How many line boxes the element's text takes."""
    return int(
        await locator.evaluate(
            "n => { const r = document.createRange(); r.selectNodeContents(n);"
            " return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }"
        )
    )


async def shop(page: Any, page_server: PageServer, fake: FakeChat, **page_args: Any) -> None:
    page_server.pages["plain"] = shop_page(fake.url, **page_args)
    await page.goto(f"{page_server.url}/plain")


async def test_cart_lines_fit_the_380px_panel(
    desktop: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    fake.script = [Scripted("cart", "Here is your cart.", [BIG_CART, CHECK_OUT])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "show my cart")
    cart = page.get_by_test_id("elara-cart")
    panel = await page.get_by_test_id("elara-panel").bounding_box()
    assert panel is not None
    assert panel["width"] == 380
    for remove in await cart.get_by_role("button", name="Remove").all():
        assert await line_count(remove) == 1  # not "R e m o v e" one letter a line
        size = await remove.bounding_box()
        assert size is not None
        assert size["x"] + size["width"] <= panel["x"] + panel["width"]
    for amount in await cart.locator(".line-total").all():
        assert await line_count(amount) == 1  # "$12,345.99" never split
    assert await cart.locator(".line-total").first.inner_text() == "$12,345.99"
    assert await cart.locator(".total span").first.inner_text() == "Total (4 items)"
    assert await cart.locator(".line small").first.inner_text() == "Size 10, Colour white · 1 × $12,345.99"
    # "Check out" once: the suggestion repeating the cart's own button is dropped
    assert await page.get_by_role("button", name="Check out").count() == 1
    await shot(page, "cart-lines")

    fake.script = [Scripted("socks", "Done.", [ONE_ITEM])]
    await say(page, box, "just socks")
    assert await cart.last.locator(".total span").first.inner_text() == "Total (1 item)"


async def test_variant_chips_show_only_combinations_in_stock(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.script = [Scripted("road shoes", "A road shoe.", [{"type": "product_cards", "cards": [SHOE]}])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "road shoes")
    shoe = page.locator(".card").first
    assert await shoe.locator("select").count() == 0
    sizes = shoe.get_by_role("group", name="Size")
    colours = shoe.get_by_role("group", name="Colour")
    assert await sizes.locator(".val").all_inner_texts() == ["9", "10"]  # 11: nothing in stock
    assert await colours.get_by_role("radio").count() == 2
    assert await sizes.get_by_role("radio", name="9").is_checked()
    assert await colours.get_by_role("radio", name="black").is_checked()
    assert await shoe.locator(".price").inner_text() == "$50.00"

    await sizes.get_by_text("10", exact=True).click()  # 10 in black is sold out: white is chosen with it
    assert await colours.get_by_role("radio", name="white").is_checked()
    assert await shoe.locator(".price").inner_text() == "$56.00"
    black = colours.locator("label.val", has_text="black")
    assert "alt" in (await black.get_attribute("class") or "")  # black does not go with size 10

    await shoe.get_by_role("button", name="Add to cart: Road Shoe").click()
    await idle(page)
    assert fake.requests[-1]["action"] == "add:shoe-10-white:1"
    assert fake.requests[-1]["message"] == "Add Road Shoe (Size 10, Colour white) to my cart"

    # the keyboard moves within a group as with any radio buttons
    await sizes.get_by_role("radio", name="10").focus()
    await page.keyboard.press("ArrowLeft")
    assert await sizes.get_by_role("radio", name="9").is_checked()
    assert await shoe.locator(".price").inner_text() == "$50.00"


async def test_cards_show_two_at_a_time_with_arrows(
    desktop: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    fake.script = [Scripted("shoes", "Five shoes.", [FIVE_CARDS])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "shoes")
    strip = page.locator(".cards").last
    area = await strip.bounding_box()
    assert area is not None
    visible = 0
    for item in await strip.locator(".card").all():
        b = await item.bounding_box()
        if b and b["x"] >= area["x"] - 1 and b["x"] + b["width"] <= area["x"] + area["width"] + 1:
            visible += 1
    assert visible == 2
    prev = page.get_by_role("button", name="Previous products")
    nxt = page.get_by_role("button", name="Next products")
    assert await nxt.is_visible()
    assert not await prev.is_visible()  # at the start
    await shot(page, "cards-arrows")
    await nxt.click()
    await page.wait_for_function(f"() => {ROOT}.querySelector('.cards').scrollLeft > 100")
    await prev.wait_for()
    for _ in range(4):
        if not await nxt.is_visible():
            break
        await nxt.click()
        await asyncio.sleep(0.5)
    assert not await nxt.is_visible()  # at the end


async def test_streaming_leaves_the_scroll_to_the_shopper(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    long_text = "\n".join(f"Line {n} of a long answer about shoes." for n in range(60))
    fake.script = [Scripted("long", long_text, [])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "first")
    await say(page, box, "second")
    log = page.get_by_test_id("elara-log")

    fake.delta_pause_s = 0.05
    await box.fill("a long one please")
    await box.press("Enter")
    await page.locator(".msg.assistant .md", has_text="Line 3 ").wait_for()
    await log.evaluate("l => { l.scrollTop = 0; }")  # the shopper scrolls up to reread
    await page.locator(".msg.assistant .md", has_text="Line 20 ").wait_for()
    assert await log.evaluate("l => l.scrollTop") == 0
    await idle(page)
    assert await log.evaluate("l => l.scrollTop") == 0

    # a long reply opens at its start, not at its end
    await log.evaluate("l => { l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event('scroll')); }")
    fake.delta_pause_s = 0.005
    await say(page, box, "long again")
    reply = page.locator(".msg.assistant").last
    top = await reply.bounding_box()
    view = await log.bounding_box()
    assert top is not None
    assert view is not None
    assert view["y"] <= top["y"] <= view["y"] + 40


async def test_history_failure_offers_retry_not_a_fresh_greeting(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.add_history("user", "running shoes")
    fake.add_history("assistant", "Your cart.", [ONE_ITEM])
    fake.history_failures = 2
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    await page.evaluate(f"localStorage.setItem('elara:{fake.url}:session', 'tok-1')")
    await open_widget(page)
    error = page.get_by_test_id("elara-error")
    await error.wait_for()
    assert "Couldn't load your conversation" in await error.inner_text()
    assert await page.get_by_text("Hi! I can help").count() == 0  # no greeting, as if all were gone
    first_failure = await error.element_handle()
    await page.get_by_role("button", name="Close chat").click()
    await open_widget(page)  # reopening tries again: a second read, which fails too, and a new message
    await until(lambda: fake.history_reads == 2, "reopening the panel reads the history again")
    await page.wait_for_function(
        f"old => {{ const e = {ROOT}.querySelector('[data-testid=elara-error]'); return !!e && e !== old; }}",
        arg=first_failure,
    )
    assert fake.history_failures == 0
    assert "Couldn't load your conversation" in await error.inner_text()
    await page.get_by_test_id("elara-retry").click()
    await page.get_by_test_id("elara-cart").wait_for()
    assert await page.locator(".msg.user").all_inner_texts() == ["running shoes"]
    assert await error.count() == 0
    assert fake.history_reads == 3


async def test_history_loaded_after_a_failure_is_drawn_once_in_order(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    """The history fails, the shopper chats anyway, closes and reopens: the history that now loads holds
    those turns too, and replaces what was drawn instead of following it (no turn twice, none moved)."""
    fake.add_history("user", "running shoes")
    fake.add_history("assistant", "Your cart.", [ONE_ITEM])
    fake.history_failures = 1
    fake.script = [Scripted("hello", "Hi there.", [])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    await page.evaluate(f"localStorage.setItem('elara:{fake.url}:session', 'tok-1')")
    box = await open_widget(page)
    await page.get_by_test_id("elara-error").wait_for()
    await say(page, box, "hello")
    assert await page.locator(".msg.user").all_inner_texts() == ["hello"]
    await page.get_by_role("button", name="Close chat").click()
    await open_widget(page)
    await until(lambda: fake.history_reads == 2, "reopening the panel reads the history again")
    await page.get_by_test_id("elara-cart").wait_for()
    await idle(page)
    assert await page.locator(".msg.user").all_inner_texts() == ["running shoes", "hello"]
    assert await page.locator(".msg.assistant .md").all_inner_texts() == ["Your cart.", "Hi there."]
    assert await page.get_by_test_id("elara-error").count() == 0
    assert await page.get_by_test_id("elara-cart").count() == 1

    await say(page, box, "hello again")  # the conversation goes on below it
    assert await page.locator(".msg.user").all_inner_texts() == ["running shoes", "hello", "hello again"]


async def test_history_retried_while_a_reply_streams_waits_for_it(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    """Reopened while a reply still streams: the history is read once that turn has ended (its words are
    saved then) and the conversation is drawn once, in order, the streamed turn included."""
    fake.add_history("user", "running shoes")
    fake.add_history("assistant", "Your cart.", [ONE_ITEM])
    fake.history_failures = 1
    fake.script = [Scripted("slow", "One two three four five six seven eight nine ten.", [])]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    await page.evaluate(f"localStorage.setItem('elara:{fake.url}:session', 'tok-1')")
    box = await open_widget(page)
    await page.get_by_test_id("elara-error").wait_for()
    fake.delta_pause_s = 0.2
    await box.fill("a slow one")
    await box.press("Enter")
    await page.locator(".msg.assistant .md", has_text="two").wait_for()
    await page.get_by_role("button", name="Close chat").click()
    await open_widget(page)  # the reply is still streaming
    assert fake.history_reads == 1
    await page.get_by_test_id("elara-cart").wait_for()
    await idle(page)
    assert fake.history_reads == 2
    assert await page.locator(".msg.user").all_inner_texts() == ["running shoes", "a slow one"]
    assert await page.locator(".msg.assistant .md").all_inner_texts() == [
        "Your cart.",
        "One two three four five six seven eight nine ten.",
    ]
    assert await page.get_by_test_id("elara-error").count() == 0


async def test_stale_controls_leave_the_tab_order(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.script = [
        Scripted("boots", "Boots.", [CARDS]),
        Scripted("add:", "Added.", [ONE_ITEM, CHECK_OUT]),
        Scripted("checkout", "Here is your payment link.", [PAY_LINK]),
        Scripted("status", "Paid, thank you.", [PAID]),
    ]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "boots")
    await say(page, box, "more boots")
    assert await page.get_by_role("button", name="Add to cart").count() == 1  # the older cards retired
    assert await page.locator(".card").count() == 2  # (their text stays)
    await page.get_by_role("button", name="Add to cart").click()
    await idle(page)
    await page.get_by_role("button", name="Check out").click()
    await idle(page)
    assert await page.get_by_role("button", name="Check out").count() == 0  # the cart's button retired
    assert await page.get_by_role("link", name="Pay now").count() == 1
    await say(page, box, "status of my order")
    assert await page.get_by_role("link", name="Pay now").count() == 0  # paid: no "Pay now" any more
    assert await page.get_by_test_id("elara-checkout").locator(".paid-note").inner_text() == "Paid"
    live = await page.evaluate(
        f"""() => Array.from({ROOT}.querySelectorAll('button, a[href], input'))
            .filter(n => !n.disabled && !n.closest('[inert]') && n.getClientRects().length)
            .filter(n => n.closest('.stale')).map(n => n.outerHTML)"""
    )
    assert live == []


async def test_phone_full_screen_is_modal(
    phone: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    page = await phone.new_page()
    await shop(page, page_server, fake, body="<div style='height:3000px'>Long page</div>")
    await page.get_by_role("button", name="Open chat").click()
    panel = page.get_by_test_id("elara-panel")
    await panel.wait_for()
    assert await panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    assert await page.evaluate(f"{ROOT}.activeElement.tagName") != "TEXTAREA"  # no keyboard pops up
    box = page.get_by_role("textbox", name="Message")
    assert await box.evaluate("b => parseFloat(getComputedStyle(b).fontSize)") >= 16  # no iOS zoom
    assert await panel.get_attribute("aria-modal") == "true"
    style = await page.evaluate(f"{ROOT}.querySelector('style').textContent")
    assert "env(safe-area-inset-bottom" in style
    assert "env(safe-area-inset-top" in style

    overflow = (
        "() => [getComputedStyle(document.documentElement).overflow,"
        " getComputedStyle(document.body).overflow]"
    )
    assert await page.evaluate(overflow) == ["hidden", "hidden"]
    await page.mouse.wheel(0, 800)
    await asyncio.sleep(0.3)
    assert await page.evaluate("window.scrollY") == 0  # the page behind stays put

    await box.fill("boots")
    await box.press("Enter")
    await idle(page)
    await shot(page, "phone")
    inside = (
        "() => document.activeElement === document.querySelector('elara-chat')"
        f" && {ROOT}.querySelector('.panel').contains({ROOT}.activeElement)"
    )
    for key in ["Tab"] * 14 + ["Shift+Tab"] * 6:
        await page.keyboard.press(key)
        assert await page.evaluate(inside), key

    await page.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await page.evaluate(overflow) == ["visible", "visible"]


async def test_transformed_body_and_cookie_bar(desktop: Any, page_server: PageServer, fake: FakeChat) -> None:
    # a consent manager adds its bar after load, next to the body (the body's transform would pin it too)
    bar = (
        "<script>setTimeout(() => { const bar = document.createElement('div'); bar.id = 'cookies';"
        " bar.style.cssText = 'position:fixed;left:0;right:0;bottom:0;height:90px;background:#222;color:#fff;"
        "z-index:2147483647'; bar.textContent = 'We use cookies'; document.documentElement.appendChild(bar);"
        " }, 300)</script>"
    )
    page = await desktop.new_page()
    await shop(
        page,
        page_server,
        fake,
        head="<style>body{transform:translateZ(0);filter:saturate(1)} main{height:4000px}</style>",
        body=f"<main>Products</main>{bar}",
    )
    bubble = page.get_by_role("button", name="Open chat")
    await page.wait_for_function(
        f"() => {ROOT}.querySelector('.bubble').getBoundingClientRect().bottom <= 768 - 90"
    )
    first = await bubble.bounding_box()
    assert first is not None
    assert first["y"] + first["height"] <= 768 - 90  # stands on the bar, inside the viewport
    assert first["x"] + first["width"] <= 1366
    await page.evaluate("window.scrollTo(0, 2000)")
    assert await bubble.bounding_box() == first  # fixed to the viewport, not to the page's foot
    on_top = "([x, y]) => document.elementFromPoint(x, y)?.id || document.elementFromPoint(x, y)?.tagName"
    centre = [first["x"] + 30, first["y"] + 30]
    assert await page.evaluate(on_top, centre) == "ELARA-CHAT"
    assert await page.evaluate(on_top, [300, 768 - 45]) == "cookies"  # the bar still works

    await bubble.click()
    panel = await page.get_by_test_id("elara-panel").bounding_box()
    assert panel is not None
    assert panel["y"] >= 0
    assert panel["y"] + panel["height"] <= first["y"]
    assert await page.evaluate(on_top, [panel["x"] + 100, panel["y"] + 100]) == "ELARA-CHAT"

    await page.evaluate("document.getElementById('cookies').remove()")  # accepted: the bubble goes back down
    await page.wait_for_function(
        f"() => {ROOT}.querySelector('.bubble').getBoundingClientRect().bottom === 768 - 20"
    )


async def test_offset_and_z_index_settings(desktop: Any, page_server: PageServer, fake: FakeChat) -> None:
    page = await desktop.new_page()
    await shop(
        page,
        page_server,
        fake,
        attrs='data-elara-offset-bottom="120" data-elara-offset-side="40" data-elara-z-index="500" '
        'data-elara-position="left"',
    )
    bubble = page.get_by_role("button", name="Open chat")
    size = await bubble.bounding_box()
    assert size == {"x": 40, "y": 768 - 120 - 60, "width": 60, "height": 60}
    assert await page.evaluate(f"getComputedStyle({ROOT}.querySelector('.bubble')).zIndex") == "500"


async def test_german_page_speaks_german_with_local_prices(
    desktop: Any, page_server: PageServer, fake: FakeChat, shot: Any
) -> None:
    cart = cart_part(cart_line("shoe-9-black", "Road Shoe", {"size": "9", "color": "black"}, 1, 5000))
    fake.script = [
        Scripted("laufschuhe", "Ab $50.00:", [{"type": "product_cards", "cards": [SHOE]}]),
        Scripted("add:", "Erledigt: $50.00 und 1,500 JPY.", [cart, PAID]),
    ]
    page = await desktop.new_page()
    price = '<p>Preis: <span id="price" data-elara-money="5000" data-elara-currency="USD">$50.00</span></p>'
    await shop(page, page_server, fake, lang="de-DE", body=price)
    box = await open_widget(page, "Chat öffnen", "Nachricht")
    assert await page.get_by_text("Hallo! Ich helfe dir").count() == 1
    assert await page.locator("#price").inner_text() == "50,00\xa0$"  # the page's own price, the same way
    await say(page, box, "Laufschuhe")
    shoe = page.locator(".card").first
    assert await shoe.locator(".price").inner_text() == "50,00\xa0$"
    assert await page.locator(".msg.assistant .md").last.inner_text() == "Ab 50,00\xa0$:"
    assert await shoe.get_by_role("group", name="Größe").locator(".val").all_inner_texts() == ["9", "10"]
    assert await shoe.get_by_role("group", name="Farbe").count() == 1
    await shoe.get_by_role("button", name="In den Warenkorb: Road Shoe").click()
    await idle(page)
    assert fake.requests[-1]["message"] == "Lege Road Shoe (Größe 9, Farbe black) in meinen Warenkorb"
    reply = page.locator(".msg.assistant .md").last
    assert await reply.inner_text() == "Erledigt: 50,00\xa0$ und 1.500\xa0¥."  # the reply's amounts too
    total = page.get_by_test_id("elara-cart").locator(".total span")
    assert await total.all_inner_texts() == ["Summe (1 Artikel)", "50,00\xa0$"]
    assert await page.get_by_role("button", name="Entfernen").count() == 1
    order = page.get_by_test_id("elara-order")
    assert await order.locator(".placed").inner_text() == "Bestellt am 01.12.2026"
    assert await order.locator(".order-status").inner_text() == "Status: Bezahlt — bestätigt"
    await shot(page, "german")


OPEN_LABEL = {"en": "Open chat", "de": "Chat öffnen", "fr": "Ouvrir le chat", "es": "Abrir chat"}


async def test_every_button_the_widget_makes_sends_an_action_in_every_language(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    """The widget's own buttons carry a language-independent action: the server (the offline model reads
    English only) never has to understand the label's words. Both greeting chips, then a card's "More like
    this" and "Add to cart", a cart line's "Remove" and "Check out", in each of the four catalogues."""
    fake.script = [Scripted("", "Here.", [FIVE_CARDS, BIG_CART])]
    live_cards = "[data-part=product_cards]:not(.stale) .card"
    live_cart = "[data-part=cart]:not(.stale)"
    for lang, open_label in OPEN_LABEL.items():
        for chip in (1, 0):  # view the cart; then best sellers, and the buttons of its cards and cart
            fake.requests.clear()
            page = await desktop.new_page()
            await shop(page, page_server, fake, lang=lang)
            await page.get_by_role("button", name=open_label).click()
            chips = page.locator(".quick .chip")
            assert await chips.count() == 2, lang
            label = await chips.nth(chip).inner_text()
            await chips.nth(chip).click()
            await idle(page)
            if chip == 0:
                await page.locator(live_cards).first.locator("[data-action^='more_like:']").click()
                await idle(page)
                await page.locator(live_cards).first.locator("[data-action=add]").click()
                await idle(page)
                await page.locator(live_cart).locator("[data-action^='remove:']").first.click()
                await idle(page)
                await page.locator(live_cart).locator("[data-action=checkout]").click()
                await idle(page)
            sent = [str(r["action"] or "").split(":")[0] for r in fake.requests]
            expected = ["view_cart"] if chip == 1 else ["popular", "more_like", "add", "remove", "checkout"]
            assert sent == expected, (lang, label, fake.requests)
            shown = await page.locator(".msg.user").all_inner_texts()
            assert shown == [r["message"] for r in fake.requests], lang  # the shopper's own language
            await page.evaluate("localStorage.clear()")
            await page.close()


async def test_french_locale_attribute_wins_over_the_page_lang(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    page = await desktop.new_page()
    await shop(page, page_server, fake, attrs='data-elara-locale="fr"')
    await open_widget(page, "Ouvrir le chat", "Message")
    await page.get_by_role("button", name="Voir mon panier").wait_for()
    assert await page.get_by_role("button", name="Envoyer").count() == 1


async def test_unread_badge_counts_replies_while_closed(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.add_history(
        "assistant", "We'll get someone.", [{"type": "handoff", "status": "active", "detail": ""}]
    )
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    await page.evaluate(f"localStorage.setItem('elara:{fake.url}:session', 'tok-1')")
    box = await open_widget(page)
    fake.delta_pause_s = 0.1
    await box.fill("where is my parcel")
    await box.press("Enter")
    await page.get_by_role("button", name="Close chat").click()
    badge = page.get_by_test_id("elara-badge")
    await badge.wait_for()
    assert await badge.inner_text() == "1"
    assert await page.get_by_role("button", name="Open chat: Shopping assistant (1 new reply)").count() == 1

    fake.add_history("human_agent", "Hi, this is Sam from the store.")  # staff answer in Slack
    await page.wait_for_function(f"() => {ROOT}.querySelector('.badge').textContent === '2'", timeout=10_000)
    await page.reload()
    await badge.wait_for()
    assert await badge.inner_text() == "2"  # the badge survives a reload
    await open_widget(page)
    assert await badge.is_hidden()
    await page.get_by_text("Hi, this is Sam from the store.").wait_for()


async def test_new_replies_are_announced_once_finished(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    log = page.get_by_test_id("elara-log")
    assert await log.get_attribute("aria-live") == "off"  # streamed tokens are not read one by one
    await say(page, box, "boots")
    announcer = page.get_by_test_id("elara-announcer")
    await page.wait_for_function(f"() => {ROOT}.querySelector('[role=status]').textContent.length > 0")
    text = await announcer.inner_text()
    assert text.startswith("Assistant: Here you go:")
    assert text.endswith("1 product")


async def test_unknown_part_kinds_render_their_text(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    parts = [
        {"type": "note", "text": "I relaxed the price limit: nothing was under $20."},
        {"type": "choices", "choices": [{"label": "Blue", "message": "the blue one"}, "Red"]},
        {"type": "mystery", "payload": {"x": 1}},
    ]
    fake.script = [Scripted("cheap", "Here are the closest.", parts)]
    page = await desktop.new_page()
    await shop(page, page_server, fake)
    box = await open_widget(page)
    await say(page, box, "cheap socks")
    assert (
        await page.get_by_test_id("elara-note").inner_text()
        == "I relaxed the price limit: nothing was under $20.00."
    )
    await page.get_by_role("button", name="Blue").click()
    await idle(page)
    assert fake.requests[-1]["message"] == "the blue one"
    assert await page.get_by_test_id("elara-error").count() == 0


async def test_dark_page_and_light_accent(desktop: Any, page_server: PageServer, fake: FakeChat) -> None:
    page = await desktop.new_page()
    await shop(
        page,
        page_server,
        fake,
        head='<meta name="color-scheme" content="dark"><style>body{background:#000;color:#eee}</style>',
        attrs='data-elara-accent="#fde047"',
    )
    await open_widget(page)
    surface = await page.evaluate(f"getComputedStyle({ROOT}.querySelector('.form')).backgroundColor")
    assert surface == "rgb(31, 41, 55)"
    ink = await page.evaluate(f"getComputedStyle({ROOT}.querySelector('.head')).color")
    assert ink == "rgb(17, 24, 39)"  # dark text on the yellow accent, which white would not contrast with
