"""The UCP MCP binding: an MCP server (the official ``mcp`` SDK, streamable HTTP, stateless, JSON responses)
at ``/mcp`` whose tools are the UCP operations of ``operations.py`` (catalog, cart, checkout, order), the
same functions the REST binding calls. Arguments carry ``meta`` (``ucp-agent.profile``, ``idempotency-key``)
and the operation's payload; results carry the UCP body as ``structuredContent`` plus its JSON text.
Business errors are results (``isError`` with ``messages``); negotiation failures are JSON-RPC errors
(-32001), others -32000."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import ElaraError
from elara_bot.runtime import Runtime
from elara_bot.ucp import negotiation, render, signatures
from elara_bot.ucp import operations as ops
from elara_bot.ucp.negotiation import Platform, ProfileCache, UcpError
from elara_bot.ucp.signatures import Signer, signer_for

NEGOTIATION = {"invalid_profile_url", "profile_unreachable", "profile_malformed", "version_unsupported"}
Meta = dict[str, Any] | None
Operation = Callable[[Conn, Settings, Platform], Awaitable[ops.Outcome]]  # the request's shape, once


class _Endpoint:
    """The session manager's ASGI handler as a Starlette route endpoint (an object, not a function), behind
    the check of request signatures (the spec's Message Signatures apply to MCP's HTTP requests too)."""

    def __init__(self, server: MCPServer, tools: UcpTools) -> None:
        self.server = server
        self.tools = tools

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            body = await _read_body(receive)
            refusal = await self.tools.check_signature(Request(scope), body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.server.session_manager.handle_request(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body already read, then the connection's own messages (a disconnect when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _meta_profile(message: Any) -> str | None:
    """The profile a ``tools/call`` names in its arguments' ``meta`` (the MCP binding's UCP-Agent)."""
    params = message.get("params") if isinstance(message, dict) else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    meta = arguments.get("meta") if isinstance(arguments, dict) else None
    agent = meta.get("ucp-agent") if isinstance(meta, dict) else None
    profile = agent.get("profile") if isinstance(agent, dict) else None
    return profile if isinstance(profile, str) else None


class UcpTools:
    """The tools, bound to the app whose runtime (settings, pool, provider) they use at call time."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.notifications: set[asyncio.Task[None]] = set()

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def caller(self, meta: Meta) -> Platform:
        agent = (meta or {}).get("ucp-agent")
        profile = agent.get("profile") if isinstance(agent, dict) else None
        if not isinstance(profile, str) or not profile:
            raise UcpError("invalid_profile_url", "meta.ucp-agent.profile is required", 400)
        settings = self.runtime.settings
        if not settings.ucp.enabled:
            raise UcpError("not_found", "this store does not serve UCP", 404)
        found = await negotiation.fetch_profile(profile, settings, self.profiles())
        return negotiation.negotiate(profile, found, render.capabilities())

    async def run(self, tool: str, meta: Meta, payload: Any, operation: Operation) -> CallToolResult:
        try:
            caller = await self.caller(meta)
            key = (meta or {}).get("idempotency-key")
            async with self.runtime.pool.connection() as conn, conn.transaction():
                outcome = await ops.idempotent(
                    conn,
                    key if isinstance(key, str) else None,
                    f"mcp {tool}",
                    ops.digest(payload),
                    lambda: operation(conn, self.runtime.settings, caller),
                )
        except UcpError as exc:
            if exc.code in NEGOTIATION:
                data = render.protocol_error(self.runtime.settings, exc.code, exc.message)
                raise MCPError(-32001, "UCP discovery failed", data) from exc
            return self._business_error(exc.code, exc.message)
        except ElaraError as exc:
            code = {404: "not_found", 409: "conflict"}.get(exc.status_code, "invalid_request")
            return self._business_error(code, exc.message)
        if outcome.notify_order:
            task = asyncio.create_task(
                ops.notify(self.runtime.pool, self.runtime.settings, outcome.notify_order, self.signer)
            )
            self.notifications.add(task)
            task.add_done_callback(self.notifications.discard)
        return _result(outcome.body, is_error=outcome.status >= 400)

    async def check_signature(self, request: Request, body: bytes) -> JSONResponse | None:
        """None when the request may go on: unsigned (a ``tools/call`` only while signatures are not
        required), or signed and verified with the keys of the profile it names (its ``UCP-Agent``
        header, else the call's ``meta``; both must agree). Otherwise the JSON-RPC error to answer."""
        try:
            message = json.loads(body or b"null")
        except ValueError:
            return None  # the SDK answers malformed JSON-RPC itself
        settings = self.runtime.settings
        is_call = isinstance(message, dict) and message.get("method") == "tools/call"
        signed = signatures.parse(request.headers) is not None
        if not signed and not (is_call and settings.ucp.require_signatures):
            return None
        try:
            named = _meta_profile(message)
            header = request.headers.get("ucp-agent")
            profile_url = negotiation.profile_url(header) if header else named
            if profile_url is None:
                raise UcpError("signature_invalid", "a signed request must name its profile (UCP-Agent)", 401)
            if named is not None and named != profile_url:
                raise UcpError("signature_invalid", "meta.ucp-agent.profile is not the signer's profile", 401)
            cache = self.profiles()
            profile = await negotiation.fetch_profile(profile_url, settings, cache)
            public = render.base_url(settings) + request.url.path
            await signatures.check_platform_request(
                settings,
                cache,
                profile_url,
                profile,
                "POST",
                [str(request.url), public],
                request.headers,
                body,
            )
        except UcpError as exc:
            data = render.protocol_error(settings, exc.code, exc.message)
            error = {"code": -32000, "message": "Signature verification failed", "data": data}
            ident = message.get("id") if isinstance(message, dict) else None
            return JSONResponse({"jsonrpc": "2.0", "id": ident, "error": error})
        return None

    def profiles(self) -> ProfileCache:
        cache = getattr(self.app.state, "ucp_profiles", None)
        if not isinstance(cache, ProfileCache):
            cache = self.app.state.ucp_profiles = ProfileCache(self.runtime.settings.ucp.profile_ttl_s)
        return cache

    @property
    def signer(self) -> Signer:
        return signer_for(self.app.state, self.runtime.settings)

    def _business_error(self, code: str, content: str) -> CallToolResult:
        body = render.error_envelope(self.runtime.settings, code, content)
        body["messages"][0]["severity"] = "recoverable"
        return _result(body, is_error=True)


def _result(body: dict[str, Any], *, is_error: bool) -> CallToolResult:
    text = json.dumps(body, separators=(",", ":"))
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=body, is_error=is_error
    )


def build_server(app: FastAPI, tools: UcpTools) -> MCPServer:
    server = MCPServer(
        name="Elara UCP",
        instructions="Universal Commerce Protocol (2026-04-08) shopping tools for this store. Pass"
        " meta.ucp-agent.profile (your platform profile URL) on every call, meta.idempotency-key on changes.",
    )

    @server.tool(description="Create a checkout session from line items (item ids are SKUs).")
    async def create_checkout(checkout: dict[str, Any], meta: Meta = None) -> CallToolResult:
        return await tools.run(
            "create_checkout",
            meta,
            checkout,
            lambda c, s, p: ops.create_checkout(c, s, p, ops.checkout_in(checkout)),
        )

    @server.tool(description="Get a checkout session.")
    async def get_checkout(id: str, meta: Meta = None) -> CallToolResult:  # noqa: A002 (the spec's name)
        return await tools.run(
            f"get_checkout {id}", meta, None, lambda c, s, p: ops.get_checkout(c, s, p, id)
        )

    @server.tool(description="Update a checkout session: buyer, discounts.codes, fulfillment, line items.")
    async def update_checkout(id: str, checkout: dict[str, Any], meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(
            f"update_checkout {id}",
            meta,
            checkout,
            lambda c, s, p: ops.update_checkout(c, s, p, id, ops.checkout_in(checkout)),
        )

    @server.tool(description="Complete a checkout session: place the order and pay with checkout.payment.")
    async def complete_checkout(id: str, checkout: dict[str, Any], meta: Meta = None) -> CallToolResult:  # noqa: A002
        provider = tools.runtime.provider

        async def op(conn: Conn, settings: Settings, caller: Platform) -> ops.Outcome:
            return await ops.complete_checkout(
                conn, settings, caller, id, ops.checkout_in(checkout), provider(), tools.runtime.pool
            )

        return await tools.run(f"complete_checkout {id}", meta, checkout, op)

    @server.tool(description="Cancel a checkout session.")
    async def cancel_checkout(id: str, meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(
            f"cancel_checkout {id}", meta, None, lambda c, s, p: ops.cancel_checkout(c, s, p, id)
        )

    @server.tool(description="Get an order (its line items, totals and fulfillment events).")
    async def get_order(id: str, meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(f"get_order {id}", meta, None, lambda c, s, p: ops.get_order(c, s, p, id))

    @server.tool(description="Search the catalog: catalog.query, catalog.filters (price in minor units).")
    async def search_catalog(catalog: dict[str, Any], meta: Meta = None) -> CallToolResult:
        embedder = tools.runtime.embedder

        async def op(conn: Conn, settings: Settings, caller: Platform) -> ops.Outcome:
            return await ops.search_catalog(
                conn, settings, caller, ops.model_in(ops.SearchIn, catalog), embedder
            )

        return await tools.run("search_catalog", meta, None, op)

    @server.tool(description="Look up products or variants by id (catalog.ids: product ids or SKUs).")
    async def lookup_catalog(catalog: dict[str, Any], meta: Meta = None) -> CallToolResult:
        return await tools.run(
            "lookup_catalog",
            meta,
            None,
            lambda c, s, p: ops.lookup_catalog(c, s, p, ops.model_in(ops.LookupIn, catalog)),
        )

    @server.tool(description="One product in detail, with its options and variants (catalog.id).")
    async def get_product(catalog: dict[str, Any], meta: Meta = None) -> CallToolResult:
        return await tools.run(
            "get_product",
            meta,
            None,
            lambda c, s, p: ops.get_product(c, s, p, ops.model_in(ops.ProductIn, catalog)),
        )

    @server.tool(description="Create a cart from line items (item ids are SKUs).")
    async def create_cart(cart: dict[str, Any], meta: Meta = None) -> CallToolResult:
        return await tools.run(
            "create_cart", meta, cart, lambda c, s, p: ops.create_cart(c, s, p, ops.checkout_in(cart))
        )

    @server.tool(description="Get a cart.")
    async def get_cart(id: str, meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(f"get_cart {id}", meta, None, lambda c, s, p: ops.get_cart(c, s, p, id))

    @server.tool(description="Update a cart: line items, buyer, discounts.codes.")
    async def update_cart(id: str, cart: dict[str, Any], meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(
            f"update_cart {id}",
            meta,
            cart,
            lambda c, s, p: ops.update_cart(c, s, p, id, ops.checkout_in(cart)),
        )

    @server.tool(description="Cancel a cart.")
    async def cancel_cart(id: str, meta: Meta = None) -> CallToolResult:  # noqa: A002
        return await tools.run(f"cancel_cart {id}", meta, None, lambda c, s, p: ops.cancel_cart(c, s, p, id))

    return server


def mount(app: FastAPI) -> MCPServer:
    """Serve the MCP binding at ``/mcp`` and run its session manager with the app's lifespan."""
    tools = UcpTools(app)
    server = build_server(app, tools)
    server.streamable_http_app(  # builds the session manager (stateless: no session state kept)
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.router.routes.append(
        Route("/mcp", endpoint=_Endpoint(server, tools), methods=["GET", "POST", "DELETE"])
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        async with inner(instance) as state, server.session_manager.run():
            yield state

    app.router.lifespan_context = lifespan
    return server
