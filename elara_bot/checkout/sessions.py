"""Checkout sessions: a platform's checkout (the UCP checkout capability) before it becomes an order.

A session holds item ids (SKUs) and quantities, the buyer, discount codes, destinations and the chosen
shipping service; prices, titles and every total are read from the catalog and the storefront each time it
is shown. Its status follows the protocol: ``incomplete`` while something is missing (buyer email, a
destination, a shipping option, stock), ``ready_for_complete`` when it can become an order, then
``completed`` (the order is placed and paid, through the same reservation, order and payment rules as a
chat checkout) or ``canceled``. A completed or canceled session can no longer change.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from elara_bot.checkout import service as checkout_service
from elara_bot.checkout import sessions_repository as repo
from elara_bot.checkout.repository import CheckoutLineRow
from elara_bot.checkout.sessions_repository import LineRef, SessionRow, VariantRow
from elara_bot.db import Conn
from elara_bot.errors import Conflict, ElaraError, InvalidInput, NotFound
from elara_bot.orders import charges_repository as charge_journal
from elara_bot.orders import repository as orders_repo
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import OrderPublic
from elara_bot.payments.base import PaymentEvent, PaymentEventKind, PaymentProvider
from elara_bot.storefront import service as storefront
from elara_bot.storefront.schemas import Address, Buyer, Destination, Quote

TTL = timedelta(hours=6)
FINAL = repo.FINAL
MAX_LINES = 100


class SessionLineIn(BaseModel):
    id: str | None = Field(None, max_length=64)
    sku: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=10_000)


class SessionInput(BaseModel):
    """What a platform may set; ``None`` keeps what the session has."""

    lines: list[SessionLineIn] | None = Field(None, max_length=MAX_LINES)
    buyer: dict[str, Any] | None = None
    discount_codes: list[str] | None = Field(None, max_length=20)
    destinations: list[dict[str, Any]] | None = Field(None, max_length=20)
    selected_destination: str | None = None
    shipping_service: str | None = None


class SessionLine(BaseModel):
    id: str
    sku: str
    quantity: int
    title: str
    unit_price_minor: int
    image_url: str | None = None
    discount_minor: int = 0
    stock: int = 0


class SessionMessage(BaseModel):
    type: Literal["error", "warning", "info"]
    code: str
    content: str
    severity: (
        Literal["recoverable", "requires_buyer_input", "requires_buyer_review", "unrecoverable"] | None
    ) = None
    path: str | None = None


class SessionView(BaseModel):
    id: str
    status: str
    currency: str
    lines: list[SessionLine]
    buyer: dict[str, Any] | None
    discount_codes: list[str]
    destinations: list[dict[str, Any]]
    selected_destination: str | None
    quote: Quote
    messages: list[SessionMessage]
    order_number: str | None = None
    expires_at: datetime
    webhook_url: str | None = None
    kind: Literal["checkout", "cart"] = "checkout"
    cart_id: str | None = None


class ItemProblem(ElaraError):
    """A create whose items cannot be sold at all: no session is made (the protocol's error envelope)."""

    status_code = 200

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


Charge = Callable[[int, str, str], Awaitable[str]]  # (amount, currency, idempotency key) -> charge reference


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def _title(row: VariantRow) -> str:
    options = " / ".join(str(v) for v in (row["options"] or {}).values())
    return f"{row['title']} ({options})" if options else str(row["title"])


async def _checked_lines(conn: Conn, lines: list[SessionLineIn]) -> list[LineRef]:
    """Session lines with ids, every item known and sold (else ``ItemProblem``), one currency."""
    if not lines:
        raise InvalidInput("a checkout needs at least one line item")
    known = await repo.variants(conn, [line.sku for line in lines])
    for i, line in enumerate(lines):
        row = known.get(line.sku)
        if row is None:
            raise ItemProblem(f"unknown item {line.sku!r} (line_items[{i}])", "not_found")
        if not row["active"]:
            raise ItemProblem(f"item {line.sku!r} is no longer sold (line_items[{i}])", "item_unavailable")
    if len({str(known[line.sku]["currency"]).strip() for line in lines}) != 1:
        raise InvalidInput("the items are priced in different currencies; check them out separately")
    merged: dict[str, LineRef] = {}
    for i, line in enumerate(lines):
        if line.sku in merged:
            merged[line.sku]["quantity"] += line.quantity
        else:
            merged[line.sku] = {"id": line.id or f"li_{i + 1}", "sku": line.sku, "quantity": line.quantity}
    return list(merged.values())


def _destination(raw: dict[str, Any], index: int) -> dict[str, Any]:
    country = str(raw.get("address_country") or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput(f"destinations[{index}].address_country must be a two-letter country code")
    allowed = set(Address.model_fields) | {"phone_number"}
    kept = {k: v for k, v in raw.items() if k in allowed and isinstance(v, str)}
    kept = {k: v for k, v in kept.items() if k not in ("label", "is_default")}
    return {**kept, "address_country": country, "id": str(raw.get("id") or f"dest_{index + 1}")}


def _saved(address: Address) -> dict[str, Any]:
    data = address.model_dump(exclude={"id", "label", "is_default", "phone"}, exclude_none=True)
    if address.phone:
        data["phone_number"] = address.phone
    return {**data, "id": f"addr_{address.label}"}


async def _buyer(conn: Conn, raw: dict[str, Any] | None) -> tuple[dict[str, Any] | None, UUID | None]:
    """The buyer as given, and the customer their email names (created on first sight)."""
    if not raw:
        return None, None
    fields = {"email": "email", "first_name": "first_name", "last_name": "last_name", "phone": "phone_number"}
    try:
        buyer = Buyer.model_validate({ours: raw.get(theirs) for ours, theirs in fields.items()})
    except ValueError as exc:
        raise InvalidInput("buyer: email, first_name, last_name and phone_number must be text") from exc
    if not buyer.email:
        return raw, None
    if "@" not in buyer.email:
        raise InvalidInput("buyer.email is not an email address")
    return raw, await storefront.customer_for_buyer(conn, buyer)


async def create(
    conn: Conn,
    data: SessionInput,
    *,
    platform_profile: str | None,
    webhook_url: str | None,
    kind: Literal["checkout", "cart"] = "checkout",
) -> SessionView:
    """A new checkout session, or a cart (kind ``cart``: line items, buyer and codes only)."""
    lines = await _checked_lines(conn, data.lines or [])
    currency = str((await repo.variants(conn, [lines[0]["sku"]]))[lines[0]["sku"]]["currency"]).strip()
    session_id = _new_id("chk" if kind == "checkout" else "cart")
    expires = datetime.now(UTC) + TTL
    await repo.insert(conn, session_id, kind, currency, lines, platform_profile, webhook_url, expires)
    return await update(conn, session_id, data.model_copy(update={"lines": None}), _fresh=True)


async def checkout_from_cart(
    conn: Conn, cart_id: str, data: SessionInput, *, platform_profile: str | None, webhook_url: str | None
) -> SessionView:
    """The cart's open checkout if it has one, else a new checkout started from the cart's line items,
    buyer and codes (the cart's contents win over the request's; its fulfillment input still applies)."""
    cart = await _row(conn, cart_id, lock=True)
    if cart["kind"] != "cart" or cart["status"] == "canceled":
        raise NotFound(f"no cart {cart_id!r}")
    if (open_checkout := await repo.open_checkout_of_cart(conn, cart_id)) is not None:
        return await get(conn, open_checkout)
    lines = [
        SessionLineIn(id=line["id"], sku=line["sku"], quantity=line["quantity"]) for line in cart["lines"]
    ]
    started = data.model_copy(
        update={
            "lines": lines,
            "buyer": cart["buyer"] or data.buyer,
            "discount_codes": list(cart["discount_codes"]),
        }
    )
    view = await create(conn, started, platform_profile=platform_profile, webhook_url=webhook_url)
    await repo.set_cart(conn, view.id, cart_id)
    return await get(conn, view.id)


async def _row(conn: Conn, session_id: str, *, lock: bool = False) -> SessionRow:
    row = await repo.row(conn, session_id, lock=lock)
    if row is None:
        raise NotFound(f"no checkout session {session_id!r}")
    if row["status"] not in FINAL and row["expires_at"] <= datetime.now(UTC):
        await repo.expire(conn, session_id)
        row["status"] = "canceled"
    return row


def _modifiable(row: SessionRow) -> None:
    if row["status"] in FINAL:
        raise Conflict(f"checkout session {row['id']} is {row['status']} and can no longer be changed")


async def update(conn: Conn, session_id: str, data: SessionInput, *, _fresh: bool = False) -> SessionView:
    row = await _row(conn, session_id, lock=True)
    _modifiable(row)
    changes: dict[str, Any] = {}
    if data.lines is not None:
        changes["lines"] = await _checked_lines(conn, data.lines)
    customer_id = row["customer_id"]
    if data.buyer is not None:
        buyer, customer_id = await _buyer(conn, data.buyer)
        changes["buyer"], changes["customer_id"] = buyer, customer_id
    if data.discount_codes is not None:
        changes["discount_codes"] = [c.strip().upper() for c in data.discount_codes if c.strip()]
    destinations = row["destinations"]
    if data.destinations is not None:
        destinations = [_destination(d, i) for i, d in enumerate(data.destinations)]
    if not destinations and customer_id is not None:  # the buyer's saved addresses, default first
        destinations = [_saved(a) for a in await storefront.saved_addresses(conn, customer_id)]
    if destinations != row["destinations"]:
        changes["destinations"] = destinations
    selected = data.selected_destination or row["selected_destination"]
    ids = [d["id"] for d in destinations]
    if data.selected_destination is not None and data.selected_destination not in ids:
        raise InvalidInput(f"no destination {data.selected_destination!r} in this checkout")
    if selected not in ids:
        selected = ids[0] if len(ids) == 1 or (ids and ids[0].startswith("addr_")) else None
    changes["selected_destination"] = selected
    if data.shipping_service is not None:
        changes["shipping_service"] = data.shipping_service
    elif selected != row["selected_destination"]:
        changes["shipping_service"] = None  # options are per destination: choose again
    await repo.write(conn, session_id, changes)
    return await _refresh(conn, session_id)


async def _refresh(conn: Conn, session_id: str) -> SessionView:
    """Recompute the session and store its status."""
    view = await _view(conn, await _row(conn, session_id))
    if view.status not in FINAL:
        errors = [m for m in view.messages if m.type == "error"]
        status = "incomplete" if errors else "ready_for_complete"
        await repo.set_status(conn, session_id, status)
        view.status = status
    return view


def _chosen_destination(row: SessionRow) -> dict[str, Any] | None:
    return next((d for d in row["destinations"] if d["id"] == row["selected_destination"]), None)


async def _view(conn: Conn, row: SessionRow) -> SessionView:
    known = await repo.variants(conn, [line["sku"] for line in row["lines"]])
    lines = [
        SessionLine(
            id=line["id"],
            sku=line["sku"],
            quantity=line["quantity"],
            title=_title(known[line["sku"]]),
            unit_price_minor=int(known[line["sku"]]["price_minor"]),
            image_url=known[line["sku"]]["image_url"],
            stock=int(known[line["sku"]]["stock"]),
        )
        for line in row["lines"]
    ]
    chosen = _chosen_destination(row)
    dest = (
        Destination(country=chosen["address_country"], region=chosen.get("address_region"))
        if chosen
        else None
    )
    order = await _order_of(conn, row)
    quote = await (
        storefront.order_quote(conn, row["order_id"]) if row["order_id"] else _no_quote()
    ) or await storefront.price(
        conn,
        checkout_service.priced([_as_checkout_line(line, known) for line in lines]),
        str(row["currency"]).strip(),
        codes=list(row["discount_codes"]),
        destination=dest,
        service=row["shipping_service"],
    )
    for line in lines:
        line.discount_minor = quote.line_discount(line.sku)
    return SessionView(
        id=row["id"],
        status=row["status"],
        currency=str(row["currency"]).strip(),
        lines=lines,
        buyer=row["buyer"],
        discount_codes=list(row["discount_codes"]),
        destinations=row["destinations"],
        selected_destination=row["selected_destination"],
        quote=quote,
        messages=[] if row["status"] in FINAL else _messages(row, lines, quote),
        order_number=order.number if order else None,
        expires_at=row["expires_at"],
        webhook_url=row["webhook_url"],
        kind=row["kind"],
        cart_id=row["cart_id"],
    )


async def _no_quote() -> Quote | None:
    return None


async def _order_of(conn: Conn, row: SessionRow) -> OrderPublic | None:
    if row["order_id"] is None or row["customer_id"] is None:  # an order always has its buyer
        return None
    number = await repo.order_number(conn, row["order_id"])
    return await orders.get_order(conn, row["customer_id"], number) if number else None


def _as_checkout_line(line: SessionLine, known: dict[str, VariantRow]) -> CheckoutLineRow:
    row = known[line.sku]
    return CheckoutLineRow(
        sku=line.sku,
        product_id=row["product_id"],
        title=row["title"],
        options=row["options"] or {},
        quantity=line.quantity,
        unit_price_minor=int(row["price_minor"]),
        currency=str(row["currency"]).strip(),
        active=bool(row["active"]),
    )


def _messages(row: SessionRow, lines: list[SessionLine], quote: Quote) -> list[SessionMessage]:
    out: list[SessionMessage] = []
    for i, line in enumerate(lines):
        if line.stock < line.quantity:
            text = f"only {line.stock} of {line.title} left, {line.quantity} asked for"
            out.append(_error("out_of_stock", text, f"$.line_items[{i}].quantity"))
    if not (row["buyer"] or {}).get("email"):
        out.append(_error("missing", "the buyer's email is required", "$.buyer.email"))
    fulfillment = "$.fulfillment.methods[0]"
    if quote.shipping_required and quote.destination is None:
        out.append(
            _error("missing", "a shipping destination is required", f"{fulfillment}.selected_destination_id")
        )
    elif quote.shipping_required and not quote.shipping_options:
        out.append(
            _error(
                "address_undeliverable", "we do not ship to this destination", f"{fulfillment}.destinations"
            )
        )
    elif not quote.shipping_chosen:
        path = f"{fulfillment}.groups[0].selected_option_id"
        out.append(_error("missing", "choose a shipping option", path))
    for rejected in quote.rejected_codes:
        index = (
            list(row["discount_codes"]).index(rejected.code) if rejected.code in row["discount_codes"] else 0
        )
        code = (
            "discount_code_user_ineligible"
            if rejected.kind == "ineligible"
            else f"discount_code_{rejected.kind}"
        )
        out.append(
            SessionMessage(
                type="warning",
                code=code,
                content=f"{rejected.code}: {rejected.reason}",
                path=f"$.discounts.codes[{index}]",
            )
        )
    return out


def _error(code: str, content: str, path: str) -> SessionMessage:
    return SessionMessage(type="error", code=code, content=content, severity="recoverable", path=path)


async def get(conn: Conn, session_id: str) -> SessionView:
    row = await _row(conn, session_id)
    return await _view(conn, row) if row["status"] in FINAL else await _refresh(conn, session_id)


async def cancel(conn: Conn, session_id: str) -> SessionView:
    row = await _row(conn, session_id, lock=True)
    _modifiable(row)
    await repo.cancel(conn, session_id)
    row["status"] = "canceled"
    return await _view(conn, row)


async def complete(
    conn: Conn, session_id: str, charge: Charge, provider_name: str, refunds: PaymentProvider
) -> SessionView:
    """Place the order (stock reserved, total from the quote) and take the payment, in the caller's
    transaction: a declined payment (402) or missing stock (409) rolls everything back, so nothing is
    reserved or charged twice; the charge's idempotency key is the session's own."""
    row = await _row(conn, session_id, lock=True)
    _modifiable(row)
    view = await _refresh(conn, session_id)
    if view.status != "ready_for_complete":
        raise InvalidInput("the checkout is not ready: " + "; ".join(m.content for m in view.messages))
    known = await repo.variants(conn, [line.sku for line in view.lines])
    lines = [_as_checkout_line(line, known) for line in view.lines]
    customer_id = row["customer_id"]
    if customer_id is None:  # a ready checkout has a buyer; never place an order without one
        raise InvalidInput("the checkout has no buyer")
    order = await _place(conn, customer_id, lines, view.quote, _shipping_address(row))
    reference = await charge(view.quote.total_minor, view.currency, f"ucp-charge-{session_id}")
    # the charge is the order's payment session: a refund (the admin's, a cancel's) goes to it
    await orders_repo.set_payment_session(
        conn, order["id"], provider_name, reference, "", view.quote.total_minor, view.currency
    )
    event = PaymentEvent(
        provider=provider_name,
        event_id=f"{provider_name}:{reference}",
        kind=PaymentEventKind.PAID,
        order_id=order["id"],
        session_id=reference,
        amount_minor=view.quote.total_minor,
        currency=view.currency,
    )
    outcome = await orders.apply_payment(conn, event, refunds)
    if outcome.paid_order is None:
        raise Conflict("the payment could not be matched to the order; nothing was completed")
    await repo.mark_completed(conn, session_id, order["id"])
    # in the order's transaction: the charge journal says "settled" exactly when the order exists
    await charge_journal.settle(conn, reference, order["id"])
    return await _view(conn, await _row(conn, session_id))


def _shipping_address(row: SessionRow) -> dict[str, Any] | None:
    return _chosen_destination(row)


async def _place(
    conn: Conn, customer_id: UUID, lines: list[CheckoutLineRow], quote: Quote, address: dict[str, Any] | None
) -> orders_repo.NewOrder:
    until = datetime.now(UTC) + TTL
    async with conn.transaction():
        await checkout_service.reserve(conn, lines)
        order = await orders_repo.insert_order(conn, customer_id, quote.currency, quote.total_minor, until)
        for line in lines:
            await orders_repo.insert_line(conn, order["id"], line)
        await storefront.record_order(conn, order["id"], quote)
        if address:
            await repo.set_shipping_address(conn, order["id"], address)
    return order


async def session_for_order(conn: Conn, order_id: UUID) -> repo.OrderLink | None:
    return await repo.session_for_order(conn, order_id)
