"""The shopper's orders: list, status, cancel, returns."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from elara_bot.api.auth import CurrentShopper
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.orders import service as orders
from elara_bot.orders.schemas import OrderPublic

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


class ReturnRequest(BaseModel):
    skus: list[str] = Field(min_length=1, max_length=50, examples=[["BOOT-10"]])
    reason: str | None = Field(default=None, max_length=500, examples=["too small"])


@router.get("", response_model=list[OrderPublic])
async def list_orders(shopper: CurrentShopper, conn: ConnDep) -> list[OrderPublic]:
    return await orders.list_orders(conn, shopper.id)


@router.get("/{number}", response_model=OrderPublic, responses=error_responses(404))
async def get_order(number: str, shopper: CurrentShopper, conn: ConnDep) -> OrderPublic:
    return await orders.get_order(conn, shopper.id, number)


@router.post("/{number}/cancel", response_model=OrderPublic, responses=error_responses(404, 409, 502))
async def cancel_order(
    number: str, shopper: CurrentShopper, conn: ConnDep, runtime: RuntimeDep
) -> OrderPublic:
    return await orders.cancel_order(conn, shopper.id, number, runtime.provider())


@router.post("/{number}/returns", response_model=OrderPublic, responses=error_responses(404, 409))
async def request_return(
    number: str, body: ReturnRequest, shopper: CurrentShopper, conn: ConnDep
) -> OrderPublic:
    return await orders.request_return(conn, shopper.id, number, body.skus, body.reason)
