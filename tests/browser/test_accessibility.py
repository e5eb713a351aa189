"""axe-core (the npm package's bundle, which scripts/setup.sh --dev installs into .cache/npm at a pinned
version, injected from disk) on the store page and on the open widget with product cards and a cart: zero
violations, every rule axe runs by default (WCAG 2 A/AA and best practices), the widget's open shadow root
included."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import PageServer, axe_script, axe_violations
from tests.browser.fake_chat import FakeChat, Scripted, shop_page
from tests.browser.test_widget_layout import BIG_CART, FIVE_CARDS, PAID, PAY_LINK

SETUP = Path(__file__).resolve().parents[2] / "scripts" / "setup.sh"


async def open_widget(page: Any, name: str = "Open chat") -> None:
    await page.get_by_role("button", name=name).click()
    await page.get_by_test_id("elara-panel").wait_for()


async def settle(page: Any) -> None:
    await page.wait_for_function(
        "() => document.querySelector('elara-chat').shadowRoot.querySelector('.log')"
        ".getAttribute('aria-busy') === 'false'"
    )


async def test_axe_is_the_npm_package_at_the_version_setup_pins(desktop: Any) -> None:
    """The injected bundle is npm's axe-core at the version scripts/setup.sh installs into .cache/npm."""
    pinned = re.search(r"^AXE_CORE_VERSION=([0-9][0-9.]*)$", SETUP.read_text(encoding="utf-8"), re.MULTILINE)
    assert pinned, "scripts/setup.sh pins no AXE_CORE_VERSION"
    page = await desktop.new_page()
    await page.set_content('<!doctype html><html lang="en"><title>axe</title><body></body></html>')
    await page.add_script_tag(content=axe_script())
    assert await page.evaluate("() => axe.version") == pinned[1]


async def test_store_page_has_no_axe_violations(desktop: Any, elara: str) -> None:
    page = await desktop.new_page()
    await page.goto(f"{elara}/?order=W1&paid=1")
    await page.get_by_role("button", name="Open chat").wait_for()
    assert await axe_violations(page) == []


async def test_open_widget_with_cards_and_cart_has_no_axe_violations(desktop: Any, elara: str) -> None:
    page = await desktop.new_page()
    await page.goto(f"{elara}/")
    await open_widget(page)
    box = page.get_by_role("textbox", name="Message")
    await box.fill("running shoes")
    await box.press("Enter")
    await page.locator(".card").first.wait_for()
    await settle(page)
    await page.locator(".card button:not([disabled])", has_text="Add to cart").first.click()
    await page.get_by_test_id("elara-cart").wait_for()
    await settle(page)
    assert await page.locator(".card").count() > 0
    assert await axe_violations(page) == []


async def test_every_part_in_german_on_a_phone_has_no_axe_violations(
    phone: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.script = [Scripted("schuhe", "Fünf Schuhe, ab $50.00.", [FIVE_CARDS, BIG_CART, PAY_LINK, PAID])]
    page_server.pages["de"] = shop_page(fake.url, lang="de")
    page = await phone.new_page()
    await page.goto(f"{page_server.url}/de")
    await open_widget(page, "Chat öffnen")
    box = page.get_by_role("textbox", name="Nachricht")
    await box.fill("Schuhe")
    await box.press("Enter")
    await page.get_by_test_id("elara-order").wait_for()
    await settle(page)
    assert await axe_violations(page) == []


async def test_dark_theme_with_cards_and_cart_has_no_axe_violations(
    desktop: Any, page_server: PageServer, fake: FakeChat
) -> None:
    fake.script = [Scripted("shoes", "Five shoes, from $50.00.", [FIVE_CARDS, BIG_CART])]
    page_server.pages["dark"] = shop_page(
        fake.url,
        head='<meta name="color-scheme" content="dark"><style>body{background:#111;color:#eee}</style>',
    )
    page = await desktop.new_page()
    await page.goto(f"{page_server.url}/dark")
    await open_widget(page)
    box = page.get_by_role("textbox", name="Message")
    await box.fill("shoes")
    await box.press("Enter")
    await page.get_by_test_id("elara-cart").wait_for()
    await settle(page)
    assert await axe_violations(page) == []
