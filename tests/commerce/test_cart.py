from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elara_bot.cart import service as cart
from elara_bot.customers.service import customer_for_identity, get_customer
from elara_bot.db import Conn
from elara_bot.errors import Conflict, InvalidInput, NotFound, OutOfStock


async def test_customer_for_identity_is_get_or_create(cconn: Conn) -> None:
    a = await customer_for_identity(cconn, "telegram", "42", display_name="Ann")
    b = await customer_for_identity(cconn, "telegram", "42")
    assert a.id == b.id
    assert b.display_name == "Ann"
    assert b.role == "shopper"
    other = await customer_for_identity(cconn, "slack", "42")
    assert other.id != a.id
    assert (await get_customer(cconn, a.id)).id == a.id


async def test_cart_add_change_remove_clear(cconn: Conn) -> None:
    me = await customer_for_identity(cconn, "web", "s1")
    view = await cart.add_item(cconn, me.id, "LAMP-W", 2, max_quantity=20)
    view = await cart.add_item(cconn, me.id, "MUG-1", 1, max_quantity=20)
    view = await cart.add_item(cconn, me.id, "LAMP-W", 1, max_quantity=20)
    assert {(line.sku, line.quantity) for line in view.lines} == {("LAMP-W", 3), ("MUG-1", 1)}
    assert view.total_minor == 3 * 3_450 + 899
    assert view.item_count == 4
    view = await cart.set_quantity(cconn, me.id, "LAMP-W", 1, max_quantity=20)
    assert view.total_minor == 3_450 + 899
    view = await cart.set_quantity(cconn, me.id, "LAMP-W", 0, max_quantity=20)
    assert [line.sku for line in view.lines] == ["MUG-1"]
    view = await cart.remove_item(cconn, me.id, "MUG-1")
    assert view.lines == []
    assert view.total_minor == 0
    await cart.add_item(cconn, me.id, "MUG-1", 2, max_quantity=20)
    assert (await cart.clear_cart(cconn, me.id)).item_count == 0


async def test_cart_refuses_bad_input_with_reasons(cconn: Conn) -> None:
    me = await customer_for_identity(cconn, "web", "s2")
    with pytest.raises(OutOfStock, match=r"only 1 of \w.* \(BOOT-11\) available"):
        await cart.add_item(cconn, me.id, "BOOT-11", 2, max_quantity=20)
    with pytest.raises(OutOfStock, match=r"only 0 of Desk Lamp \(LAMP-B\)"):
        await cart.add_item(cconn, me.id, "LAMP-B", 1, max_quantity=20)
    with pytest.raises(NotFound, match="unknown SKU"):
        await cart.add_item(cconn, me.id, "NOPE", 1, max_quantity=20)
    with pytest.raises(InvalidInput):
        await cart.add_item(cconn, me.id, "MUG-1", -1, max_quantity=20)
    with pytest.raises(Conflict, match="maximum of 20"):
        await cart.add_item(cconn, me.id, "MUG-1", 21, max_quantity=20)
    with pytest.raises(NotFound):
        await cart.remove_item(cconn, me.id, "MUG-1")


async def test_carts_are_private(cconn: Conn) -> None:
    a = await customer_for_identity(cconn, "web", "a")
    b = await customer_for_identity(cconn, "web", "b")
    await cart.add_item(cconn, a.id, "MUG-1", 1, max_quantity=20)
    assert (await cart.view_cart(cconn, b.id)).lines == []


SKUS = ["BOOT-10", "LAMP-W", "MUG-1"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=6),
    prices=st.lists(st.integers(0, 1_000_000), min_size=3, max_size=3),
)
async def test_cart_total_equals_database_prices_times_quantities(
    cconn: Conn, ops: list[tuple[str, int]], prices: list[int]
) -> None:
    async with cconn.transaction(force_rollback=True):
        for sku, price in zip(SKUS, prices, strict=True):
            await cconn.execute("UPDATE variants SET price_minor = %s WHERE sku = %s", (price, sku))
        me = await customer_for_identity(cconn, "web", "prop")
        for sku, qty in ops:
            try:
                await cart.add_item(cconn, me.id, sku, qty, max_quantity=20)
            except (OutOfStock, InvalidInput):
                pass
        view = await cart.view_cart(cconn, me.id)
        cur = await cconn.execute(
            "SELECT coalesce(sum(v.price_minor * l.quantity), 0) AS total FROM cart_lines l"
            " JOIN carts c ON c.id = l.cart_id JOIN variants v ON v.sku = l.sku"
            " WHERE c.customer_id = %s AND c.status = 'open'",
            (me.id,),
        )
        row = await cur.fetchone()
        assert row is not None
        assert view.total_minor == row["total"]
        assert view.total_minor == sum(line.unit_price_minor * line.quantity for line in view.lines)
