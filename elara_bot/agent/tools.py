"""The shopper's tools: thin, typed calls into the domain services.

The shopper's identity, the connection and the services come from the run's context (`ShopperContext`),
never from tool arguments; no tool takes a price. Every tool answers JSON for the model to read and a
`ToolOutcome` (the `ToolMessage.artifact`) for the conversation: the reply parts and the facts its memory
keeps. An `ElaraError` is answered as `{"error", "detail"}` (the outcome names it), never raised. Cancel and
return only run as the one call the shopper confirmed (`ShopperContext.confirmed`, granted by the conversation
service on a clear yes to exactly that tool and those arguments, used once; see agent/confirmation.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from elara_bot.agent.confirmation import Confirmation, describe
from elara_bot.agent.state import ConversationState, Question
from elara_bot.agent.tool_schema import lean_schemas
from elara_bot.cart import service as cart
from elara_bot.cart.schemas import CartPublic
from elara_bot.catalog import service as catalog
from elara_bot.catalog.cache import SearchCaches
from elara_bot.catalog.schemas import ProductPublic, SearchFilters, SearchHit, SearchResult
from elara_bot.checkout import service as checkout_service
from elara_bot.config import Settings
from elara_bot.contracts import (
    CartPart,
    CheckoutLinkPart,
    HandoffPart,
    OrderPart,
    ProductCard,
    ProductCardsPart,
    ToolOutcome,
)
from elara_bot.db import Conn
from elara_bot.errors import ElaraError, NotFound
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import OrderPublic
from elara_bot.payments.base import PaymentProvider
from elara_bot.policies import service as policies
from elara_bot.storefront import service as storefront
from elara_bot.storefront.schemas import Quote
from retrieval.embedding import Embedder


@dataclass
class ShopperContext:
    """What a turn's tools may use; built by the conversation service, never by the model."""

    conn: Conn
    customer_id: UUID
    settings: Settings
    embedder: Embedder
    provider: PaymentProvider
    search_caches: SearchCaches | None = None  # the runtime's; none: every search ranks afresh
    confirmed: Confirmation | None = None  # the one call (tool and arguments) the shopper said yes to
    handoff_reasons: list[str] = field(default_factory=list)
    # Orders checked out this turn: their payment pages are opened after the turn's transaction commits
    # (conversation.payment_links), never while it holds the reserved stock rows' locks.
    payments_to_open: list[str] = field(default_factory=list)
    # The conversation's state (what was shown, the cart's lines, the question asked): both models read it.
    state: ConversationState = field(default_factory=ConversationState)
    asked: Question | None = None  # what this turn's reply asks the shopper (the offline model's question)
    agenda: object | None = None  # the offline model's requests of this message still to do
    action_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # a button press's calls


# Untyped here: pydantic cannot build a schema over the connection and embedder; `_ctx` narrows it.
Runtime = ToolRuntime[Any, Any]


def _ctx(runtime: Runtime) -> ShopperContext:
    context = runtime.context
    if not isinstance(context, ShopperContext):
        raise TypeError("the shopper tools need a ShopperContext")
    return context


Answer = tuple[str, ToolOutcome]  # (the JSON the model reads, the artifact the conversation reads)
Result = tuple[dict[str, Any], ToolOutcome]


async def _run(action: Callable[[], Awaitable[Result]]) -> Answer:
    try:
        data, outcome = await action()
    except ElaraError as exc:
        return _failed(type(exc).__name__, str(exc))
    return json.dumps(data, default=str), outcome


def _failed(error: str, detail: str, **extra: str) -> Answer:
    return json.dumps({"error": error, "detail": detail, **extra}), ToolOutcome(error=error)


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _cards(products: list[ProductPublic]) -> Result:
    cards = [{"position": i, **_dump(p), "product_id": p.id} for i, p in enumerate(products, 1)]
    shown = [ProductCard.model_validate(card) for card in cards]
    return {"products": cards}, ToolOutcome(
        shown=shown, parts=[ProductCardsPart(cards=shown)] if shown else []
    )


def _cart(found: CartPublic) -> Result:
    return {"cart": _dump(found)}, ToolOutcome(cart=found, parts=[CartPart(cart=found)])


def _order(order: OrderPublic, **extra: str) -> Result:
    outcome = ToolOutcome(order_number=order.number, parts=[OrderPart(order=order)])
    return {"order": _dump(order), **extra}, outcome


def _matching(hit: SearchHit, *, sold_out_shows_all: bool = False) -> ProductPublic:
    """The product as the shopper asked for it: only the variants that match the filters (size, price,
    stock), with the price range of those, so "the second one in size 10" picks a size-10 SKU. When none
    of those is in stock and the search had no price limit, every variant (the shopper then sees the sizes
    there are, and can pick one)."""
    variants = hit.matching_variants or hit.product.variants
    if sold_out_shows_all and not any(v.in_stock for v in variants):
        variants = hit.product.variants  # "sneakers in size 8", sold out: the sizes there are instead
    prices = [v.price_minor for v in variants] or [hit.product.price_min_minor]
    return hit.product.model_copy(
        update={"variants": variants, "price_min_minor": min(prices), "price_max_minor": max(prices)}
    )


async def _search(
    ctx: ShopperContext,
    query: str,
    filters: SearchFilters | None,
    *,
    limit: int,
    only_named_type: bool = False,
) -> SearchResult:
    """The catalog search with the store's settings, caches and currency."""
    return await catalog.search_products(
        ctx.conn,
        ctx.embedder,
        query,
        filters,
        limit=limit,
        settings=ctx.settings.search,
        caches=ctx.search_caches,
        currency=ctx.settings.payments.currency,
        only_named_type=only_named_type,
    )


@tool(response_format="content_and_artifact")
async def search_products(
    query: str, runtime: Runtime, filters: SearchFilters | None = None, exclude: list[str] | None = None
) -> Answer:
    """Search the store's catalog; filters: min/max price in minor units, category, options, in_stock;
    `exclude`: product ids already shown (for "show me more"). Put what the shopper asked in `query`,
    price words included ("tents under $50"): the search reads them. When nothing matches,
    `nothing_matched` says so and `alternatives` are the nearest products without the `relaxed`
    constraints: tell the shopper and offer them ("want to see it?"); never present other products as
    matches."""
    ctx = _ctx(runtime)
    skip = set(exclude or [])

    async def act() -> Result:
        found = await _search(ctx, query, filters, limit=min(5 + len(skip), 100), only_named_type=True)
        priced = any(c.kind == "price" for c in found.constraints.applied)
        data, outcome = _cards(
            [_matching(h, sold_out_shows_all=not priced) for h in found.hits if h.product.id not in skip][:5]
        )
        if not found.hits and found.note:  # say so; offer the nearest products without what emptied it
            data["nothing_matched"] = found.note
            data["relaxed"] = [c.text for c in found.constraints.relaxed]
            data["alternatives"] = [
                {
                    "product_id": p.id,
                    "title": p.title,
                    "price_min_minor": p.price_min_minor,
                    "currency": p.currency,
                }
                for p in (_matching(h) for h in found.alternatives)
            ]
        return data, outcome

    return await _run(act)


@tool(response_format="content_and_artifact")
async def show_products(product_ids: list[str], runtime: Runtime) -> Answer:
    """Show these products as cards (the `alternatives` a search offered, once the shopper wants them)."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cards([await catalog.get_product(ctx.conn, pid) for pid in product_ids[:5]])

    return await _run(act)


@tool(response_format="content_and_artifact")
async def best_sellers(runtime: Runtime) -> Answer:
    """The store's best sellers: the products bought most in the last 90 days (units in paid orders), in
    stock. When nothing has sold yet, a browse of the catalog, and `best_sellers` false says so."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        sold = await catalog.best_sellers(ctx.conn)
        if sold:
            data, outcome = _cards(sold)
            return {**data, "best_sellers": True}, outcome
        found = await _search(ctx, "popular products", None, limit=5)
        data, outcome = _cards([_matching(h) for h in found.hits][:5])
        return {**data, "best_sellers": False}, outcome

    return await _run(act)


@tool(response_format="content_and_artifact")
async def get_product(product_id: str, runtime: Runtime) -> Answer:
    """Details of one product and its variants."""
    ctx = _ctx(runtime)
    return await _run(lambda: _product(ctx, product_id))


async def _product(ctx: ShopperContext, product_id: str) -> Result:
    return _dump(await catalog.get_product(ctx.conn, product_id)), ToolOutcome()


@tool(response_format="content_and_artifact")
async def add_to_cart(sku: str, quantity: int, runtime: Runtime) -> Answer:
    """Add a product variant (by SKU) to the shopper's cart."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cart(
            await cart.add_item(
                ctx.conn, ctx.customer_id, sku, quantity, max_quantity=ctx.settings.max_item_quantity
            )
        )

    return await _run(act)


@tool(response_format="content_and_artifact")
async def update_cart_item(sku: str, quantity: int, runtime: Runtime) -> Answer:
    """Set the quantity of a cart line (0 removes it)."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cart(
            await cart.set_quantity(
                ctx.conn, ctx.customer_id, sku, quantity, max_quantity=ctx.settings.max_item_quantity
            )
        )

    return await _run(act)


@tool(response_format="content_and_artifact")
async def remove_from_cart(sku: str, runtime: Runtime) -> Answer:
    """Remove a line from the shopper's cart."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cart(await cart.remove_item(ctx.conn, ctx.customer_id, sku))

    return await _run(act)


@tool(response_format="content_and_artifact")
async def view_cart(runtime: Runtime) -> Answer:
    """Show the shopper's cart."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cart(await cart.view_cart(ctx.conn, ctx.customer_id))

    return await _run(act)


@tool(response_format="content_and_artifact")
async def clear_cart(runtime: Runtime) -> Answer:
    """Empty the shopper's cart (every line)."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _cart(await cart.clear_cart(ctx.conn, ctx.customer_id))

    return await _run(act)


@tool(response_format="content_and_artifact")
async def payment_link(runtime: Runtime, order_number: str | None = None) -> Answer:
    """The payment link of an order waiting for payment again (the latest one when no number is given)."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        waiting = [
            o for o in await orders.list_orders(ctx.conn, ctx.customer_id) if o.status == "pending_payment"
        ]
        order = next((o for o in waiting if o.number == order_number), None) if order_number else None
        order = order or (None if order_number else (waiting[0] if waiting else None))
        if order is None:
            raise NotFound(
                "there is no order waiting for payment"
                + (f" numbered {order_number}" if order_number else "")
            )
        ctx.payments_to_open.append(order.number)
        data = {
            "order_number": order.number,
            "url": "",
            "payment_link": "shown to the shopper with this reply",
            "total_minor": order.total_minor,
            "currency": order.currency,
            "order": _dump(order),
        }
        return data, ToolOutcome(order_number=order.number, parts=[CheckoutLinkPart.model_validate(data)])

    return await _run(act)


@tool(response_format="content_and_artifact")
async def checkout(runtime: Runtime) -> Answer:
    """Turn the cart into an order and get the payment link."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        order = await checkout_service.place_order(ctx.conn, ctx.customer_id, ctx.provider, ctx.settings)
        ctx.payments_to_open.append(order.number)
        data = {
            "order_number": order.number,
            "url": "",  # filled in once the order is saved: the shopper sees the link below the reply
            "payment_link": "shown to the shopper with this reply",
            "total_minor": order.total_minor,
            "currency": order.currency,
            "order": _dump(order),
        }
        return data, ToolOutcome(order_number=order.number, parts=[CheckoutLinkPart.model_validate(data)])

    return await _run(act)


@tool(response_format="content_and_artifact")
async def order_status(runtime: Runtime, order_number: str | None = None) -> Answer:
    """One order's status, or the shopper's orders when no number is given."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        if order_number:
            return _order(await orders.get_order(ctx.conn, ctx.customer_id, order_number))
        found = await orders.list_orders(ctx.conn, ctx.customer_id)
        return {"orders": [_dump(o) for o in found]}, ToolOutcome()

    return await _run(act)


def _confirmed(ctx: ShopperContext, name: str, args: dict[str, Any]) -> bool:
    return ctx.confirmed is not None and ctx.confirmed.use(name, args)


def _unconfirmed(name: str, args: dict[str, Any]) -> Answer:
    detail = (
        f"Ask the shopper to confirm first: do they really want to {describe(name, args)}?"
        " Act only after a yes, and then only on exactly this."
    )
    return _failed("ConfirmationRequired", detail, tool=name)


@tool(response_format="content_and_artifact")
async def cancel_order(order_number: str, runtime: Runtime) -> Answer:
    """Cancel an order (needs the shopper's explicit confirmation)."""
    ctx = _ctx(runtime)
    if not _confirmed(ctx, "cancel_order", args := {"order_number": order_number}):
        return _unconfirmed("cancel_order", args)

    async def act() -> Result:
        return _order(await orders.cancel_order(ctx.conn, ctx.customer_id, order_number, ctx.provider))

    return await _run(act)


@tool(response_format="content_and_artifact")
async def request_return(order_number: str, skus: list[str], runtime: Runtime) -> Answer:
    """Request a return of some items (or all when skus is empty) of a delivered order; needs confirmation."""
    ctx = _ctx(runtime)
    if not _confirmed(ctx, "request_return", args := {"order_number": order_number, "skus": skus}):
        return _unconfirmed("request_return", args)

    async def act() -> Result:
        wanted = skus
        if not wanted:
            order = await orders.get_order(ctx.conn, ctx.customer_id, order_number)
            wanted = [line.sku for line in order.lines]
        order = await orders.request_return(ctx.conn, ctx.customer_id, order_number, wanted)
        return _order(order, message=f"Your return for order {order_number} is recorded.")

    return await _run(act)


@tool(response_format="content_and_artifact")
async def recommend(
    runtime: Runtime, for_product: str | None = None, from_cart: bool = False, from_history: bool = False
) -> Answer:
    """Products similar to one product, to the cart's items, or to past orders."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        seeds = [for_product] if for_product else await _seed_products(ctx, from_cart=from_cart)
        found: list[ProductPublic] = []
        for seed in seeds[:3]:
            for product in await catalog.similar_products(ctx.conn, seed, limit=5):
                if product.id not in seeds and all(product.id != p.id for p in found):
                    found.append(product)
        return _cards(found[:5])

    return await _run(act)


async def _seed_products(ctx: ShopperContext, *, from_cart: bool) -> list[str]:
    skus: list[str] = []
    if from_cart:
        skus = [line.sku for line in (await cart.view_cart(ctx.conn, ctx.customer_id)).lines]
    else:
        for order in await orders.list_orders(ctx.conn, ctx.customer_id):
            skus.extend(line.sku for line in order.lines)
    ids: list[str] = []
    for sku in skus:
        product_id = (await catalog.get_variant(ctx.conn, sku)).product_id
        if product_id not in ids:
            ids.append(product_id)
    return ids


@tool(response_format="content_and_artifact")
async def handoff_to_human(reason: str, runtime: Runtime) -> Answer:
    """Hand the conversation to a member of staff."""
    _ctx(runtime).handoff_reasons.append(reason)  # for the staff (the handoff thread), not the shopper
    part = HandoffPart(status="requested")  # the shopper is not shown the reason: often their own words
    return json.dumps({"handoff": "requested", "reason": reason}), ToolOutcome(parts=[part])


@tool(response_format="content_and_artifact")
async def store_policy(question: str, runtime: Runtime) -> Answer:
    """Look up the store's policies and FAQ: shipping, returns, refunds, exchanges, cancellations, payment,
    warranty, privacy, sizing, contact. Pass the shopper's question; answer from the passages returned.
    No passages (`covered` false): the store's text does not cover it; say so and offer a person."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        found = await policies.answer_policy(ctx.conn, ctx.embedder, question, limit=3)
        content: dict[str, Any] = {"passages": [{"title": p.title, "body": p.body} for p in found.passages]}
        if not found.covered:
            content["covered"] = False
            if found.topic:
                content["topic"] = found.topic
        return content, ToolOutcome()

    return await _run(act)


def _quote(found: Quote) -> Result:
    """The cart's totals as the store computes them (the model reads, never supplies, an amount)."""
    return {"totals": _dump(found)}, ToolOutcome()


@tool(response_format="content_and_artifact")
async def apply_discount_code(code: str, runtime: Runtime) -> Answer:
    """Apply a discount code the shopper gave to their cart: the new totals, or why it cannot apply."""
    ctx = _ctx(runtime)
    return await _run(lambda: _applied(ctx, code))


async def _applied(ctx: ShopperContext, code: str) -> Result:
    return _quote(await storefront.apply_discount_code(ctx.conn, ctx.customer_id, code))


@tool(response_format="content_and_artifact")
async def choose_shipping(
    country: str, runtime: Runtime, service: str | None = None, region: str | None = None
) -> Answer:
    """Set where the cart ships to (two-letter country code, optional region) and, once the shopper picked
    one of the offered `shipping_options`, the shipping service; answers the options and the totals."""
    ctx = _ctx(runtime)

    async def act() -> Result:
        return _quote(await storefront.choose_shipping(ctx.conn, ctx.customer_id, country, service, region))

    return await _run(act)


# What the shopper is shown while a tool runs (the label of the SSE `tool` event)
LABELS = {
    "search_products": "Searching the catalog…",
    "get_product": "Looking at the product…",
    "show_products": "Fetching the products…",
    "best_sellers": "Finding our best sellers…",
    "add_to_cart": "Updating your cart…",
    "update_cart_item": "Updating your cart…",
    "remove_from_cart": "Updating your cart…",
    "view_cart": "Checking your cart…",
    "clear_cart": "Emptying your cart…",
    "payment_link": "Finding your payment link…",
    "checkout": "Preparing checkout…",
    "order_status": "Looking up your order…",
    "cancel_order": "Cancelling your order…",
    "request_return": "Recording your return…",
    "recommend": "Finding suggestions…",
    "store_policy": "Checking our policies…",
    "handoff_to_human": "Asking a member of our team…",
    "apply_discount_code": "Applying your code…",
    "choose_shipping": "Checking shipping…",
}
SHOPPER_TOOLS: list[BaseTool] = [
    search_products,
    get_product,
    show_products,
    best_sellers,
    add_to_cart,
    update_cart_item,
    remove_from_cart,
    view_cart,
    clear_cart,
    checkout,
    payment_link,
    order_status,
    cancel_order,
    request_return,
    recommend,
    store_policy,
    handoff_to_human,
    apply_discount_code,
    choose_shipping,
]
lean_schemas(SHOPPER_TOOLS)
