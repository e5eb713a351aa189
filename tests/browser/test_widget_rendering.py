"""The widget in real Chromium, embedded on another origin with hostile CSS, against a stand-in chat
endpoint that speaks the contract's wire format (docs/contracts.md). The end-to-end run against the real
service is in test_store_e2e.py.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PageServer
from tests.browser.fake_chat import EVIL, FakeChat, Scripted, cart_part


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

    await page.get_by_role("button", name="Add to cart: Trail <b>Runner</b>").click()
    await page.get_by_test_id("elara-cart").wait_for()
    await page.get_by_test_id("elara-announcer").get_by_text("1 item in cart").wait_for()
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


async def test_an_empty_cart_under_the_same_words_is_said_once(
    context: Any, page_server: PageServer, fake: FakeChat
) -> None:
    """"Your cart is empty." as the reply's text and an empty cart part: the sentence shows once, and the
    earlier cart still loses its buttons; under other words the empty cart box tells the shopper."""
    fake.script = [
        Scripted("clear", "Your cart is empty.", [cart_part()]),
        Scripted("lamp", "Removed the lamp.", [cart_part()]),
    ]
    page = await context.new_page()
    await page.goto(f"{page_server.url}/shop")
    box = await open_widget(page)
    await box.fill("running shoes")
    await box.press("Enter")
    await page.get_by_role("button", name="Add to cart: Trail <b>Runner</b>").click()
    await page.get_by_test_id("elara-cart").wait_for()
    await box.fill("clear my cart")
    await box.press("Enter")
    await page.get_by_test_id("elara-announcer").get_by_text("0 items in cart").wait_for()  # finished
    said = page.locator(".msg.assistant").last
    assert (await said.inner_text()).count("Your cart is empty.") == 1
    assert await said.locator('[data-part="cart"]').count() == 0
    assert "stale" in (await page.get_by_test_id("elara-cart").last.get_attribute("class") or "")
    await box.fill("remove the lamp")
    await box.press("Enter")
    other = page.locator(".msg.assistant").last
    await other.locator('[data-part="cart"]').wait_for()
    assert "Your cart is empty." in await other.inner_text()
