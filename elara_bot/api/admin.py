"""Admin routes (X-Admin-Key): orders, fulfilment, stock, refunds; the storefront's configuration."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import BaseModel, BeforeValidator, Field

from elara_bot.api.auth import AdminKey
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import OrderPublic, OrderStatus
from elara_bot.runtime import OrderChangedHook, Runtime
from elara_bot.storefront import service as storefront
from elara_bot.storefront.schemas import (
    CustomerIn,
    CustomerRecord,
    DiscountCode,
    FixedCodeIn,
    PercentageCodeIn,
    Promotion,
    ShippingRate,
    TaxRate,
)

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
log = logging.getLogger(__name__)


class Fulfil(BaseModel):
    tracking: list[str] = Field(min_length=1, max_length=10, examples=[["1Z999AA10123456784"]])


def _json_number(value: object) -> object:
    """false, true and "7" are refused (422) instead of being read as 0, 1 and 7; 7.0 is JSON's 7 (JSON Schema
    calls it an integer), 7.5 is refused by the int type."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("stock must be a JSON number")
    return value


class StockIn(BaseModel):
    stock: Annotated[int, BeforeValidator(_json_number)] = Field(ge=0, le=1_000_000, examples=[25])


class StockOut(BaseModel):
    sku: str
    stock: int


@router.get("/orders", response_model=list[OrderPublic])
async def list_orders(
    _: AdminKey, conn: ConnDep, status: OrderStatus | None = None, limit: int = Query(100, ge=1, le=500)
) -> list[OrderPublic]:
    return await orders.admin_list_orders(conn, status, limit)


async def announce_changed(hooks: list[OrderChangedHook], number: str) -> None:
    """Tell the subscribers (``runtime.on_order_changed``: UCP order webhooks) of a committed change."""
    for hook in hooks:
        try:
            await hook(number)
        except Exception:
            log.exception("order-changed subscriber failed for %s", number)


def _changed(background: BackgroundTasks, runtime: Runtime, order: OrderPublic) -> OrderPublic:
    """Announce the change after the response (the request's transaction has committed by then)."""
    background.add_task(announce_changed, runtime.on_order_changed, order.number)
    return order


@router.post("/orders/{number}/fulfil", response_model=OrderPublic, responses=error_responses(404, 409))
async def fulfil(
    number: str, body: Fulfil, _: AdminKey, conn: ConnDep, runtime: RuntimeDep, background: BackgroundTasks
) -> OrderPublic:
    return _changed(background, runtime, await orders.mark_fulfilled(conn, number, body.tracking))


@router.post("/orders/{number}/deliver", response_model=OrderPublic, responses=error_responses(404, 409))
async def deliver(
    number: str, _: AdminKey, conn: ConnDep, runtime: RuntimeDep, background: BackgroundTasks
) -> OrderPublic:
    return _changed(background, runtime, await orders.mark_delivered(conn, number))


@router.post("/orders/{number}/refund", response_model=OrderPublic, responses=error_responses(404, 409, 502))
async def refund(
    number: str, _: AdminKey, conn: ConnDep, runtime: RuntimeDep, background: BackgroundTasks
) -> OrderPublic:
    return _changed(background, runtime, await orders.refund_order(conn, number, runtime.provider()))


@router.put("/stock/{sku}", response_model=StockOut, responses=error_responses(404))
async def set_stock(sku: str, body: StockIn, _: AdminKey, conn: ConnDep) -> StockOut:
    return StockOut(sku=sku, stock=await orders.set_stock(conn, sku, body.stock))


# --- storefront: discount codes, promotions, shipping and tax rates, customers (issue 16) ---------------
@router.get("/discounts", response_model=list[DiscountCode])
async def list_discounts(_: AdminKey, conn: ConnDep) -> list[DiscountCode]:
    return await storefront.list_discounts(conn)


DiscountIn = Annotated[PercentageCodeIn | FixedCodeIn, Field(discriminator="kind")]


@router.put("/discounts", response_model=DiscountCode, responses=error_responses(422))
async def save_discount(body: DiscountIn, _: AdminKey, conn: ConnDep) -> DiscountCode:
    """Create or replace a code (by `code`; its use count is kept)."""
    return await storefront.save_discount(conn, body.to_code())


@router.delete("/discounts/{code}", status_code=204, responses=error_responses(404))
async def delete_discount(code: str, _: AdminKey, conn: ConnDep) -> None:
    await storefront.delete(conn, "discount_codes", code=code.strip().upper())


@router.get("/promotions", response_model=list[Promotion])
async def list_promotions(_: AdminKey, conn: ConnDep) -> list[Promotion]:
    return await storefront.list_promotions(conn)


@router.put("/promotions", response_model=Promotion, responses=error_responses(422))
async def save_promotion(body: Promotion, _: AdminKey, conn: ConnDep) -> Promotion:
    return await storefront.save_promotion(conn, body)


@router.delete("/promotions/{promotion_id}", status_code=204, responses=error_responses(404))
async def delete_promotion(promotion_id: str, _: AdminKey, conn: ConnDep) -> None:
    await storefront.delete(conn, "promotions", id=promotion_id)


@router.get("/shipping-rates", response_model=list[ShippingRate])
async def list_shipping_rates(_: AdminKey, conn: ConnDep) -> list[ShippingRate]:
    return await storefront.list_shipping_rates(conn)


@router.put("/shipping-rates", response_model=ShippingRate, responses=error_responses(422))
async def save_shipping_rate(body: ShippingRate, _: AdminKey, conn: ConnDep) -> ShippingRate:
    """Create or replace the rate of one (country, service, currency)."""
    return await storefront.save_shipping_rate(conn, body)


@router.delete(
    "/shipping-rates/{country}/{service}/{currency}", status_code=204, responses=error_responses(404)
)
async def delete_shipping_rate(country: str, service: str, currency: str, _: AdminKey, conn: ConnDep) -> None:
    await storefront.delete(conn, "shipping_rates", country=country, service=service, currency=currency)


@router.get("/tax-rates", response_model=list[TaxRate])
async def list_tax_rates(_: AdminKey, conn: ConnDep) -> list[TaxRate]:
    return await storefront.list_tax_rates(conn)


@router.put("/tax-rates", response_model=TaxRate, responses=error_responses(422))
async def save_tax_rate(body: TaxRate, _: AdminKey, conn: ConnDep) -> TaxRate:
    return await storefront.save_tax_rate(conn, body)


@router.put("/customers", response_model=CustomerRecord, responses=error_responses(422))
async def save_customer(body: CustomerIn, _: AdminKey, conn: ConnDep) -> CustomerRecord:
    """Create or complete a customer by email, with saved addresses (upserted by label)."""
    await storefront.save_customer(conn, CustomerRecord.model_validate(body.model_dump()))
    return await storefront.get_customer(conn, body.email)


@router.get("/customers/{email}", response_model=CustomerRecord, responses=error_responses(404))
async def get_customer(email: str, _: AdminKey, conn: ConnDep) -> CustomerRecord:
    return await storefront.get_customer(conn, email)
