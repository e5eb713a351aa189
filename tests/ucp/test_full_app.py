"""The composed service (elara_bot.app.create_app) serves the UCP profile, REST and MCP bindings."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.ucp.client import PROFILE_SCHEMAS, valid


async def test_the_service_serves_ucp_over_rest_and_mcp(
    live_service: Callable[..., AbstractContextManager[str]],
) -> None:
    with live_service() as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            profile = await http.get("/.well-known/ucp")
            assert profile.status_code == 200
            assert valid(profile.json(), PROFILE_SCHEMAS)["ucp"]["version"] == "2026-04-08"
            missing_agent = await http.post("/ucp/v1/checkout-sessions", json={})
            assert (missing_agent.status_code, missing_agent.json()["code"]) == (400, "invalid_profile_url")
            assert "/ucp/v1/checkout-sessions" not in (await http.get("/openapi.json")).json()["paths"]
        async with (
            streamable_http_client(f"{url}/mcp") as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert {"create_checkout", "complete_checkout", "get_order"} <= names
    with live_service(ucp={"enabled": False}) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            assert (await http.get("/.well-known/ucp")).status_code == 404
