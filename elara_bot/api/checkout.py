"""POST /api/v1/checkout: the cart becomes an order with reserved stock and a payment page.

No request-long connection here (no ``ConnDep``): the checkout service commits the reservation, asks the
payment provider with no connection held, then records the session, so a slow provider neither holds
stock locks nor drains the pool.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from elara_bot.api.auth import ChatShopper
from elara_bot.api.deps import RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.checkout import service as checkout_service
from elara_bot.checkout.schemas import CheckoutResult

router = APIRouter(prefix="/api/v1", tags=["checkout"])

PROVIDER_DOWN: dict[int | str, dict[str, Any]] = {
    **error_responses(404, 409),
    502: {"description": "the payment page could not be opened: the order was released, the cart restored"},
}


# OpenAPI links (documentation): the new order's number feeds the order routes
ORDER_LINKS = {
    name: {"operationId": operation, "parameters": {"number": "$response.body#/order/number"}}
    for name, operation in {
        "GetOrder": "get_order_api_v1_orders__number__get",
        "CancelOrder": "cancel_order_api_v1_orders__number__cancel_post",
        "PayOrder": "resume_payment_api_v1_orders__number__pay_post",
        "ReturnOrder": "request_return_api_v1_orders__number__returns_post",
        "FulfilOrder": "fulfil_api_v1_admin_orders__number__fulfil_post",
        "RefundOrder": "refund_api_v1_admin_orders__number__refund_post",
    }.items()
}


@router.post(
    "/checkout",
    response_model=CheckoutResult,
    status_code=201,
    responses={**PROVIDER_DOWN, 201: {"description": "The order and its payment page", "links": ORDER_LINKS}},
)
async def checkout(shopper: ChatShopper, runtime: RuntimeDep) -> CheckoutResult:
    return await checkout_service.checkout(runtime.pool, shopper.id, runtime.provider(), runtime.settings)


@router.post("/orders/{number}/pay", response_model=CheckoutResult, responses=PROVIDER_DOWN)
async def resume_payment(number: str, shopper: ChatShopper, runtime: RuntimeDep) -> CheckoutResult:
    """The payment page of a pending order (the one already opened, or a new one)."""
    return await checkout_service.open_payment(
        runtime.pool, shopper.id, number, runtime.provider(), runtime.settings
    )
