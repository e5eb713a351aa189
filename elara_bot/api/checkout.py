"""POST /api/v1/checkout: the cart becomes an order with reserved stock and a payment page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from elara_bot.api.auth import CurrentShopper
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.checkout import service as checkout_service
from elara_bot.checkout.schemas import CheckoutResult

router = APIRouter(prefix="/api/v1", tags=["checkout"])

PROVIDER_DOWN: dict[int | str, dict[str, Any]] = {
    502: {"description": "the order is kept (pending_payment); retry /orders/{number}/pay"}
}


def _render(result: CheckoutResult, status: int) -> JSONResponse | CheckoutResult:
    if result.payment_error:  # a response, not an exception: the pending order is committed
        body = {"error": "PaymentError", "detail": result.payment_error, "order": result.order.number}
        return JSONResponse(body, status_code=502)
    return result


@router.post("/checkout", response_model=CheckoutResult, status_code=201, responses=PROVIDER_DOWN)
async def checkout(
    shopper: CurrentShopper, conn: ConnDep, runtime: RuntimeDep
) -> JSONResponse | CheckoutResult:
    result = await checkout_service.checkout(conn, shopper.id, runtime.payments, runtime.settings)
    return _render(result, 201)


@router.post("/orders/{number}/pay", response_model=CheckoutResult, responses=PROVIDER_DOWN)
async def resume_payment(
    number: str, shopper: CurrentShopper, conn: ConnDep, runtime: RuntimeDep
) -> JSONResponse | CheckoutResult:
    result = await checkout_service.resume_payment(
        conn, shopper.id, number, runtime.payments, runtime.settings
    )
    return _render(result, 200)
