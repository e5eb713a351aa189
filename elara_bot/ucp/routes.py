"""The UCP REST binding (2026-04-08): ``GET /.well-known/ucp`` and ``/ucp/v1`` (checkout sessions, orders,
the TEST MODE payment handler's description, and ``testing/simulate-shipping`` when a secret enables it).

Every ``/ucp/v1`` request names its platform in ``UCP-Agent``; the platform's profile is fetched (cached),
its version checked and the capabilities intersected. State-changing requests honour ``Idempotency-Key``
(24 h in PostgreSQL: the same key and body replay the stored status and body, another body is a 409).
Protocol errors are ``{"code", "content"}`` with their HTTP status; business outcomes are 200 with
``messages``. Thin: parse, call ``checkout.sessions`` / ``orders``, render.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import ElaraError, Forbidden, InvalidInput, NotFound, OutOfStock
from elara_bot.orders import service as orders
from elara_bot.runtime import Runtime
from elara_bot.ucp import negotiation, render, signatures
from elara_bot.ucp import operations as ops
from elara_bot.ucp.negotiation import Platform, ProfileCache, UcpError
from elara_bot.ucp.signatures import signer_for

ERROR_CODES = {
    404: "not_found",
    409: "conflict",
    400: "invalid_request",
    422: "invalid_request",
    403: "forbidden",
}


class UcpRoute(APIRoute):
    """Renders errors the protocol's way ({"code", "content"}), after the request's transaction ended."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handle(request)
            except UcpError as exc:
                response = _error(request, exc.status_code, exc.code, exc.message)
            except OutOfStock as exc:
                response = _error(request, 409, "out_of_stock", exc.message)
            except ElaraError as exc:
                status = 400 if exc.status_code == 422 else exc.status_code
                response = _error(request, status, ERROR_CODES.get(status, "error"), exc.message)
            if request_id := request.headers.get("request-id"):
                response.headers["Request-Id"] = request_id[:200]
            return response

        return route


def _error(request: Request, status: int, code: str, content: str) -> JSONResponse:
    settings: Settings = request.app.state.runtime.settings
    return JSONResponse(render.protocol_error(settings, code, content), status_code=status)


# Not in Elara's own OpenAPI document: platforms read the spec's (rest.openapi.json, named in the profile).
router = APIRouter(tags=["ucp"], route_class=UcpRoute, include_in_schema=False)


@router.get("/.well-known/ucp")
async def business_profile(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The business profile: services, capabilities and payment handlers (cacheable for platforms)."""
    if not runtime.settings.ucp.enabled:
        raise NotFound("this store does not serve UCP")
    body = render.profile(runtime.settings, signer_for(request.app.state, runtime.settings))
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


async def platform(
    request: Request, runtime: RuntimeDep, ucp_agent: Annotated[str | None, Header()] = None
) -> Platform:
    """The calling platform, negotiated from its profile (before any database connection is taken)."""
    if not runtime.settings.ucp.enabled:
        raise NotFound("this store does not serve UCP")
    url = negotiation.profile_url(ucp_agent)
    negotiation.check_header_version(ucp_agent)
    cache = getattr(request.app.state, "ucp_profiles", None)
    if cache is None:
        cache = request.app.state.ucp_profiles = ProfileCache(runtime.settings.ucp.profile_ttl_s)
    profile = await negotiation.fetch_profile(url, runtime.settings, cache)
    found = negotiation.negotiate(url, profile, render.capabilities())
    public = render.base_url(runtime.settings) + request.url.path
    if request.url.query:
        public += f"?{request.url.query}"
    await signatures.check_platform_request(
        runtime.settings,
        cache,
        url,
        profile,
        request.method,
        [str(request.url), public],
        request.headers,
        await request.body(),
    )
    if render.CHECKOUT not in found.capabilities and render.ORDER not in found.capabilities:
        raise UcpError("capabilities_incompatible", "no capability in common with this platform", 422)
    return found


PlatformDep = Annotated[Platform, Depends(platform)]
v1 = APIRouter(prefix="/ucp/v1", tags=["ucp"], route_class=UcpRoute, include_in_schema=False)


# --- one request's shape, shared by every operation ----------------------------------------------------
@dataclass
class UcpCall:
    """What every operation needs: the request, the negotiated platform, the runtime, the request's
    connection (its transaction commits before the response) and the tasks run after the response."""

    request: Request
    caller: Platform
    runtime: Runtime
    conn: Conn
    background: BackgroundTasks

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def change(self, action: Callable[[ops.CheckoutIn], Awaitable[ops.Outcome]]) -> JSONResponse:
        """A state-changing operation on the checkout-shaped body: run once per ``Idempotency-Key``
        (replayed, or 409 for another body), then answered; its order webhook is sent after the commit."""
        raw = await self.request.body()
        data = ops.parse(raw)
        outcome = await ops.idempotent(
            self.conn,
            self.request.headers.get("idempotency-key"),
            f"{self.request.method} {self.request.url.path}",
            ops.digest(json.loads(raw or b"{}")),
            lambda: action(data),
        )
        if outcome.notify_order:
            signer = signer_for(self.request.app.state, self.settings)
            self.background.add_task(
                ops.notify, self.runtime.pool, self.settings, outcome.notify_order, signer
            )
        return JSONResponse(outcome.body, status_code=outcome.status)

    async def read(self, outcome: Awaitable[ops.Outcome]) -> JSONResponse:
        done = await outcome
        return JSONResponse(done.body, status_code=done.status)

    async def json(self) -> Any:
        try:
            return json.loads(await self.request.body() or b"{}")
        except ValueError as exc:
            raise InvalidInput("the body is not valid JSON") from exc


async def ucp_call(
    request: Request, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep, background: BackgroundTasks
) -> UcpCall:
    return UcpCall(request, caller, runtime, conn, background)


Call = Annotated[UcpCall, Depends(ucp_call)]


# --- checkout sessions and orders (operations.py does the work) -------------------------------------
@v1.post("/checkout-sessions", status_code=201)
async def create_checkout(call: Call) -> JSONResponse:
    return await call.change(lambda data: ops.create_checkout(call.conn, call.settings, call.caller, data))


@v1.get("/checkout-sessions/{session_id}")
async def get_checkout(session_id: str, call: Call) -> JSONResponse:
    return await call.read(ops.get_checkout(call.conn, call.settings, call.caller, session_id))


@v1.put("/checkout-sessions/{session_id}")
async def update_checkout(session_id: str, call: Call) -> JSONResponse:
    return await call.change(
        lambda data: ops.update_checkout(call.conn, call.settings, call.caller, session_id, data)
    )


@v1.post("/checkout-sessions/{session_id}/complete")
async def complete_checkout(session_id: str, call: Call) -> JSONResponse:
    return await call.change(
        lambda data: ops.complete_checkout(
            call.conn,
            call.settings,
            call.caller,
            session_id,
            data,
            call.runtime.provider(),
            call.runtime.pool,
        )
    )


@v1.post("/checkout-sessions/{session_id}/cancel")
async def cancel_checkout(session_id: str, call: Call) -> JSONResponse:
    return await call.change(lambda _: ops.cancel_checkout(call.conn, call.settings, call.caller, session_id))


@v1.get("/orders/{order_id}")
async def get_order(order_id: str, call: Call) -> JSONResponse:
    return await call.read(ops.get_order(call.conn, call.settings, call.caller, order_id))


# --- carts ---------------------------------------------------------------------------------------------
@v1.post("/carts", status_code=201)
async def create_cart(call: Call) -> JSONResponse:
    return await call.change(lambda data: ops.create_cart(call.conn, call.settings, call.caller, data))


@v1.get("/carts/{cart_id}")
async def get_cart(cart_id: str, call: Call) -> JSONResponse:
    return await call.read(ops.get_cart(call.conn, call.settings, call.caller, cart_id))


@v1.put("/carts/{cart_id}")
async def update_cart(cart_id: str, call: Call) -> JSONResponse:
    return await call.change(
        lambda data: ops.update_cart(call.conn, call.settings, call.caller, cart_id, data)
    )


@v1.post("/carts/{cart_id}/cancel")
async def cancel_cart(cart_id: str, call: Call) -> JSONResponse:
    return await call.change(lambda _: ops.cancel_cart(call.conn, call.settings, call.caller, cart_id))


# --- catalog -------------------------------------------------------------------------------------------
@v1.post("/catalog/search")
async def search_catalog(call: Call) -> JSONResponse:
    data = ops.model_in(ops.SearchIn, await call.json())
    return await call.read(
        ops.search_catalog(call.conn, call.settings, call.caller, data, call.runtime.embedder)
    )


@v1.post("/catalog/lookup")
async def lookup_catalog(call: Call) -> JSONResponse:
    data = ops.model_in(ops.LookupIn, await call.json())
    return await call.read(ops.lookup_catalog(call.conn, call.settings, call.caller, data))


@v1.post("/catalog/product")
async def get_product(call: Call) -> JSONResponse:
    data = ops.model_in(ops.ProductIn, await call.json())
    return await call.read(ops.get_product(call.conn, call.settings, call.caller, data))


# --- TEST MODE -----------------------------------------------------------------------------------------
@v1.get("/payment-handlers/test-mode", include_in_schema=False)
async def test_mode_handler(runtime: RuntimeDep) -> JSONResponse:
    if not render.test_mode_on(runtime.settings):
        raise NotFound("the TEST MODE payment handler is off")
    return JSONResponse(
        {
            "handler": render.TEST_HANDLER,
            "id": render.TEST_HANDLER_ID,
            "instrument": {"type": "card", "credential": {"type": "token", "token": "<one of tokens>"}},
            "tokens": render.TEST_TOKENS,
            "note": "TEST MODE: no money moves; the success token pays, any other token is declined.",
        }
    )


@v1.get("/payment-handlers/stripe", include_in_schema=False)
async def stripe_handler(runtime: RuntimeDep) -> JSONResponse:
    """What the Stripe handler takes (the handler's spec, as the profile links it)."""
    if not render.stripe_on(runtime.settings):
        raise NotFound("the Stripe payment handler is off")
    handler = render.payment_handlers(runtime.settings)[render.STRIPE_HANDLER][0]
    return JSONResponse(
        {
            "handler": render.STRIPE_HANDLER,
            "id": render.STRIPE_HANDLER_ID,
            "config": handler["config"],
            "instruments": [
                {"type": "card", "credential": {"type": "stripe_payment_method", "token": "pm_..."}},
                {"type": "card", "credential": {"type": "stripe_shared_payment_token", "token": "spt_..."}},
            ],
            "note": "The store creates and confirms one Stripe PaymentIntent for the checkout's total with"
            " the credential (a PaymentMethod of the store's account, or a shared payment token granted"
            " to it)."
            " A decline answers 402 with a payment_failed message; nothing is reserved or charged.",
        }
    )


class SimulateShipping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field("SIM-TRACK-1", min_length=1, max_length=64)
    delivered: bool = False


@v1.post("/testing/simulate-shipping", include_in_schema=False)
async def simulate_shipping(
    request: Request,
    body: SimulateShipping,
    runtime: RuntimeDep,
    conn: ConnDep,
    background: BackgroundTasks,
    simulation_secret: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Ship (and optionally deliver) a paid order as a carrier would, for platform testing. Off unless
    ``ELARA_UCP__SIMULATION_SECRET`` is set, never with env=prod; the secret is the header's value."""
    secret = runtime.settings.ucp.simulation_secret
    if secret is None or runtime.settings.env == "prod":
        raise NotFound("not found")
    if not simulation_secret or not secrets.compare_digest(simulation_secret, secret.get_secret_value()):
        raise Forbidden("the Simulation-Secret header is missing or wrong")
    await ops.order_json(conn, runtime.settings, {}, body.order_id)  # only orders placed through UCP
    found = await orders.mark_fulfilled(conn, body.order_id, [body.tracking_number])
    if body.delivered:
        found = await orders.mark_delivered(conn, body.order_id)
    signer = signer_for(request.app.state, runtime.settings)
    background.add_task(ops.notify, runtime.pool, runtime.settings, body.order_id, signer)
    return JSONResponse({"order_id": found.number, "status": found.status})


router.include_router(v1)
