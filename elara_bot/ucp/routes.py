"""The UCP REST binding (2026-04-08): ``GET /.well-known/ucp`` and ``/ucp/v1`` (checkout sessions, orders,
the TEST MODE payment handler's description, and ``testing/simulate-shipping`` when a secret enables it).

Every ``/ucp/v1`` request names its platform in ``UCP-Agent``; the platform's profile is fetched (cached),
its version checked and the capabilities intersected. State-changing requests honour ``Idempotency-Key``
(24 h in PostgreSQL: the same key and body replay the stored status and body, another body is a 409).
Protocol errors are ``{"code", "content"}`` with their HTTP status; business outcomes are 200 with
``messages``. Thin: parse, call ``checkout.sessions`` / ``orders``, render.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.checkout import sessions
from elara_bot.checkout.sessions import ItemProblem, PaymentDeclined, SessionInput, SessionLineIn
from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import Conflict, ElaraError, Forbidden, InvalidInput, NotFound, OutOfStock
from elara_bot.orders import service as orders
from elara_bot.storefront import service as storefront
from elara_bot.ucp import negotiation, render, webhooks
from elara_bot.ucp import repository as repo
from elara_bot.ucp.handlers import charge_for, selected_instrument
from elara_bot.ucp.negotiation import Platform, ProfileCache, UcpError

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
async def business_profile(runtime: RuntimeDep) -> JSONResponse:
    """The business profile: services, capabilities and payment handlers (cacheable for platforms)."""
    if not runtime.settings.ucp.enabled:
        raise NotFound("this store does not serve UCP")
    body = render.profile(runtime.settings)
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
    if render.CHECKOUT not in found.capabilities and render.ORDER not in found.capabilities:
        raise UcpError("capabilities_incompatible", "no capability in common with this platform", 422)
    return found


PlatformDep = Annotated[Platform, Depends(platform)]
v1 = APIRouter(prefix="/ucp/v1", tags=["ucp"], route_class=UcpRoute, include_in_schema=False)


# --- requests ------------------------------------------------------------------------------------------
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ItemIn(_Open):
    id: str = Field(min_length=1, max_length=200)


class LineItemIn(_Open):
    id: str | None = Field(None, max_length=64)
    item: ItemIn
    quantity: int = Field(ge=1, le=10_000)


class GroupIn(_Open):
    id: str | None = None
    selected_option_id: str | None = Field(None, max_length=40)


class MethodIn(_Open):
    type: Literal["shipping", "pickup"] = "shipping"
    destinations: list[dict[str, Any]] | None = Field(None, max_length=20)
    selected_destination_id: str | None = Field(None, max_length=64)
    groups: list[GroupIn] | None = None


class FulfillmentIn(_Open):
    methods: list[MethodIn] = Field(default_factory=list, max_length=5)


class DiscountsIn(_Open):
    codes: list[str] | None = Field(None, max_length=20)


class CheckoutIn(_Open):
    line_items: list[LineItemIn] | None = Field(None, max_length=sessions.MAX_LINES)
    buyer: dict[str, Any] | None = None
    discounts: DiscountsIn | None = None
    fulfillment: FulfillmentIn | None = None
    payment: dict[str, Any] | None = None

    def to_input(self) -> SessionInput:
        lines = None
        if self.line_items is not None:
            lines = [SessionLineIn(id=li.id, sku=li.item.id, quantity=li.quantity) for li in self.line_items]
        method = self.fulfillment.methods[0] if self.fulfillment and self.fulfillment.methods else None
        if method is not None and method.type != "shipping":
            raise InvalidInput("this store offers shipping only (no pickup)")
        group = method.groups[0] if method and method.groups else None
        return SessionInput(
            lines=lines,
            buyer=self.buyer,
            discount_codes=self.discounts.codes if self.discounts else None,
            destinations=method.destinations if method else None,
            selected_destination=method.selected_destination_id if method else None,
            shipping_service=group.selected_option_id if group else None,
        )


def _parse(raw: bytes) -> CheckoutIn:
    try:
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise InvalidInput("the body must be a JSON object")
        return CheckoutIn.model_validate(data)
    except ValueError as exc:  # JSONDecodeError and ValidationError
        detail = _validation(exc) if isinstance(exc, ValidationError) else "the body is not valid JSON"
        raise InvalidInput(detail) from exc


def _validation(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


# --- idempotency ---------------------------------------------------------------------------------------
Outcome = tuple[int, dict[str, Any]]


async def _idempotent(
    request: Request, conn: Conn, raw: bytes, action: Callable[[], Awaitable[Outcome]]
) -> JSONResponse:
    key = request.headers.get("idempotency-key")
    if key is None:
        status, body = await action()
        return JSONResponse(body, status_code=status)
    if not key or len(key) > 255:
        raise InvalidInput("Idempotency-Key must be 1 to 255 characters")
    operation = f"{request.method} {request.url.path}"
    digest = hashlib.sha256(raw.strip() or b"{}").hexdigest()
    stored = await repo.lock_key(conn, key, operation)
    if stored is not None:
        if stored["request_hash"] != digest:
            raise UcpError(
                "idempotency_conflict", "this Idempotency-Key was used with a different request", 409
            )
        return JSONResponse(
            stored["body"], status_code=stored["status_code"], headers={"Idempotent-Replayed": "true"}
        )
    status, body = await action()
    await repo.save_key(conn, key, operation, digest, status, body)
    return JSONResponse(body, status_code=status)


# --- checkout sessions ---------------------------------------------------------------------------------
@v1.post("/checkout-sessions", status_code=201)
async def create_checkout(
    request: Request, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep
) -> JSONResponse:
    raw = await request.body()
    data = _parse(raw)
    if not data.line_items:
        raise InvalidInput("line_items is required and cannot be empty")

    async def act() -> Outcome:
        try:
            async with conn.transaction():
                view = await sessions.create(
                    conn, data.to_input(), platform_profile=caller.profile_url, webhook_url=caller.webhook_url
                )
        except ItemProblem as exc:
            return 200, render.error_envelope(runtime.settings, exc.code, exc.message)
        return 201, render.checkout(runtime.settings, caller.capabilities, view)

    return await _idempotent(request, conn, raw, act)


async def _owned(conn: Conn, session_id: str, caller: Platform) -> None:
    """A session is seen only by the platform that created it (anyone else gets a 404)."""
    cur = await conn.execute("SELECT platform_profile FROM checkout_sessions WHERE id = %s", (session_id,))
    row = await cur.fetchone()
    if row is None or row["platform_profile"] != caller.profile_url:
        raise NotFound(f"no checkout session {session_id!r}")


@v1.get("/checkout-sessions/{session_id}")
async def get_checkout(
    session_id: str, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep
) -> JSONResponse:
    await _owned(conn, session_id, caller)
    view = await sessions.get(conn, session_id)
    return JSONResponse(render.checkout(runtime.settings, caller.capabilities, view))


@v1.put("/checkout-sessions/{session_id}")
async def update_checkout(
    session_id: str, request: Request, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep
) -> JSONResponse:
    raw = await request.body()
    data = _parse(raw)
    await _owned(conn, session_id, caller)

    async def act() -> Outcome:
        try:
            async with conn.transaction():
                view = await sessions.update(conn, session_id, data.to_input())
        except ItemProblem as exc:
            raise InvalidInput(exc.message) from exc
        return 200, render.checkout(runtime.settings, caller.capabilities, view)

    return await _idempotent(request, conn, raw, act)


@v1.post("/checkout-sessions/{session_id}/complete")
async def complete_checkout(
    session_id: str,
    request: Request,
    caller: PlatformDep,
    runtime: RuntimeDep,
    conn: ConnDep,
    background: BackgroundTasks,
) -> JSONResponse:
    """Place and pay the order: 200 ``completed``; 200 with ``messages`` when something is still missing;
    402 when the payment is declined (nothing reserved, nothing charged, the session stays open)."""
    raw = await request.body()
    data = _parse(raw)
    await _owned(conn, session_id, caller)
    settings = runtime.settings

    async def act() -> Outcome:
        view = await sessions.get(conn, session_id)
        if view.status in sessions.FINAL:
            raise Conflict(f"checkout session {session_id} is {view.status} and can no longer be completed")
        if view.status != "ready_for_complete":
            return 200, render.checkout(settings, caller.capabilities, view)
        provider_name, charge = charge_for(selected_instrument(data.payment), render.test_mode_on(settings))
        try:
            async with conn.transaction():
                view = await sessions.complete(conn, session_id, charge, provider_name, runtime.provider())
        except PaymentDeclined as exc:
            body = render.checkout(settings, caller.capabilities, await sessions.get(conn, session_id))
            body["messages"] = [_declined(exc.message), *body["messages"]]
            return 402, body
        except OutOfStock:
            return 200, render.checkout(settings, caller.capabilities, await sessions.get(conn, session_id))
        body = render.checkout(settings, caller.capabilities, view)
        if view.webhook_url and view.order_number:
            background.add_task(_notify, runtime.pool, settings, view.order_number)
        return 200, body

    return await _idempotent(request, conn, raw, act)


def _declined(content: str) -> dict[str, Any]:
    return {
        "type": "error",
        "code": "payment_failed",
        "content": content,
        "severity": "recoverable",
        "path": "$.payment.instruments[0]",
    }


@v1.post("/checkout-sessions/{session_id}/cancel")
async def cancel_checkout(
    session_id: str, request: Request, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep
) -> JSONResponse:
    raw = await request.body()
    await _owned(conn, session_id, caller)

    async def act() -> Outcome:
        view = await sessions.cancel(conn, session_id)
        return 200, render.checkout(runtime.settings, caller.capabilities, view)

    return await _idempotent(request, conn, raw, act)


# --- orders --------------------------------------------------------------------------------------------
async def _order_json(
    conn: Conn, settings: Settings, active: dict[str, Any], number: str
) -> tuple[dict[str, Any], Any]:
    cur = await conn.execute(
        "SELECT s.id AS checkout_id, s.platform_profile, s.webhook_url, o.id AS order_id, o.customer_id"
        " FROM checkout_sessions s JOIN orders o ON o.id = s.order_id WHERE o.number = %s",
        (number,),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no order {number!r}")
    found = await orders.get_order(conn, row["customer_id"], number)
    quote = await storefront.order_quote(conn, row["order_id"])
    return render.order(settings, active, found, quote, row["checkout_id"]), row


@v1.get("/orders/{order_id}")
async def get_order(order_id: str, caller: PlatformDep, runtime: RuntimeDep, conn: ConnDep) -> JSONResponse:
    body, row = await _order_json(conn, runtime.settings, caller.capabilities, order_id)
    if row["platform_profile"] != caller.profile_url:
        raise NotFound(f"no order {order_id!r}")
    return JSONResponse(body)


async def _notify(pool: Any, settings: Settings, number: str) -> None:
    """Send the order's current state to its platform's webhook (after the commit)."""
    async with pool.connection() as conn:
        active = {name: entries for name, entries in render.capabilities().items() if name == render.ORDER}
        body, row = await _order_json(conn, settings, active, number)
    if row["webhook_url"]:
        await webhooks.deliver(row["webhook_url"], body, f"{render.base_url(settings)}/.well-known/ucp")


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


class SimulateShipping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field("SIM-TRACK-1", min_length=1, max_length=64)
    delivered: bool = False


@v1.post("/testing/simulate-shipping", include_in_schema=False)
async def simulate_shipping(
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
    await _order_json(conn, runtime.settings, {}, body.order_id)  # only orders placed through UCP
    found = await orders.mark_fulfilled(conn, body.order_id, [body.tracking_number])
    if body.delivered:
        found = await orders.mark_delivered(conn, body.order_id)
    background.add_task(_notify, runtime.pool, runtime.settings, body.order_id)
    return JSONResponse({"order_id": found.number, "status": found.status})


router.include_router(v1)
