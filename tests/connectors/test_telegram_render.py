"""Rendering a platform-neutral reply as Telegram messages: escaping, limits, keyboards, photos."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.telegram.render import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Outgoing,
    esc,
    fits_callback,
    model_text,
    render_reply,
    split_plain,
)
from elara_bot.contracts import OutboundReply

PUBLIC = "https://shop.example.com"
SPECIAL = set("_*[]()~`>#+-=|{}.!\\")
HOSTILE = "*Bold* _it_ [click](http://evil.example) `rm -rf` ~x~ > #1 + 2 = {3} | 4.5! \\ (x)"


def unescape(text: str) -> tuple[str, list[str]]:
    """MarkdownV2 text back to plain text, and the special characters left unescaped (markup)."""
    plain: list[str] = []
    markup: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            plain.append(next(chars))
        elif char in SPECIAL:
            markup.append(char)
        else:
            plain.append(char)
    return "".join(plain), markup


def card(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "position": 1,
        "product_id": "p-1",
        "title": "Trail Runner",
        "image_url": "/static/products/p-1.svg",
        "description": "A light shoe.",
        "price_min_minor": 8999,
        "price_max_minor": 10999,
        "currency": "USD",
        "variants": [
            {
                "sku": "TR-10-RED",
                "options": {"size": "10", "color": "red"},
                "price_minor": 8999,
                "in_stock": True,
            },
            {
                "sku": "TR-11-RED",
                "options": {"size": "11", "color": "red"},
                "price_minor": 10999,
                "in_stock": True,
            },
            {
                "sku": "TR-12-RED",
                "options": {"size": "12", "color": "red"},
                "price_minor": 10999,
                "in_stock": False,
            },
        ],
    }
    return {**values, **overrides}


def reply(text: str = "", *parts: dict[str, Any]) -> OutboundReply:
    """A reply from its wire form (docs/contracts.md), as the conversation service hands it over."""
    return OutboundReply.model_validate({"text": text, "parts": list(parts)})


def buttons(message: Outgoing) -> list[dict[str, Any]]:
    assert message.keyboard is not None
    return [b.to_dict() for row in message.keyboard.inline_keyboard for b in row]


class TestEscaping:
    def test_hostile_model_text_is_plain_text(self) -> None:
        [message] = render_reply(reply(HOSTILE), PUBLIC)
        plain, markup = unescape(message.text)
        assert plain == HOSTILE
        assert markup == []

    def test_hostile_catalog_card_keeps_only_our_markup(self) -> None:
        hostile = card(title=HOSTILE, description=HOSTILE, variants=[])
        [message] = render_reply(reply("", {"type": "product_cards", "cards": [hostile]}), PUBLIC)
        plain, markup = unescape(message.text)
        assert f"1. {HOSTILE}" in plain
        assert plain.count(HOSTILE) == 2
        assert set(markup) <= {"*", "_"}
        assert markup.count("*") == 2  # the bold title
        assert markup.count("_") == 2  # "Out of stock" in italics

    def test_cart_and_order_text_escaped(self) -> None:
        line = {
            "sku": "S-1",
            "title": "Mug (v2.0) *new*",
            "options": {"size": "1.5l"},
            "quantity": 2,
            "unit_price_minor": 1250,
            "line_total_minor": 2500,
            "currency": "USD",
            "stock": 3,
            "product_id": "p",
        }
        cart = {"lines": [line], "item_count": 2, "total_minor": 2500, "currency": "USD"}
        [message] = render_reply(reply("", {"type": "cart", "cart": cart}), PUBLIC)
        plain, markup = unescape(message.text)
        assert "• 2 × Mug (v2.0) *new* (size: 1.5l) — $25.00" in plain
        assert "Total: $25.00" in plain
        assert set(markup) == {"*"}


class TestSplitting:
    def test_long_reply_split_under_the_limit(self) -> None:
        paragraph = "Our return policy (v2.1): items may be returned within 30 days! " * 40
        text = "\n\n".join([paragraph] * 5)
        messages = render_reply(reply(text), PUBLIC)
        assert len(messages) > 1
        assert all(len(m.text) <= TEXT_LIMIT for m in messages)
        assert all(not m.text.endswith("\\") or m.text.endswith("\\\\") for m in messages)
        joined = " ".join(unescape(m.text)[0] for m in messages)
        assert joined.split() == text.split()

    @given(
        st.text(alphabet=st.sampled_from(list("ab .!*_\\\n")), min_size=0, max_size=600),
        st.integers(min_value=8, max_value=80),
    )
    def test_split_property(self, text: str, limit: int) -> None:
        pieces = split_plain(text, limit)
        assert all(0 < len(esc(p)) <= limit for p in pieces)
        assert "".join("".join(pieces).split()) == "".join(text.split())


class TestCards:
    def test_svg_card_is_a_text_message_with_buttons(self) -> None:
        [message] = render_reply(reply("", {"type": "product_cards", "cards": [card()]}), PUBLIC)
        assert message.photo is None
        assert [b["callback_data"] for b in buttons(message)] == [
            "add:TR-10-RED:1",
            "add:TR-11-RED:1",
            "more_like:p-1",
        ]
        labels = [b["text"] for b in buttons(message)]
        assert labels[0] == "Add 10 / red · $89.99"
        plain, _ = unescape(message.text)
        assert "$89.99 – $109.99" in plain

    def test_raster_card_is_a_photo_with_absolute_url_and_short_caption(self) -> None:
        long = card(image_url="/static/products/p-1.png", description="x " * 3000)
        [message] = render_reply(reply("", {"type": "product_cards", "cards": [long]}), PUBLIC)
        assert message.photo == "https://shop.example.com/static/products/p-1.png"
        assert len(message.text) <= CAPTION_LIMIT

    def test_callback_data_never_exceeds_64_bytes(self) -> None:
        long_sku = "S" * 70
        variant = {"sku": long_sku, "options": {}, "price_minor": 100, "in_stock": True}
        short = {"sku": "OK-1", "options": {}, "price_minor": 100, "in_stock": True}
        [message] = render_reply(
            reply("", {"type": "product_cards", "cards": [card(variants=[variant, short])]}), PUBLIC
        )
        data = [b["callback_data"] for b in buttons(message)]
        assert data == ["add:OK-1:1", "more_like:p-1"]
        assert not fits_callback(f"add:{long_sku}:1")


class TestCartAndCheckout:
    def test_checkout_link_is_a_url_button(self) -> None:
        part = {
            "type": "checkout_link",
            "url": "https://pay.example.com/s/1",
            "order_number": "EL-1001",
            "total_minor": 2500,
            "currency": "USD",
        }
        [message] = render_reply(reply("Here is your link.", part), PUBLIC)[1:]
        assert buttons(message) == [{"text": "Pay $25.00", "url": "https://pay.example.com/s/1"}]
        assert "EL\\-1001" in message.text

    def test_quick_replies_ride_on_the_text(self) -> None:
        part = {
            "type": "quick_replies",
            "replies": [
                {"label": "View cart", "message": "show my cart", "action": "view_cart"},
                {"label": "Shoes", "message": "show me shoes", "action": None},
            ],
        }
        [message] = render_reply(reply("Anything else?", part), PUBLIC)
        assert [b["callback_data"] for b in buttons(message)] == ["view_cart", "say:show me shoes"]

    def test_empty_cart_has_no_checkout_button(self) -> None:
        cart = {"lines": [], "item_count": 0, "total_minor": 0, "currency": "USD"}
        [message] = render_reply(reply("", {"type": "cart", "cart": cart}), PUBLIC)
        assert message.keyboard is None
        assert unescape(message.text)[0] == "Your cart is empty."

    def test_an_empty_cart_under_the_same_words_is_said_once(self) -> None:
        cart = {"lines": [], "item_count": 0, "total_minor": 0, "currency": "USD"}
        for text in ("Your cart is empty.", "your cart is  empty. Want to look at boots?"):
            [message] = render_reply(reply(text, {"type": "cart", "cart": cart}), PUBLIC)
            assert unescape(message.text)[0] == text
        # words that do not say it: the cart's line tells the shopper
        sent = render_reply(reply("Removed the lamp.", {"type": "cart", "cart": cart}), PUBLIC)
        assert [unescape(m.text)[0] for m in sent] == ["Removed the lamp.", "Your cart is empty."]


class TestModelText:
    def test_model_bold_becomes_telegram_bold_and_the_rest_is_escaped(self) -> None:
        [message] = render_reply(reply("The **Trail Runner (v2)** costs $89.99!"), PUBLIC)
        assert message.text == "The *Trail Runner \\(v2\\)* costs $89\\.99\\!"

    def test_unbalanced_markers_stay_literal(self) -> None:
        [message] = render_reply(reply("5 ** 2 and **open"), PUBLIC)
        assert unescape(message.text) == ("5 ** 2 and **open", [])

    @given(st.text(alphabet=st.sampled_from(list("ab *_.!\\[]()`\n")), max_size=200))
    def test_only_bold_markers_are_markup(self, text: str) -> None:
        rendered = model_text(text)
        plain, markup = unescape(rendered)
        assert set(markup) <= {"*"}
        assert len(markup) % 2 == 0
        assert plain.replace("*", "") == text.replace("*", "")
        assert len(text) - len(plain) == len(markup)


class TestOrder:
    def test_order_status_with_lines_in_the_order_currency(self) -> None:
        order = {
            "number": "EL-1002",
            "status": "pending_payment",
            "total_minor": 4000,
            "currency": "EUR",
            "lines": [
                {
                    "sku": "S-1",
                    "product_id": "p",
                    "title": "Lamp",
                    "options": {},
                    "quantity": 1,
                    "unit_price_minor": 4000,
                    "line_total_minor": 4000,
                }
            ],
            "created_at": "2026-11-24T10:00:00Z",
            "tracking": [],
            "payment_url": "https://pay.example.com/x",
            "history": [],
        }
        [message] = render_reply(reply("", {"type": "order", "order": order}), PUBLIC)
        plain, _ = unescape(message.text)
        assert plain.startswith("Order EL-1002: pending payment")
        assert "• 1 × Lamp — €40.00" in plain
        assert buttons(message) == [{"text": "Pay now", "url": "https://pay.example.com/x"}]
