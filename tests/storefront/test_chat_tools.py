"""The shopper agent's storefront tools, called as the agent calls them: the model passes a code or a country
and a service, never an amount; the totals it reads come from the database."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from elara_bot.agent.tools import LABELS, SHOPPER_TOOLS, ShopperContext, apply_discount_code, choose_shipping
from elara_bot.cart import service as cart
from elara_bot.config import Settings
from elara_bot.customers.service import customer_for_identity
from elara_bot.db import Conn
from elara_bot.payments.dev import build_dev_provider
from elara_bot.storefront.importer import import_dir
from tests.storefront.test_store import write_store

SETTINGS = Settings(env="test", public_url="http://shop.test")


async def _call(tool: Any, ctx: ShopperContext, **arguments: Any) -> tuple[dict[str, Any], Any]:
    content, outcome = await tool.coroutine(runtime=SimpleNamespace(context=ctx), **arguments)
    return json.loads(content), outcome


async def test_the_agent_applies_a_code_and_chooses_shipping(cconn: Conn, tmp_path: Path) -> None:
    await import_dir(cconn, write_store(tmp_path))
    me = await customer_for_identity(cconn, "web", "tool-shopper")
    await cart.add_item(cconn, me.id, "LAMP-W", 2, max_quantity=20)
    ctx = ShopperContext(cconn, me.id, SETTINGS, None, build_dev_provider(SETTINGS))  # type: ignore[arg-type]
    refused, outcome = await _call(apply_discount_code, ctx, code="NOPE")
    assert refused["error"] == "InvalidInput"
    assert outcome.error == "InvalidInput"
    applied, _ = await _call(apply_discount_code, ctx, code="welcome10")
    assert applied["totals"]["discount_minor"] == 690
    options, _ = await _call(choose_shipping, ctx, country="us")
    assert [o["service"] for o in options["totals"]["shipping_options"]] == ["standard", "express"]
    chosen, _ = await _call(choose_shipping, ctx, country="US", service="standard", region="CA")
    assert chosen["totals"]["total_minor"] == 6_900 - 690 + 599 + 450
    mine = {"apply_discount_code", "choose_shipping"}
    assert mine <= {t.name for t in SHOPPER_TOOLS}
    assert mine <= set(LABELS)
