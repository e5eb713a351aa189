"""The cart: one open cart per customer, priced from the database at read time.

Every write (add, set, remove, clear) first takes the open cart's row lock, the lock checkout takes, so a
customer's cart writes and checkouts run one after another: an acknowledged write is in the cart a later
checkout turns into an order, or lands in the new open cart after it. An add is one statement with its
limits in the WHERE clause, so adds interleaved on one connection count too.
"""

from __future__ import annotations

from uuid import UUID

from elara_bot.cart import repository as repo
from elara_bot.cart.schemas import CartLine, CartPublic
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock

DEFAULT_CURRENCY = "USD"


def _line(row: repo.CartLineRow) -> CartLine:
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
    return _cart(await repo.cart_lines(conn, cart_id))


def _cart(rows: list[repo.CartLineRow]) -> CartPublic:
    lines = [_line(r) for r in rows]
    return CartPublic(
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        total_minor=sum(line.line_total_minor for line in lines),
        currency=lines[0].currency if lines else DEFAULT_CURRENCY,
    )


async def view_cart(conn: Conn, customer_id: UUID) -> CartPublic:
    """The open cart as it is now: one read, which creates nothing (a first write creates the cart)."""
    return _cart(await repo.open_cart_lines(conn, customer_id))


def _check_quantity(quantity: int, max_quantity: int, *, allow_zero: bool) -> None:
    lowest = 0 if allow_zero else 1
    if quantity < lowest:
        raise InvalidInput(f"quantity must be at least {lowest}, got {quantity}")
    if quantity > max_quantity:
        raise Conflict(f"quantity {quantity} is above the maximum of {max_quantity} per item")


async def _checked_variant(conn: Conn, sku: str, wanted: int) -> None:
    variant = await repo.variant(conn, sku)
    if variant is None or not variant["active"]:
        raise NotFound(f"unknown SKU {sku!r}")
    if wanted > int(variant["stock"]):
        raise OutOfStock(
            f"only {variant['stock']} of {variant['title']} ({sku}) available,"
            f" cannot have {wanted} in the cart"
        )


async def _locked_cart(conn: Conn, customer_id: UUID) -> int:
    """Every write holds the open cart's row lock (see `repo.lock_open_cart`)."""
    cart_id = await repo.lock_open_cart(conn, customer_id)
    if cart_id is None:
        raise Conflict("the cart was checked out several times meanwhile; please try again")
    await repo.touch(conn, cart_id)
    return cart_id


async def add_item(
    conn: Conn, customer_id: UUID, sku: str, quantity: int, *, max_quantity: int
) -> CartPublic:
    _check_quantity(quantity, max_quantity, allow_zero=False)
    cart_id = await _locked_cart(conn, customer_id)
    if await repo.add_to_line(conn, cart_id, sku, quantity, max_quantity) is None:
        await _refusal(conn, cart_id, sku, quantity, max_quantity)
    return await _render(conn, cart_id)


async def _refusal(conn: Conn, cart_id: int, sku: str, quantity: int, max_quantity: int) -> None:
    """Why an add was refused: the per-item maximum, an unknown SKU or too little stock."""
    held = await repo.line_quantity(conn, cart_id, sku)
    if held + quantity > max_quantity:
        raise Conflict(
            f"quantity {held + quantity} is above the maximum of {max_quantity} per item"
            + (f" (the cart already holds {held})" if held else "")
        )
    await _checked_variant(conn, sku, held + quantity)
    raise Conflict(f"the cart's line for {sku!r} changed meanwhile; please try again")


async def set_quantity(
    conn: Conn, customer_id: UUID, sku: str, quantity: int, *, max_quantity: int
) -> CartPublic:
    _check_quantity(quantity, max_quantity, allow_zero=True)
    if quantity == 0:
        return await remove_item(conn, customer_id, sku)
    cart_id = await _locked_cart(conn, customer_id)
    if await repo.line_quantity(conn, cart_id, sku) == 0:
        raise NotFound(f"{sku!r} is not in the cart")
    await _checked_variant(conn, sku, quantity)
    if not await repo.set_line(conn, cart_id, sku, quantity):
        raise NotFound(f"{sku!r} is not in the cart")
    return await _render(conn, cart_id)


async def remove_item(conn: Conn, customer_id: UUID, sku: str) -> CartPublic:
    cart_id = await _locked_cart(conn, customer_id)
    if await repo.delete_line(conn, cart_id, sku) == 0:
        raise NotFound(f"{sku!r} is not in the cart")
    return await _render(conn, cart_id)


async def clear_cart(conn: Conn, customer_id: UUID) -> CartPublic:
    cart_id = await _locked_cart(conn, customer_id)
    await repo.delete_lines(conn, cart_id)
    return await _render(conn, cart_id)
