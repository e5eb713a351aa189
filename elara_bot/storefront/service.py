"""Storefront services: the quote every checkout totals from, the chat shopper's choices, buyers and their
saved addresses, and the merchant's configuration. Functions take a ``Conn`` and never commit."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound
from elara_bot.storefront import pricing
from elara_bot.storefront import repository as repo
from elara_bot.storefront.schemas import (
    Address,
    Buyer,
    CustomerRecord,
    Destination,
    DiscountCode,
    PricedLine,
    Promotion,
    Quote,
    ShippingRate,
    TaxRate,
)


async def price(
    conn: Conn,
    lines: list[PricedLine],
    currency: str,
    *,
    codes: list[str] | None = None,
    destination: Destination | None = None,
    service: str | None = None,
    now: datetime | None = None,
) -> Quote:
    """The quote for these lines (their prices already read from the catalog) and these choices."""
    wanted = [c.strip().upper() for c in codes or [] if c.strip()]
    return pricing.quote(
        lines,
        currency,
        codes=wanted,
        known_codes=await repo.discount_codes(conn, wanted) if wanted else {},
        promotions=await repo.promotions(conn),
        rates=await repo.shipping_rates(conn),
        taxes=await repo.tax_rates(conn),
        destination=destination,
        service=service,
        now=now or datetime.now(UTC),
    )


def shipping_missing(quote: Quote) -> str | None:
    """Why this quote cannot become an order yet (shipping not chosen), or None."""
    if quote.shipping_chosen:
        return None
    if quote.destination is None:
        return "choose where to ship to first (a country)"
    if not quote.shipping_options:
        return f"we do not ship to {quote.destination.country}"
    names = ", ".join(f"{o.service} ({o.price_minor})" for o in quote.shipping_options)
    return f"choose a shipping service first: {names}"


async def record_order(conn: Conn, order_id: UUID, quote: Quote) -> None:
    """Keep what the order's total is made of and count one use of each applied code (in the order's
    transaction: a code used up meanwhile refuses the order)."""
    spent = await repo.use_codes(conn, [d.code for d in quote.discounts])
    if spent:
        raise Conflict(f"discount code {', '.join(spent)} has just been used up; try again without it")
    await repo.save_order_quote(conn, order_id, quote)


async def order_quote(conn: Conn, order_id: UUID) -> Quote | None:
    return await repo.order_quote(conn, order_id)


# --- the chat shopper's cart ---------------------------------------------------------------------------
async def _cart(conn: Conn, customer_id: UUID) -> tuple[int, list[PricedLine], str]:
    cart_id = await repo.open_cart(conn, customer_id)
    lines, currencies = await repo.cart_lines(conn, cart_id) if cart_id else ([], set())
    if cart_id is None or not lines:
        raise Conflict("the cart is empty")
    if len(currencies) != 1:
        raise InvalidInput(f"the cart mixes currencies {sorted(currencies)}")
    return cart_id, lines, currencies.pop()


async def quote_cart(conn: Conn, customer_id: UUID) -> Quote:
    cart_id, lines, currency = await _cart(conn, customer_id)
    return await quote_for_cart(conn, cart_id, lines, currency)


async def quote_for_cart(conn: Conn, cart_id: int, lines: list[PricedLine], currency: str) -> Quote:
    """The quote of a cart with the choices its shopper made in the chat (checkout totals from this)."""
    choices = await repo.cart_choices(conn, cart_id)
    return await price(
        conn,
        lines,
        currency,
        codes=choices.discount_codes,
        destination=choices.destination,
        service=choices.shipping_service,
    )


async def apply_discount_code(conn: Conn, customer_id: UUID, code: str) -> Quote:
    """Add a code to the open cart; refused (422, with the reason) when it cannot apply."""
    cart_id, lines, currency = await _cart(conn, customer_id)
    choices = await repo.cart_choices(conn, cart_id)
    wanted = code.strip().upper()
    trial = await price(conn, lines, currency, codes=[wanted])
    if trial.rejected_codes:
        raise InvalidInput(f"{wanted}: {trial.rejected_codes[0].reason}")
    choices.discount_codes = list(dict.fromkeys([*choices.discount_codes, wanted]))
    await repo.save_cart_choices(conn, cart_id, choices)
    return await quote_for_cart(conn, cart_id, lines, currency)


async def remove_discount_code(conn: Conn, customer_id: UUID, code: str) -> Quote:
    cart_id, lines, currency = await _cart(conn, customer_id)
    choices = await repo.cart_choices(conn, cart_id)
    choices.discount_codes = [c for c in choices.discount_codes if c != code.strip().upper()]
    await repo.save_cart_choices(conn, cart_id, choices)
    return await quote_for_cart(conn, cart_id, lines, currency)


async def choose_shipping(
    conn: Conn, customer_id: UUID, country: str, service: str | None = None, region: str | None = None
) -> Quote:
    """Set where the cart ships to, and optionally the service (one of that destination's options)."""
    cart_id, lines, currency = await _cart(conn, customer_id)
    try:
        destination = Destination(country=country, region=region)
    except ValueError as exc:
        raise InvalidInput(f"{country!r} is not a two-letter country code") from exc
    choices = await repo.cart_choices(conn, cart_id)
    choices.destination, choices.shipping_service = destination, service
    found = await price(
        conn, lines, currency, codes=choices.discount_codes, destination=destination, service=service
    )
    if service is not None and found.shipping_service != service:
        offered = ", ".join(o.service for o in found.shipping_options) or "none"
        raise InvalidInput(f"no shipping service {service!r} to {destination.country}; offered: {offered}")
    await repo.save_cart_choices(conn, cart_id, choices)
    return found


# --- buyers --------------------------------------------------------------------------------------------
async def customer_for_buyer(conn: Conn, buyer: Buyer) -> UUID:
    """The customer with this email (their details completed), or a new one."""
    if not buyer.email:
        raise InvalidInput("a buyer needs an email")
    found = await repo.customer_by_email(conn, buyer.email)
    if found is None:
        return await repo.insert_buyer(conn, buyer)
    customer_id = found["id"]
    await repo.update_buyer(conn, customer_id, buyer)
    return customer_id


async def saved_addresses(conn: Conn, customer_id: UUID) -> list[Address]:
    return await repo.addresses(conn, customer_id)


async def buyer_details(conn: Conn, customer_id: UUID) -> Buyer:
    row = await repo.customer_by_id(conn, customer_id)
    if row is None:
        raise NotFound("no such customer")
    return Buyer(
        email=row["email"], first_name=row["first_name"], last_name=row["last_name"], phone=row["phone"]
    )


async def save_customer(conn: Conn, record: CustomerRecord) -> UUID:
    customer_id = await customer_for_buyer(conn, record)
    for address in record.addresses:
        await repo.upsert_address(conn, customer_id, address)
    return customer_id


async def get_customer(conn: Conn, email: str) -> CustomerRecord:
    row = await repo.customer_by_email(conn, email)
    if row is None:
        raise NotFound(f"no customer with email {email!r}")
    customer_id = row["id"]
    details = await buyer_details(conn, customer_id)
    return CustomerRecord(
        id=customer_id, **details.model_dump(), addresses=await repo.addresses(conn, customer_id)
    )


# --- the merchant's configuration ------------------------------------------------------------------------
async def list_discounts(conn: Conn) -> list[DiscountCode]:
    return list((await repo.discount_codes(conn)).values())


async def save_discount(conn: Conn, code: DiscountCode) -> DiscountCode:
    await repo.upsert_discount(conn, code)
    return (await repo.discount_codes(conn, [code.code]))[code.code]


async def list_promotions(conn: Conn) -> list[Promotion]:
    return await repo.promotions(conn)


async def save_promotion(conn: Conn, promo: Promotion) -> Promotion:
    await repo.upsert_promotion(conn, promo)
    return promo


async def list_shipping_rates(conn: Conn) -> list[ShippingRate]:
    return await repo.shipping_rates(conn)


async def save_shipping_rate(conn: Conn, rate: ShippingRate) -> ShippingRate:
    await repo.upsert_shipping_rate(conn, rate)
    return rate


async def list_tax_rates(conn: Conn) -> list[TaxRate]:
    return await repo.tax_rates(conn)


async def save_tax_rate(conn: Conn, rate: TaxRate) -> TaxRate:
    await repo.upsert_tax_rate(conn, rate)
    return rate


async def delete(conn: Conn, table: str, **key: str) -> None:
    if not await repo.delete_row(conn, table, key):
        raise NotFound(f"nothing to delete for {key}")
