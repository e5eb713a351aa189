"""The cart: one open cart per customer, priced from the database at read time."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from elara_bot.cart import repository as repo
from elara_bot.cart.schemas import CartLine, CartPublic
from elara_bot.db import Conn
from elara_bot.errors import InvalidInput, NotFound, OutOfStock

DEFAULT_CURRENCY = "USD"


def _line(row: dict[str, Any]) -> CartLine:
    unit = int(row["price_minor"])
    return CartLine(
        sku=row["sku"],
        product_id=row["product_id"],
        title=row["title"],
        options={str(k): str(v) for k, v in (row["options"] or {}).items()},
        quantity=int(row["quantity"]),
        unit_price_minor=unit,
        line_total_minor=unit * int(row["quantity"]),
        currency=str(row["currency"]).strip(),
        stock=int(row["stock"]),
    )


async def _render(conn: Conn, cart_id: int) -> CartPublic:
    lines = [_line(r) for r in await repo.cart_lines(conn, cart_id)]
    return CartPublic(
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        total_minor=sum(line.line_total_minor for line in lines),
        currency=lines[0].currency if lines else DEFAULT_CURRENCY,
    )


async def view_cart(conn: Conn, customer_id: UUID) -> CartPublic:
    return await _render(conn, await repo.open_cart_id(conn, customer_id))


def _check_quantity(quantity: int, max_quantity: int, *, allow_zero: bool) -> None:
    lowest = 0 if allow_zero else 1
    if quantity < lowest:
        raise InvalidInput(f"quantity must be at least {lowest}, got {quantity}")
    if quantity > max_quantity:
        raise InvalidInput(f"quantity {quantity} is above the maximum of {max_quantity} per item")


async def _checked_variant(conn: Conn, sku: str, wanted: int) -> None:
    variant = await repo.variant(conn, sku)
    if variant is None or not variant["active"]:
        raise NotFound(f"unknown SKU {sku!r}")
    if wanted > int(variant["stock"]):
        raise OutOfStock(
            f"only {variant['stock']} of {variant['title']} ({sku}) available,"
            f" cannot have {wanted} in the cart"
        )


async def add_item(
    conn: Conn, customer_id: UUID, sku: str, quantity: int, *, max_quantity: int
) -> CartPublic:
    _check_quantity(quantity, max_quantity, allow_zero=False)
    cart_id = await repo.open_cart_id(conn, customer_id)
    wanted = await repo.line_quantity(conn, cart_id, sku) + quantity
    _check_quantity(wanted, max_quantity, allow_zero=False)
    await _checked_variant(conn, sku, wanted)
    await repo.upsert_line(conn, cart_id, sku, wanted)
    return await _render(conn, cart_id)


async def set_quantity(
    conn: Conn, customer_id: UUID, sku: str, quantity: int, *, max_quantity: int
) -> CartPublic:
    _check_quantity(quantity, max_quantity, allow_zero=True)
    if quantity == 0:
        return await remove_item(conn, customer_id, sku)
    cart_id = await repo.open_cart_id(conn, customer_id)
    if await repo.line_quantity(conn, cart_id, sku) == 0:
        raise NotFound(f"{sku!r} is not in the cart")
    await _checked_variant(conn, sku, quantity)
    await repo.upsert_line(conn, cart_id, sku, quantity)
    return await _render(conn, cart_id)


async def remove_item(conn: Conn, customer_id: UUID, sku: str) -> CartPublic:
    cart_id = await repo.open_cart_id(conn, customer_id)
    if await repo.delete_line(conn, cart_id, sku) == 0:
        raise NotFound(f"{sku!r} is not in the cart")
    return await _render(conn, cart_id)


async def clear_cart(conn: Conn, customer_id: UUID) -> CartPublic:
    cart_id = await repo.open_cart_id(conn, customer_id)
    await repo.delete_lines(conn, cart_id)
    return await _render(conn, cart_id)
