"""The shopper's cart."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from elara_bot.api.auth import CurrentShopper
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.cart import service as cart
from elara_bot.cart.schemas import CartPublic

router = APIRouter(prefix="/api/v1/cart", tags=["cart"])


class AddItem(BaseModel):
    sku: str = Field(min_length=1, max_length=100, examples=["BOOT-10"])
    quantity: int = Field(default=1, ge=1, examples=[1])


class SetQuantity(BaseModel):
    quantity: int = Field(ge=0, examples=[2], description="0 removes the line")


@router.get("", response_model=CartPublic)
async def view_cart(shopper: CurrentShopper, conn: ConnDep) -> CartPublic:
    return await cart.view_cart(conn, shopper.id)


# OpenAPI links (documentation): a line of the cart can be changed or removed next
LINE_LINKS = {
    name: {"operationId": operation, "parameters": {"sku": "$response.body#/lines/0/sku"}}
    for name, operation in {
        "SetQuantity": "set_quantity_api_v1_cart_items__sku__patch",
        "RemoveItem": "remove_item_api_v1_cart_items__sku__delete",
    }.items()
}


@router.post(
    "/items",
    response_model=CartPublic,
    responses={**error_responses(404, 409), 200: {"description": "The cart", "links": LINE_LINKS}},
)
async def add_item(body: AddItem, shopper: CurrentShopper, conn: ConnDep, runtime: RuntimeDep) -> CartPublic:
    limit = runtime.settings.max_item_quantity
    return await cart.add_item(conn, shopper.id, body.sku, body.quantity, max_quantity=limit)


@router.patch("/items/{sku}", response_model=CartPublic, responses=error_responses(404, 409))
async def set_quantity(
    sku: str, body: SetQuantity, shopper: CurrentShopper, conn: ConnDep, runtime: RuntimeDep
) -> CartPublic:
    limit = runtime.settings.max_item_quantity
    return await cart.set_quantity(conn, shopper.id, sku, body.quantity, max_quantity=limit)


@router.delete("/items/{sku}", response_model=CartPublic, responses=error_responses(404, 409))
async def remove_item(sku: str, shopper: CurrentShopper, conn: ConnDep) -> CartPublic:
    return await cart.remove_item(conn, shopper.id, sku)
