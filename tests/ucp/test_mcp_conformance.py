"""UCP conformance, MCP binding: the official SDK's client talks streamable HTTP to /mcp and buys the same way
as the REST test (same domain operations); every structuredContent is validated against the spec's schemas and
its text copy is the same JSON."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.ucp.client import CHECKOUT_SCHEMAS, ORDER_SCHEMAS, brief, valid
from tests.ucp.conftest import Platform
from tests.ucp.test_rest_conformance import CART, LOOKUP, PRODUCT, SEARCH

TOOLS = {
    "search_catalog",
    "lookup_catalog",
    "get_product",
    "create_cart",
    "get_cart",
    "update_cart",
    "cancel_cart",
    "create_checkout",
    "get_checkout",
    "update_checkout",
    "complete_checkout",
    "cancel_checkout",
    "get_order",
}


class McpPlatform:
    def __init__(self, session: ClientSession, profile: str) -> None:
        self.session, self.profile = session, profile
        self.log: list[str] = []  # the README's MCP transcript

    async def call(
        self, tool: str, profile: str | None = None, **arguments: Any
    ) -> tuple[bool, dict[str, Any]]:
        meta = {"ucp-agent": {"profile": profile or self.profile}, "idempotency-key": str(uuid.uuid4())}
        result = await self.session.call_tool(tool, {"meta": meta, **arguments})
        body = result.structured_content
        assert body is not None
        assert json.loads(result.content[0].text) == body  # the text copy
        self.log.append(f"> tools/call {tool} {json.dumps(arguments)}")
        self.log.append(f"< isError={bool(result.is_error)} {json.dumps(brief(body))}")
        return bool(result.is_error), body


def pay(token: str) -> dict[str, Any]:
    credential = {"type": "token", "token": token}
    instrument = {"id": "i1", "handler_id": "elara_test_mode", "type": "card", "credential": credential}
    return {"payment": {"instruments": [instrument]}}


async def test_buy_over_mcp(store: str, platform: Platform) -> None:
    async with streamable_http_client(f"{store}/mcp") as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        assert TOOLS <= {tool.name for tool in (await session.list_tools()).tools}
        buyer = McpPlatform(session, platform.profile_url)
        lines = [{"item": {"id": "MUG-1", "price": 0}, "quantity": 3}]
        home = {
            "street_address": "1 Rue",
            "address_locality": "Paris",
            "postal_code": "75001",
            "address_country": "FR",
        }
        failed, created = await buyer.call(
            "create_checkout",
            checkout={
                "line_items": lines,
                "buyer": {"email": "new@example.com"},
                "discounts": {"codes": ["WELCOME10"]},
                "fulfillment": {"methods": [{"type": "shipping", "destinations": [home]}]},
            },
        )
        assert not failed
        valid(created, CHECKOUT_SCHEMAS)
        assert created["line_items"][0]["item"]["price"] == 899
        group = {"id": "package_1", "selected_option_id": "international"}
        _, ready = await buyer.call(
            "update_checkout",
            id=created["id"],
            checkout={
                "fulfillment": {
                    "methods": [{"type": "shipping", "selected_destination_id": "dest_1", "groups": [group]}]
                }
            },
        )
        assert valid(ready, CHECKOUT_SCHEMAS)["status"] == "ready_for_complete"
        # 3 × 899 = 2697 − 10 % (270) = 2427; mugs ship free; no tax configured for FR
        assert {t["type"]: t["amount"] for t in ready["totals"]}["total"] == 2_427

        declined, body = await buyer.call(
            "complete_checkout", id=created["id"], checkout=pay("tok_test_decline")
        )
        assert declined
        assert valid(body, CHECKOUT_SCHEMAS)["messages"][0]["code"] == "payment_failed"
        failed, done = await buyer.call(
            "complete_checkout", id=created["id"], checkout=pay("tok_test_success")
        )
        assert not failed
        assert valid(done, CHECKOUT_SCHEMAS)["status"] == "completed"
        _, order = await buyer.call("get_order", id=done["order"]["id"])
        assert valid(order, ORDER_SCHEMAS)["checkout_id"] == created["id"]

        again, refused = await buyer.call("update_checkout", id=created["id"], checkout={"line_items": lines})
        assert again
        assert refused["messages"][0]["code"] == "conflict"
        missing, unknown = await buyer.call("get_checkout", id="chk_nope")
        assert missing
        assert unknown["messages"][0]["code"] == "not_found"
        if target := os.environ.get("UCP_MCP_TRANSCRIPT"):
            await asyncio.to_thread(Path(target).write_text, "\n".join(buyer.log) + "\n", encoding="utf-8")


async def test_idempotency_and_version_negotiation_over_mcp(store: str, platform: Platform) -> None:
    async with streamable_http_client(f"{store}/mcp") as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        meta = {"ucp-agent": {"profile": platform.profile_url}, "idempotency-key": "mcp-key-1"}
        arguments = {"meta": meta, "checkout": {"line_items": [{"item": {"id": "LAMP-W"}, "quantity": 1}]}}
        first = await session.call_tool("create_checkout", arguments)
        replay = await session.call_tool("create_checkout", arguments)
        assert first.structured_content == replay.structured_content
        other = {**arguments, "checkout": {"line_items": [{"item": {"id": "LAMP-W"}, "quantity": 2}]}}
        conflict = await session.call_tool("create_checkout", other)
        assert conflict.is_error
        assert conflict.structured_content["messages"][0]["code"] == "idempotency_conflict"
        platform.version = "2026-12-31"
        newer = {"ucp-agent": {"profile": f"{platform.profile_url}?newer=1"}}
        with pytest.raises(MCPError) as raised:
            await session.call_tool("create_checkout", {**arguments, "meta": newer})
        assert raised.value.error.code == -32001
        assert raised.value.error.data["code"] == "version_unsupported"


async def test_catalog_and_cart_over_mcp(store: str, platform: Platform) -> None:
    async with streamable_http_client(f"{store}/mcp") as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        buyer = McpPlatform(session, platform.profile_url)
        _, found = await buyer.call("search_catalog", catalog={"query": "mug"})
        assert [p["id"] for p in valid(found, SEARCH)["products"]][:1] == ["p-mug"]
        _, looked = await buyer.call("lookup_catalog", catalog={"ids": ["LAMP-B"]})
        assert [v["id"] for v in valid(looked, LOOKUP)["products"][0]["variants"]] == ["LAMP-B"]
        _, detail = await buyer.call("get_product", catalog={"id": "p-lamp"})
        assert valid(detail, PRODUCT)["product"]["price_range"]["max"]["amount"] == 3_600
        _, cart = await buyer.call(
            "create_cart", cart={"line_items": [{"item": {"id": "MUG-1"}, "quantity": 1}]}
        )
        _, cart = await buyer.call(
            "update_cart",
            id=cart["id"],
            cart={
                "line_items": [{"item": {"id": "MUG-1"}, "quantity": 2}],
                "discounts": {"codes": ["WELCOME10"]},
            },
        )
        assert {t["type"]: t["amount"] for t in valid(cart, CART)["totals"]}["total"] == 1_618
        _, again = await buyer.call("get_cart", id=cart["id"])
        assert valid(again, CART)["line_items"][0]["quantity"] == 2
        _, checkout = await buyer.call("create_checkout", checkout={"cart_id": cart["id"], "line_items": []})
        assert valid(checkout, CHECKOUT_SCHEMAS)["cart_id"] == cart["id"]
        failed, _ = await buyer.call("cancel_cart", id=cart["id"])
        assert not failed
        missing, _ = await buyer.call("get_product", catalog={"id": "nope"})
        assert missing
