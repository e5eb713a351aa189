"""The UCP operations, one function each, shared by the REST binding (routes.py) and the MCP binding
(mcp_server.py): parse, call ``checkout.sessions`` / ``orders`` / ``catalog``, render. Each takes the
request's connection (its transaction is the caller's) and returns an ``Outcome``: HTTP status, body, and
the order whose platform webhook is due once the transaction has committed."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from elara_bot.catalog import service as catalog
from elara_bot.catalog.schemas import SearchFilters
from elara_bot.checkout import sessions
from elara_bot.checkout import sessions_repository as sessions_repo
from elara_bot.checkout.sessions import ItemProblem, SessionInput, SessionLineIn
from elara_bot.config import Settings
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock
from elara_bot.orders import service as orders
from elara_bot.orders.charges import JournaledCharger
from elara_bot.payments.base import IntentCharger, IntentLedger, PaymentDeclined, PaymentProvider
from elara_bot.storefront import service as storefront
from elara_bot.ucp import render, webhooks
from elara_bot.ucp import repository as repo
from elara_bot.ucp.handlers import charge_for, selected_instrument
from elara_bot.ucp.negotiation import VERSION, Platform, UcpError
from elara_bot.ucp.signatures import Signer
from retrieval.embedding import Embedder

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    notify_order: str | None = None  # an order whose state the platform's webhook must hear of


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
    cart_id: str | None = Field(None, max_length=64)

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


def parse(raw: bytes) -> CheckoutIn:
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidInput("the body is not valid JSON") from exc
    return checkout_in(data)


def checkout_in(data: Any) -> CheckoutIn:
    if not isinstance(data, dict):
        raise InvalidInput("the checkout must be a JSON object")
    try:
        return CheckoutIn.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidInput(detail) from exc


# --- idempotency ---------------------------------------------------------------------------------------
def digest(payload: Any) -> str:
    """The request's fingerprint: its JSON, keys sorted (the same body in another key order is the same)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def idempotent(
    conn: Conn, key: str | None, operation: str, fingerprint: str, action: Callable[[], Awaitable[Outcome]]
) -> Outcome:
    """Run ``action`` once per key and operation: the same key and request replay the stored status and body
    (for 24 hours); the same key with another request is a 409."""
    if key is None:
        return await action()
    if not key or len(key) > 255:
        raise InvalidInput("Idempotency-Key must be 1 to 255 characters")
    stored = await repo.lock_key(conn, key, operation)
    if stored is not None:
        if stored["request_hash"] != fingerprint:
            raise UcpError(
                "idempotency_conflict", "this Idempotency-Key was used with a different request", 409
            )
        return Outcome(stored["status_code"], stored["body"])
    outcome = await action()
    await repo.save_key(conn, key, operation, fingerprint, outcome.status, outcome.body)
    return outcome


# --- checkout sessions ---------------------------------------------------------------------------------
async def create_checkout(conn: Conn, settings: Settings, caller: Platform, data: CheckoutIn) -> Outcome:
    if data.cart_id is not None and render.CART in caller.capabilities:
        await owned(conn, data.cart_id, caller, "cart")
        view = await sessions.checkout_from_cart(
            conn,
            data.cart_id,
            data.model_copy(update={"line_items": None}).to_input(),
            platform_profile=caller.profile_url,
            webhook_url=caller.webhook_url,
        )
        return Outcome(201, render.checkout(settings, caller.capabilities, view))
    if not data.line_items:
        raise InvalidInput("line_items is required and cannot be empty")
    try:
        async with conn.transaction():
            view = await sessions.create(
                conn, data.to_input(), platform_profile=caller.profile_url, webhook_url=caller.webhook_url
            )
    except ItemProblem as exc:
        return Outcome(200, render.error_envelope(settings, exc.code, exc.message))
    return Outcome(201, render.checkout(settings, caller.capabilities, view))


async def owned(conn: Conn, session_id: str, caller: Platform, kind: str = "checkout") -> None:
    """A session (or cart) is seen only by the platform that created it (anyone else gets a 404)."""
    row = await sessions_repo.owner(conn, session_id)
    if row is None or row["platform_profile"] != caller.profile_url or row["kind"] != kind:
        raise NotFound(f"no {'checkout session' if kind == 'checkout' else 'cart'} {session_id!r}")


async def get_checkout(conn: Conn, settings: Settings, caller: Platform, session_id: str) -> Outcome:
    await owned(conn, session_id, caller)
    return Outcome(200, render.checkout(settings, caller.capabilities, await sessions.get(conn, session_id)))


async def update_checkout(
    conn: Conn, settings: Settings, caller: Platform, session_id: str, data: CheckoutIn
) -> Outcome:
    await owned(conn, session_id, caller)
    try:
        async with conn.transaction():
            view = await sessions.update(conn, session_id, data.to_input())
    except ItemProblem as exc:
        raise InvalidInput(exc.message) from exc
    return Outcome(200, render.checkout(settings, caller.capabilities, view))


async def complete_checkout(
    conn: Conn,
    settings: Settings,
    caller: Platform,
    session_id: str,
    data: CheckoutIn,
    refunds: PaymentProvider,
    pool: AsyncConnectionPool[Conn],
) -> Outcome:
    """Place and pay the order: 200 ``completed``; 200 with ``messages`` when something is still missing;
    402 when the payment is declined (nothing reserved, nothing charged, the session stays open). A Stripe
    charge goes through the charge journal (``pool``: its rows commit on their own, before the charge)."""
    await owned(conn, session_id, caller)
    view = await sessions.get(conn, session_id)
    if view.status in sessions.FINAL:
        raise Conflict(f"checkout session {session_id} is {view.status} and can no longer be completed")
    if view.status != "ready_for_complete":
        return Outcome(200, render.checkout(settings, caller.capabilities, view))
    stripe = None
    if (
        render.stripe_on(settings)
        and isinstance(refunds, IntentCharger)
        and isinstance(refunds, IntentLedger)
    ):
        grace = settings.payments.orphan_grace_s
        stripe = JournaledCharger(refunds, refunds, pool, session_id, grace)
    instrument = selected_instrument(data.payment)
    provider_name, charge = charge_for(instrument, render.test_mode_on(settings), stripe)
    try:
        async with conn.transaction():
            view = await sessions.complete(conn, session_id, charge, provider_name, refunds)
    except PaymentDeclined as exc:
        body = render.checkout(settings, caller.capabilities, await sessions.get(conn, session_id))
        body["messages"] = [_declined(exc.message), *body["messages"]]
        return Outcome(402, body)
    except OutOfStock:
        return Outcome(
            200, render.checkout(settings, caller.capabilities, await sessions.get(conn, session_id))
        )
    except Exception:
        if charge.reference is not None and stripe is not None:  # charged, but no order was recorded
            await stripe.give_back()
        raise
    notify = view.order_number if view.webhook_url else None
    return Outcome(200, render.checkout(settings, caller.capabilities, view), notify)


def _declined(content: str) -> dict[str, Any]:
    return {
        "type": "error",
        "code": "payment_failed",
        "content": content,
        "severity": "recoverable",
        "path": "$.payment.instruments[0]",
    }


async def cancel_checkout(conn: Conn, settings: Settings, caller: Platform, session_id: str) -> Outcome:
    await owned(conn, session_id, caller)
    return Outcome(
        200, render.checkout(settings, caller.capabilities, await sessions.cancel(conn, session_id))
    )


# --- orders --------------------------------------------------------------------------------------------
async def order_json(
    conn: Conn, settings: Settings, active: dict[str, Any], number: str
) -> tuple[dict[str, Any], sessions_repo.PlacedOrder]:
    """A UCP order placed through a checkout session, and that session's row (platform, webhook)."""
    row = await sessions_repo.placed_order(conn, number)
    if row is None:
        raise NotFound(f"no order {number!r}")
    found = await orders.get_order(conn, row["customer_id"], number)
    quote = await storefront.order_quote(conn, row["order_id"])
    return render.order(settings, active, found, quote, row["checkout_id"]), row


async def get_order(conn: Conn, settings: Settings, caller: Platform, order_id: str) -> Outcome:
    body, row = await order_json(conn, settings, caller.capabilities, order_id)
    if row["platform_profile"] != caller.profile_url:
        raise NotFound(f"no order {order_id!r}")
    return Outcome(200, body)


async def notify(pool: AsyncConnectionPool[Conn], settings: Settings, number: str, signer: Signer) -> None:
    """Send the order's current state to its platform's webhook (call it after the commit)."""
    async with pool.connection() as conn:
        active = {name: entries for name, entries in render.capabilities().items() if name == render.ORDER}
        body, row = await order_json(conn, settings, active, number)
    if row["webhook_url"]:
        profile = f"{render.base_url(settings)}/.well-known/ucp"
        await webhooks.deliver(row["webhook_url"], body, profile, signer)


@dataclass
class OrderWebhooks:
    """A ``runtime.on_order_changed`` subscriber: the platform that placed an order through a UCP checkout
    hears of the merchant's changes to it (shipped, delivered, refunded), signed; other orders are not
    UCP's."""

    pool: AsyncConnectionPool[Conn]
    settings: Settings
    signer: Signer

    async def __call__(self, number: str) -> None:
        try:
            await notify(self.pool, self.settings, number, self.signer)
        except NotFound:
            return


# --- carts ---------------------------------------------------------------------------------------------
def _cart_only(caller: Platform) -> None:
    if render.CART not in caller.capabilities:
        raise UcpError("capabilities_incompatible", "the cart capability was not negotiated", 422)


async def create_cart(conn: Conn, settings: Settings, caller: Platform, data: CheckoutIn) -> Outcome:
    _cart_only(caller)
    if not data.line_items:
        raise InvalidInput("line_items is required and cannot be empty")
    try:
        async with conn.transaction():
            view = await sessions.create(
                conn, data.to_input(), platform_profile=caller.profile_url, webhook_url=None, kind="cart"
            )
    except ItemProblem as exc:
        return Outcome(200, render.error_envelope(settings, exc.code, exc.message))
    return Outcome(201, render.cart(settings, caller.capabilities, view))


async def get_cart(conn: Conn, settings: Settings, caller: Platform, cart_id: str) -> Outcome:
    _cart_only(caller)
    await owned(conn, cart_id, caller, "cart")
    return Outcome(200, render.cart(settings, caller.capabilities, await sessions.get(conn, cart_id)))


async def update_cart(
    conn: Conn, settings: Settings, caller: Platform, cart_id: str, data: CheckoutIn
) -> Outcome:
    _cart_only(caller)
    await owned(conn, cart_id, caller, "cart")
    try:
        async with conn.transaction():
            view = await sessions.update(
                conn, cart_id, data.model_copy(update={"fulfillment": None}).to_input()
            )
    except ItemProblem as exc:
        raise InvalidInput(exc.message) from exc
    return Outcome(200, render.cart(settings, caller.capabilities, view))


async def cancel_cart(conn: Conn, settings: Settings, caller: Platform, cart_id: str) -> Outcome:
    _cart_only(caller)
    await owned(conn, cart_id, caller, "cart")
    return Outcome(200, render.cart(settings, caller.capabilities, await sessions.cancel(conn, cart_id)))


# --- catalog -------------------------------------------------------------------------------------------
class PriceIn(_Open):
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class FiltersIn(_Open):
    categories: list[str] | None = Field(None, max_length=10)
    price: PriceIn | None = None


class PageIn(_Open):
    limit: int = Field(10, ge=1, le=50)
    cursor: str | None = Field(None, max_length=20)


class SearchIn(_Open):
    query: str = Field("", max_length=500)
    filters: FiltersIn | None = None
    pagination: PageIn | None = None


class LookupIn(_Open):
    ids: list[str] = Field(min_length=1, max_length=50)
    id: str | None = None


class ProductIn(_Open):
    id: str = Field(min_length=1, max_length=200)


def model_in(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidInput("the request must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidInput(detail) from exc


def _catalog_envelope(caller: Platform, root: str) -> dict[str, Any]:
    if root not in caller.capabilities:
        raise UcpError("capabilities_incompatible", f"{root} was not negotiated", 422)
    return {
        "version": VERSION,
        "status": "success",
        "capabilities": {root: [{"version": VERSION}]},
    }


async def search_catalog(
    conn: Conn, settings: Settings, caller: Platform, data: SearchIn, embedder: Embedder | None
) -> Outcome:
    envelope = _catalog_envelope(caller, render.SEARCH)
    page = data.pagination or PageIn()
    offset = int(page.cursor) if page.cursor and page.cursor.isdigit() else 0
    price = data.filters.price if data.filters and data.filters.price else None
    categories = data.filters.categories if data.filters and data.filters.categories else None
    filters = SearchFilters(
        min_price_minor=price.min if price else None,
        max_price_minor=price.max if price else None,
        category=categories[0] if categories else None,
    )
    found = await catalog.search_products(
        conn,
        embedder,  # type: ignore[arg-type]  # text mode needs none
        data.query or "*",
        filters,
        limit=offset + page.limit + 1,
        settings=settings.search,
        mode="hybrid" if embedder is not None else "text",
        currency=settings.payments.currency,
    )
    hits = found.hits[offset : offset + page.limit + 1]
    more = len(hits) > page.limit
    pagination: dict[str, Any] = {"has_next_page": more}
    if more:
        pagination["cursor"] = str(offset + page.limit)
    products = [render.product(settings, hit.product) for hit in hits[: page.limit]]
    return Outcome(200, {"ucp": envelope, "products": products, "pagination": pagination})


async def lookup_catalog(conn: Conn, settings: Settings, caller: Platform, data: LookupIn) -> Outcome:
    """Each identifier is a product id (its variants ``featured``) or a SKU (that variant ``exact``)."""
    envelope = _catalog_envelope(caller, render.LOOKUP)
    inputs: dict[str, dict[str, list[dict[str, str]]]] = {}
    missing = []
    for ident in dict.fromkeys(data.ids):
        product_id, skus, match = await _resolve(conn, ident)
        if product_id is None:
            missing.append(ident)
            continue
        for sku in skus:
            inputs.setdefault(product_id, {}).setdefault(sku, []).append({"id": ident, "match": match})
    products = [
        render.product(settings, p, inputs[p.id]) for p in await catalog.load_products(conn, list(inputs))
    ]
    body: dict[str, Any] = {"ucp": envelope, "products": products}
    if missing:
        body["messages"] = [
            {"type": "info", "code": "not_found", "content": f"no product or variant {ident!r}"}
            for ident in missing
        ]
    return Outcome(200, body)


async def _resolve(conn: Conn, ident: str) -> tuple[str | None, list[str], str]:
    try:
        found = await catalog.get_product(conn, ident)
        return found.id, [v.sku for v in found.variants], "featured"
    except NotFound:
        pass
    try:
        variant = await catalog.get_variant(conn, ident)
        return variant.product_id, [variant.sku], "exact"
    except NotFound:
        return None, [], ""


async def get_product(conn: Conn, settings: Settings, caller: Platform, data: ProductIn) -> Outcome:
    envelope = _catalog_envelope(caller, render.LOOKUP)
    product_id, _, _ = await _resolve(conn, data.id)
    if product_id is None:
        raise NotFound(f"no product {data.id!r}")
    found = await catalog.get_product(conn, product_id)
    return Outcome(200, {"ucp": envelope, "product": render.product(settings, found)})
