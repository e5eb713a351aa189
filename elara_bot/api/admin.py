"""Admin routes (X-Admin-Key): orders, fulfilment, stock, refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, Field

from elara_bot.api.auth import AdminKey
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import OrderPublic, OrderStatus

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


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


@router.post("/orders/{number}/fulfil", response_model=OrderPublic, responses=error_responses(404, 409))
async def fulfil(number: str, body: Fulfil, _: AdminKey, conn: ConnDep) -> OrderPublic:
    return await orders.mark_fulfilled(conn, number, body.tracking)


@router.post("/orders/{number}/deliver", response_model=OrderPublic, responses=error_responses(404, 409))
async def deliver(number: str, _: AdminKey, conn: ConnDep) -> OrderPublic:
    return await orders.mark_delivered(conn, number)


@router.post("/orders/{number}/refund", response_model=OrderPublic, responses=error_responses(404, 409, 502))
async def refund(number: str, _: AdminKey, conn: ConnDep, runtime: RuntimeDep) -> OrderPublic:
    return await orders.refund_order(conn, number, runtime.provider())


@router.put("/stock/{sku}", response_model=StockOut, responses=error_responses(404))
async def set_stock(sku: str, body: StockIn, _: AdminKey, conn: ConnDep) -> StockOut:
    return StockOut(sku=sku, stock=await orders.set_stock(conn, sku, body.stock))
