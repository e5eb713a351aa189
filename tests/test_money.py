"""One money module: every formatter knows a currency's exponent (issue 12: only Telegram's knew JPY)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from langchain_core.messages import ToolMessage

from connectors.slack.blocks import reply_blocks, table_text
from connectors.telegram.render import render_reply
from elara_bot.agent.merchant_tools import money
from elara_bot.agent.offline_model import phrase_results
from elara_bot.api import products as products_api
from elara_bot.api.store import price_text
from elara_bot.contracts import OutboundReply, TablePart
from elara_bot.money import exponent, format_amount, to_major, to_minor
from tests.connectors.test_telegram_render import card, reply, unescape


class TestMoney:
    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [
            (123450, "USD", "$1,234.50"),
            (999, "eur", "€9.99"),
            (5, "GBP", "£0.05"),
            (-250, "USD", "-$2.50"),
            (1500, "JPY", "1,500 JPY"),
            (150000, "KRW", "150,000 KRW"),
            (25000, "VND", "25,000 VND"),
            (9990, "CLP", "9,990 CLP"),
            (1250, "KWD", "1.250 KWD"),
            (1234567, "BHD", "1,234.567 BHD"),
            (500, "JOD", "0.500 JOD"),
            (1500, "HUF", "15.00 HUF"),  # two decimals in ISO 4217, as Stripe counts it too
            (12345, "CHF", "123.45 CHF"),
            (12345, " usd ", "$123.45"),
        ],
    )
    def test_formats_in_the_currency_exponent(self, minor: int, currency: str, text: str) -> None:
        assert format_amount(minor, currency) == text

    def test_without_symbol_or_grouping(self) -> None:
        assert format_amount(123456, "USD", symbol=False) == "1,234.56 USD"
        assert format_amount(123456, "USD", symbol=False, grouping=False) == "1234.56 USD"
        assert format_amount(150000, "JPY", symbol=False, grouping=False) == "150000 JPY"

    @pytest.mark.parametrize(
        ("amount", "currency", "minor"),
        [
            ("49.99", "USD", 4999),
            (49.99, "USD", 4999),
            ("1500", "JPY", 1500),
            ("49.5", "JPY", 50),
            ("1.5", "KWD", 1500),
            ("0.005", "USD", 1),
            (200, "EUR", 20000),
        ],
    )
    def test_parses_major_units(self, amount: str | float, currency: str, minor: int) -> None:
        assert to_minor(amount, currency) == minor

    @pytest.mark.parametrize("amount", ["", "abc", "NaN", "Infinity"])
    def test_refuses_what_is_no_amount(self, amount: str) -> None:
        with pytest.raises(ValueError, match="not an amount"):
            to_minor(amount, "USD")

    def test_exponents(self) -> None:
        assert [exponent(c) for c in ("JPY", "USD", "KWD", "CLF", "xof")] == [0, 2, 3, 4, 0]
        assert to_major(1500, "JPY") == Decimal(1500)
        assert to_major(1999, "USD") == Decimal("19.99")


class TestEveryFormatterKnowsYen:
    """JPY 1500 is ¥1,500, never "15.00 JPY", wherever the service writes an amount."""

    def test_telegram_card(self) -> None:
        yen = card(
            currency="JPY",
            price_min_minor=1500,
            price_max_minor=1500,
            variants=[{"sku": "MUG", "options": {}, "price_minor": 1500, "in_stock": True}],
        )
        [message] = render_reply(
            reply("", {"type": "product_cards", "cards": [yen]}), "https://shop.example.com"
        )
        text, _ = unescape(message.text)
        assert "1,500 JPY" in text
        assert "15.00" not in text

    def test_telegram_checkout(self) -> None:
        part = {
            "type": "checkout_link",
            "order_number": "E-1",
            "total_minor": 1500,
            "currency": "JPY",
            "url": "https://pay.example.com/x",
        }
        [message] = render_reply(reply("", part), "https://shop.example.com")
        assert "1,500 JPY" in unescape(message.text)[0]

    def test_slack_merchant_answers(self) -> None:
        assert money(1500, "JPY") == "1,500 JPY"
        table = TablePart(
            title="Top products", columns=["product", "revenue"], rows=[["Mug", money(1500, "JPY")]]
        )
        assert "1,500 JPY" in table_text(table)
        blocks = reply_blocks(OutboundReply(text=f"Revenue today: {money(1500, 'JPY')}", parts=[table]))
        assert "1,500 JPY" in json.dumps(blocks, ensure_ascii=False)

    def test_offline_model_text(self) -> None:
        found = {"products": [{"position": 1, "title": "Mug", "price_min_minor": 1500, "currency": "JPY"}]}
        cart = {"cart": {"lines": [{"quantity": 1}], "total_minor": 1500, "currency": "JPY"}}
        text = phrase_results(
            [
                ToolMessage(json.dumps(found), name="search_products", tool_call_id="1"),
                ToolMessage(json.dumps(cart), name="view_cart", tool_call_id="2"),
            ]
        )
        assert "Mug (1500 JPY)" in text
        assert "total 1500 JPY" in text

    def test_store_page_price(self) -> None:
        assert price_text(1500, "JPY") == "1,500 JPY"
        assert price_text(1999, "usd") == "$19.99"

    def test_typed_price_filters_follow_the_store_currency(self) -> None:
        """The search API's ``max_price=1500`` in a yen store is 1,500 yen, not 150,000 (was ``* 100``)."""
        assert products_api._minor("1500", "JPY") == 1500
        assert products_api._minor("49.99", "USD") == 4999
        assert products_api._minor(None, "USD") is None
