"""Elara's domain objects as UCP 2026-04-08 JSON: the business profile, checkout sessions, orders, errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elara_bot.catalog.schemas import ProductPublic, VariantPublic
from elara_bot.checkout.sessions import SessionLine, SessionMessage, SessionView
from elara_bot.config import Settings
from elara_bot.orders.schemas import OrderPublic
from elara_bot.storefront.schemas import Quote, ShippingOption
from elara_bot.ucp.negotiation import VERSION
from elara_bot.ucp.signatures import Signer

SPEC = f"https://ucp.dev/{VERSION}"
CHECKOUT = "dev.ucp.shopping.checkout"
ORDER = "dev.ucp.shopping.order"
CART = "dev.ucp.shopping.cart"
SEARCH = "dev.ucp.shopping.catalog.search"
LOOKUP = "dev.ucp.shopping.catalog.lookup"
EXTENSIONS = ("dev.ucp.shopping.discount", "dev.ucp.shopping.fulfillment", "dev.ucp.shopping.buyer_consent")
TEST_HANDLER = "dev.elara.test_mode"
TEST_HANDLER_ID = "elara_test_mode"
TEST_TOKENS = {"success": "tok_test_success", "decline": "tok_test_decline"}
STRIPE_HANDLER = "com.stripe.payment_intent"
STRIPE_HANDLER_ID = "stripe"


def base_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def capabilities() -> dict[str, list[dict[str, Any]]]:
    caps: dict[str, list[dict[str, Any]]] = {
        CHECKOUT: [_cap("checkout", "shopping/checkout.json")],
        ORDER: [_cap("order", "shopping/order.json")],
        CART: [_cap("cart", "shopping/cart.json")],
        SEARCH: [_cap("catalog/search", "shopping/catalog_search.json")],
        LOOKUP: [_cap("catalog/lookup", "shopping/catalog_lookup.json")],
    }
    for name in EXTENSIONS:
        short = name.rsplit(".", 1)[1]
        spec = "buyer-consent" if short == "buyer_consent" else short
        parents: str | list[str] = [CHECKOUT, CART] if short == "discount" else CHECKOUT
        caps[name] = [{**_cap(spec, f"shopping/{short}.json"), "extends": parents}]
    return caps


def _cap(spec: str, schema: str) -> dict[str, Any]:
    return {
        "version": VERSION,
        "spec": f"{SPEC}/specification/{spec}",
        "schema": f"https://ucp.dev/schemas/{schema}",
    }


def test_mode_on(settings: Settings) -> bool:
    """TEST MODE payments: on by default, refused in production unless explicitly allowed."""
    return settings.ucp.test_mode and (settings.env != "prod" or settings.payments.dev_enabled)


def stripe_on(settings: Settings) -> bool:
    """The Stripe handler is on offer when the store's payments run on Stripe (a secret key is set)."""
    payments = settings.payments
    configured = payments.provider == "stripe" and payments.stripe_secret_key is not None
    return settings.ucp.stripe_handler and configured


def payment_handlers(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    handlers: dict[str, list[dict[str, Any]]] = {}
    if test_mode_on(settings):
        handlers[TEST_HANDLER] = [
            {
                "id": TEST_HANDLER_ID,
                "version": VERSION,
                "spec": f"{base_url(settings)}/ucp/v1/payment-handlers/test-mode",
                "available_instruments": [{"type": "card"}],
                "config": {"environment": "test", "tokens": TEST_TOKENS},
            }
        ]
    if stripe_on(settings):
        key = settings.payments.stripe_secret_key
        live = key is not None and key.get_secret_value().startswith(("sk_live_", "rk_live_"))
        config: dict[str, Any] = {
            "environment": "live" if live else "test",
            "credential_types": ["stripe_payment_method", "stripe_shared_payment_token"],
        }
        if settings.ucp.stripe_publishable_key:
            config["publishable_key"] = settings.ucp.stripe_publishable_key
        if settings.ucp.stripe_network_id:
            config["network_id"] = settings.ucp.stripe_network_id
        handlers[STRIPE_HANDLER] = [
            {
                "id": STRIPE_HANDLER_ID,
                "version": VERSION,
                "spec": f"{base_url(settings)}/ucp/v1/payment-handlers/stripe",
                "available_instruments": [{"type": "card"}],
                "config": config,
            }
        ]
    return handlers


def profile(settings: Settings, signer: Signer) -> dict[str, Any]:
    rest = {
        "version": VERSION,
        "spec": f"{SPEC}/specification/overview",
        "transport": "rest",
        "endpoint": f"{base_url(settings)}/ucp/v1",
        "schema": f"{SPEC}/services/shopping/rest.openapi.json",
    }
    return {
        "ucp": {
            "version": VERSION,
            "services": {"dev.ucp.shopping": [rest]},
            "capabilities": capabilities(),
            "payment_handlers": payment_handlers(settings),
        },
        "signing_keys": [signer.jwk()],
    }


def envelope(settings: Settings, active: dict[str, list[dict[str, Any]]], root: str) -> dict[str, Any]:
    """The response's ``ucp`` object: the negotiated capabilities relevant to this response's root."""
    relevant = {
        name: [{"version": e["version"]} for e in entries]
        for name, entries in active.items()
        if name == root or _extends(entries, root)
    }
    body: dict[str, Any] = {"version": VERSION, "status": "success", "capabilities": relevant}
    if root == CHECKOUT:
        body["payment_handlers"] = {
            name: [{k: v for k, v in h.items() if k != "spec"} for h in handlers]
            for name, handlers in payment_handlers(settings).items()
        }
    return body


def _extends(entries: list[dict[str, Any]], root: str) -> bool:
    parents = entries[0].get("extends")
    return root in ([parents] if isinstance(parents, str) else (parents or []))


def _totals(quote: Quote, *, cart: bool = False) -> list[dict[str, Any]]:
    totals: list[dict[str, Any]] = [
        {"type": "subtotal", "display_text": "Subtotal", "amount": quote.subtotal_minor}
    ]
    if quote.discount_minor:
        lines = [{"display_text": d.title, "amount": -d.amount_minor} for d in quote.discounts]
        totals.append(
            {"type": "discount", "display_text": "Discounts", "amount": -quote.discount_minor, "lines": lines}
        )
    if cart:  # a cart shows goods only: shipping and tax come with a destination, at checkout
        totals.append(
            {"type": "total", "display_text": "Total", "amount": quote.subtotal_minor - quote.discount_minor}
        )
        return totals
    if quote.shipping_required:
        totals.append({"type": "fulfillment", "display_text": "Shipping", "amount": quote.shipping_minor})
    if quote.tax_minor or quote.tax_rate_bp:
        totals.append({"type": "tax", "display_text": "Tax", "amount": quote.tax_minor})
    totals.append({"type": "total", "display_text": "Total", "amount": quote.total_minor})
    return totals


def _line(line: SessionLine) -> dict[str, Any]:
    subtotal = line.unit_price_minor * line.quantity
    totals = [{"type": "subtotal", "amount": subtotal}]
    if line.discount_minor:
        totals.append({"type": "items_discount", "amount": -line.discount_minor})
    totals.append({"type": "total", "amount": subtotal - line.discount_minor})
    item: dict[str, Any] = {"id": line.sku, "title": line.title, "price": line.unit_price_minor}
    if line.image_url and line.image_url.startswith(("http://", "https://")):
        item["image_url"] = line.image_url
    return {"id": line.id, "item": item, "quantity": line.quantity, "totals": totals}


def _option(option: ShippingOption) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": option.service,
        "title": option.title,
        "totals": [{"type": "total", "amount": option.price_minor}],
    }
    if option.promotion:
        out["description"] = f"{option.promotion} (was {option.list_price_minor})"
    return out


def _fulfillment(view: SessionView) -> dict[str, Any]:
    ids = [line.id for line in view.lines]
    method: dict[str, Any] = {
        "id": "shipping_1",
        "type": "shipping",
        "line_item_ids": ids,
        "destinations": view.destinations,
        "selected_destination_id": view.selected_destination,
    }
    if view.quote.destination is not None and view.quote.shipping_required:
        method["groups"] = [
            {
                "id": "package_1",
                "line_item_ids": ids,
                "selected_option_id": view.quote.shipping_service,
                "options": [_option(o) for o in view.quote.shipping_options],
            }
        ]
    return {"methods": [method]}


def _message(message: SessionMessage) -> dict[str, Any]:
    return message.model_dump(exclude_none=True)


def checkout(
    settings: Settings, active: dict[str, list[dict[str, Any]]], view: SessionView
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ucp": envelope(settings, active, CHECKOUT),
        "id": view.id,
        "status": view.status,
        "currency": view.currency,
        "line_items": [_line(line) for line in view.lines],
        "totals": _totals(view.quote),
        "links": links(settings),
        "expires_at": _time(view.expires_at),
        "continue_url": f"{base_url(settings)}/?checkout={view.id}",
        "messages": [_message(m) for m in view.messages],
    }
    if view.buyer:
        body["buyer"] = view.buyer
    if view.cart_id and CART in active:
        body["cart_id"] = view.cart_id
    if "dev.ucp.shopping.discount" in active:
        body["discounts"] = _discounts(view)
    if "dev.ucp.shopping.fulfillment" in active:
        body["fulfillment"] = _fulfillment(view)
    if view.order_number:
        body["order"] = {
            "id": view.order_number,
            "label": view.order_number,
            "permalink_url": f"{base_url(settings)}/ucp/v1/orders/{view.order_number}",
        }
    return body


CART_MESSAGES = {"out_of_stock"}  # a cart reports stock and codes; what checkout needs comes at checkout


def cart(settings: Settings, active: dict[str, list[dict[str, Any]]], view: SessionView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ucp": envelope(settings, active, CART),
        "id": view.id,
        "currency": view.currency,
        "line_items": [_line(line) for line in view.lines],
        "totals": _totals(view.quote, cart=True),
        "links": links(settings),
        "expires_at": _time(view.expires_at),
        "continue_url": f"{base_url(settings)}/?cart={view.id}",
        "messages": [_message(m) for m in view.messages if m.type == "warning" or m.code in CART_MESSAGES],
    }
    if view.buyer:
        body["buyer"] = view.buyer
    if "dev.ucp.shopping.discount" in active:
        body["discounts"] = _discounts(view)
    return body


def _discounts(view: SessionView) -> dict[str, Any]:
    return {
        "codes": view.discount_codes,
        "applied": [
            {
                "code": d.code,
                "title": d.title,
                "amount": d.amount_minor,
                "method": "across",
                "priority": i,
                "allocations": [
                    {"path": f"$.line_items[{_index(view, sku)}]", "amount": amount}
                    for sku, amount in d.allocations.items()
                ],
            }
            for i, d in enumerate(view.quote.discounts, start=1)
        ],
    }


def _index(view: SessionView, sku: str) -> int:
    return next(i for i, line in enumerate(view.lines) if line.sku == sku)


def links(settings: Settings) -> list[dict[str, Any]]:
    return [
        {"type": "terms_of_service", "url": f"{base_url(settings)}/#terms"},
        {"type": "privacy_policy", "url": f"{base_url(settings)}/#privacy"},
    ]


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


LINE_STATUS = {
    "fulfilled": "fulfilled",
    "delivered": "fulfilled",
    "refunded": "removed",
    "cancelled": "removed",
}


def order(
    settings: Settings,
    active: dict[str, list[dict[str, Any]]],
    found: OrderPublic,
    quote: Quote | None,
    checkout_id: str,
) -> dict[str, Any]:
    shipped = found.status in ("fulfilled", "delivered")
    lines: list[dict[str, Any]] = [
        {
            "id": f"li_{i}",
            "item": {"id": line.sku, "title": line.title, "price": line.unit_price_minor},
            "quantity": {
                "original": line.quantity,
                "total": line.quantity,
                "fulfilled": line.quantity if shipped else 0,
            },
            "totals": [
                {"type": "subtotal", "amount": line.line_total_minor},
                {
                    "type": "total",
                    "amount": line.line_total_minor - (quote.line_discount(line.sku) if quote else 0),
                },
            ],
            "status": LINE_STATUS.get(found.status, "processing"),
        }
        for i, line in enumerate(found.lines, start=1)
    ]
    events = [
        {
            "id": f"evt_{i}",
            "occurred_at": _time(event.created_at),
            "type": "shipped" if event.status == "fulfilled" else event.status,
            "line_items": [{"id": line["id"], "quantity": line["quantity"]["total"]} for line in lines],
            **(
                {"tracking_number": found.tracking[0]}
                if found.tracking and event.status == "fulfilled"
                else {}
            ),
        }
        for i, event in enumerate(found.history, start=1)
        if event.status in ("fulfilled", "delivered")
    ]
    totals = (
        _totals(quote)
        if quote
        else [
            {"type": "subtotal", "amount": found.total_minor},
            {"type": "total", "amount": found.total_minor},
        ]
    )
    return {
        "ucp": envelope(settings, active, ORDER),
        "id": found.number,
        "label": found.number,
        "checkout_id": checkout_id,
        "permalink_url": f"{base_url(settings)}/ucp/v1/orders/{found.number}",
        "line_items": lines,
        "fulfillment": {"events": events},
        "currency": found.currency,
        "totals": totals,
    }


def error_envelope(settings: Settings, code: str, content: str) -> dict[str, Any]:
    """A business outcome with no resource (``ucp.status: error``), e.g. every item unknown."""
    return {
        "ucp": {"version": VERSION, "status": "error"},
        "messages": [{"type": "error", "code": code, "content": content, "severity": "unrecoverable"}],
        "continue_url": f"{base_url(settings)}/",
    }


def protocol_error(settings: Settings, code: str, content: str) -> dict[str, Any]:
    return {"code": code, "content": content, "continue_url": f"{base_url(settings)}/"}


# --- catalog ---------------------------------------------------------------------------------------------
def _price(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _options(options: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": str(k), "label": str(v)} for k, v in options.items()]


def variant(
    product: ProductPublic, found: VariantPublic, inputs: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    options = " / ".join(found.options.values())
    body: dict[str, Any] = {
        "id": found.sku,
        "sku": found.sku,
        "title": f"{product.title} ({options})" if options else product.title,
        "description": {"plain": product.description or product.title},
        "price": _price(found.price_minor, found.currency),
        "availability": {
            "available": found.in_stock,
            "status": "in_stock" if found.in_stock else "out_of_stock",
        },
        "options": _options(found.options),
    }
    if inputs:
        body["inputs"] = inputs
    return body


def product(
    settings: Settings, found: ProductPublic, inputs: dict[str, list[dict[str, str]]] | None = None
) -> dict[str, Any]:
    """A catalog product; with ``inputs`` (lookup), only the variants a request identifier resolved to."""
    variants = [v for v in found.variants if inputs is None or v.sku in inputs]
    body: dict[str, Any] = {
        "id": found.id,
        "title": found.title,
        "description": {"plain": found.description or found.title},
        "url": f"{base_url(settings)}/?product={found.id}",
        "price_range": {
            "min": _price(found.price_min_minor, found.currency),
            "max": _price(found.price_max_minor, found.currency),
        },
        "variants": [variant(found, v, (inputs or {}).get(v.sku)) for v in variants],
    }
    if found.category:
        body["categories"] = [{"value": found.category}]
    if found.image_url and found.image_url.startswith(("http://", "https://")):
        body["media"] = [{"type": "image", "url": found.image_url, "alt_text": found.title}]
    names: dict[str, list[str]] = {}
    for v in found.variants:
        for name, value in v.options.items():
            names.setdefault(name, [])
            if value not in names[name]:
                names[name].append(value)
    if names:
        body["options"] = [
            {"name": n, "values": [{"label": v} for v in values]} for n, values in names.items()
        ]
    return body
