"""SQL for the storefront: codes, promotions, shipping and tax rates, buyers, addresses, cart choices."""

from __future__ import annotations

import json
from typing import Any, TypedDict, cast
from uuid import UUID

from elara_bot.db import Conn
from elara_bot.storefront.schemas import (
    Address,
    Buyer,
    CartChoices,
    DiscountCode,
    PricedLine,
    Promotion,
    Quote,
    ShippingRate,
    TaxRate,
)


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if k == "currency" and isinstance(v, str) else v) for k, v in row.items()}


# --- configuration -------------------------------------------------------------------------------------
async def discount_codes(conn: Conn, codes: list[str] | None = None) -> dict[str, DiscountCode]:
    where, params = ("WHERE code = ANY(%s)", (codes,)) if codes is not None else ("", ())
    cur = await conn.execute(f"SELECT * FROM discount_codes {where} ORDER BY code", params)
    return {row["code"]: DiscountCode.model_validate(_strip(row)) for row in await cur.fetchall()}


async def upsert_discount(conn: Conn, code: DiscountCode) -> None:
    data = code.model_dump(exclude={"used"})
    cols = list(data)
    await conn.execute(
        f"INSERT INTO discount_codes ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        f" ON CONFLICT (code) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in cols if c != 'code')}",
        tuple(data.values()),
    )


async def delete_row(conn: Conn, table: str, where: dict[str, Any]) -> bool:
    assert table in {"discount_codes", "promotions", "shipping_rates", "tax_rates", "customer_addresses"}
    clause = " AND ".join(f"{k} = %s" for k in where)
    cur = await conn.execute(f"DELETE FROM {table} WHERE {clause}", tuple(where.values()))
    return cur.rowcount > 0


async def use_codes(conn: Conn, codes: list[str]) -> list[str]:
    """Count one use of each code; the codes that had no use left (nothing counted for them)."""
    spent = []
    for code in codes:
        cur = await conn.execute(
            "UPDATE discount_codes SET used = used + 1"
            " WHERE code = %s AND (max_uses IS NULL OR used < max_uses)",
            (code,),
        )
        if cur.rowcount != 1:
            spent.append(code)
    return spent


async def promotions(conn: Conn) -> list[Promotion]:
    cur = await conn.execute("SELECT * FROM promotions ORDER BY id")
    return [Promotion.model_validate(_strip(row)) for row in await cur.fetchall()]


async def upsert_promotion(conn: Conn, promo: Promotion) -> None:
    data = promo.model_dump()
    cols = list(data)
    await conn.execute(
        f"INSERT INTO promotions ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in cols if c != 'id')}",
        tuple(data.values()),
    )


async def shipping_rates(conn: Conn) -> list[ShippingRate]:
    cur = await conn.execute("SELECT * FROM shipping_rates ORDER BY country, service, currency")
    return [ShippingRate.model_validate(_strip(row)) for row in await cur.fetchall()]


async def upsert_shipping_rate(conn: Conn, rate: ShippingRate) -> None:
    data = rate.model_dump()
    cols = list(data)
    keys = ("country", "service", "currency")
    await conn.execute(
        f"INSERT INTO shipping_rates ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        f" ON CONFLICT (country, service, currency) DO UPDATE SET"
        f" {', '.join(f'{c} = EXCLUDED.{c}' for c in cols if c not in keys)}",
        tuple(data.values()),
    )


async def tax_rates(conn: Conn) -> list[TaxRate]:
    cur = await conn.execute("SELECT * FROM tax_rates ORDER BY country, region")
    return [TaxRate.model_validate(row) for row in await cur.fetchall()]


async def upsert_tax_rate(conn: Conn, rate: TaxRate) -> None:
    await conn.execute(
        "INSERT INTO tax_rates (country, region, rate_bp, shipping_taxable) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (country, region) DO UPDATE SET rate_bp = EXCLUDED.rate_bp,"
        " shipping_taxable = EXCLUDED.shipping_taxable",
        (rate.country, rate.region, rate.rate_bp, rate.shipping_taxable),
    )


# --- buyers and addresses ------------------------------------------------------------------------------
class BuyerRow(TypedDict):
    """A customer with the buyer details checkout asks for."""

    id: UUID
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    display_name: str | None


_BUYER = "SELECT id, email, first_name, last_name, phone, display_name FROM customers"


async def customer_by_email(conn: Conn, email: str) -> BuyerRow | None:
    cur = await conn.execute(
        f"{_BUYER} WHERE lower(email) = lower(%s) AND active ORDER BY created_at LIMIT 1", (email,)
    )
    return cast(BuyerRow | None, await cur.fetchone())


async def customer_by_id(conn: Conn, customer_id: UUID) -> BuyerRow | None:
    cur = await conn.execute(f"{_BUYER} WHERE id = %s", (customer_id,))
    return cast(BuyerRow | None, await cur.fetchone())


async def insert_buyer(conn: Conn, buyer: Buyer) -> UUID:
    name = " ".join(p for p in (buyer.first_name, buyer.last_name) if p) or None
    cur = await conn.execute(
        "INSERT INTO customers (display_name, email, first_name, last_name, phone, role)"
        " VALUES (%s, %s, %s, %s, %s, 'shopper') RETURNING id",
        (name, buyer.email, buyer.first_name, buyer.last_name, buyer.phone),
    )
    row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["id"]))


async def update_buyer(conn: Conn, customer_id: UUID, buyer: Buyer) -> None:
    """Fill in what is given, keep what is not."""
    await conn.execute(
        "UPDATE customers SET email = coalesce(%s, email), first_name = coalesce(%s, first_name),"
        " last_name = coalesce(%s, last_name), phone = coalesce(%s, phone),"
        " display_name = coalesce(display_name, nullif(concat_ws(' ', %s::text, %s::text), ''))"
        " WHERE id = %s",
        (
            buyer.email,
            buyer.first_name,
            buyer.last_name,
            buyer.phone,
            buyer.first_name,
            buyer.last_name,
            customer_id,
        ),
    )


ADDRESS_COLUMNS = (
    "label, first_name, last_name, street_address, extended_address, address_locality, address_region,"
    " postal_code, address_country, phone, is_default"
)


async def addresses(conn: Conn, customer_id: UUID) -> list[Address]:
    cur = await conn.execute(
        f"SELECT id, {ADDRESS_COLUMNS} FROM customer_addresses WHERE customer_id = %s"
        " ORDER BY is_default DESC, label",
        (customer_id,),
    )
    return [Address.model_validate(row) for row in await cur.fetchall()]


async def upsert_address(conn: Conn, customer_id: UUID, address: Address) -> None:
    if address.is_default:
        await conn.execute(
            "UPDATE customer_addresses SET is_default = false WHERE customer_id = %s AND label <> %s",
            (customer_id, address.label),
        )
    data = address.model_dump(exclude={"id"})
    await conn.execute(
        f"INSERT INTO customer_addresses (customer_id, {ADDRESS_COLUMNS})"
        f" VALUES (%s, {', '.join(['%s'] * len(data))})"
        " ON CONFLICT (customer_id, label) DO UPDATE SET"
        f" {', '.join(f'{c} = EXCLUDED.{c}' for c in data if c != 'label')}",
        (customer_id, *data.values()),
    )


# --- the chat shopper's open cart ----------------------------------------------------------------------
async def open_cart(conn: Conn, customer_id: UUID) -> int | None:
    cur = await conn.execute(
        "SELECT id FROM carts WHERE customer_id = %s AND status = 'open'", (customer_id,)
    )
    row = await cur.fetchone()
    return int(row["id"]) if row else None


async def cart_lines(conn: Conn, cart_id: int) -> tuple[list[PricedLine], set[str]]:
    """The cart's lines at the catalog's current prices, and the currencies they are in."""
    cur = await conn.execute(
        "SELECT l.sku, v.product_id, p.title, l.quantity, v.price_minor AS unit_price_minor, v.currency"
        " FROM cart_lines l JOIN variants v ON v.sku = l.sku JOIN products p ON p.id = v.product_id"
        " WHERE l.cart_id = %s ORDER BY l.sku",
        (cart_id,),
    )
    rows = await cur.fetchall()
    return [PricedLine.model_validate(r) for r in rows], {str(r["currency"]).strip() for r in rows}


async def cart_choices(conn: Conn, cart_id: int) -> CartChoices:
    cur = await conn.execute("SELECT * FROM cart_choices WHERE cart_id = %s", (cart_id,))
    row = await cur.fetchone()
    if row is None:
        return CartChoices()
    dest = {"country": row["country"], "region": row["region"]} if row["country"] else None
    return CartChoices(
        discount_codes=list(row["discount_codes"]), destination=dest, shipping_service=row["shipping_service"]
    )


async def save_cart_choices(conn: Conn, cart_id: int, choices: CartChoices) -> None:
    dest = choices.destination
    await conn.execute(
        "INSERT INTO cart_choices (cart_id, discount_codes, country, region, shipping_service)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (cart_id) DO UPDATE SET"
        " discount_codes = EXCLUDED.discount_codes, country = EXCLUDED.country, region = EXCLUDED.region,"
        " shipping_service = EXCLUDED.shipping_service",
        (
            cart_id,
            choices.discount_codes,
            dest.country if dest else None,
            dest.region if dest else None,
            choices.shipping_service,
        ),
    )


async def save_order_quote(conn: Conn, order_id: UUID, quote: Quote) -> None:
    await conn.execute(
        "INSERT INTO order_quotes (order_id, quote) VALUES (%s, %s::jsonb)",
        (order_id, json.dumps(quote.model_dump(mode="json"))),
    )


async def order_quote(conn: Conn, order_id: UUID) -> Quote | None:
    cur = await conn.execute("SELECT quote FROM order_quotes WHERE order_id = %s", (order_id,))
    row = await cur.fetchone()
    return Quote.model_validate(row["quote"]) if row else None
