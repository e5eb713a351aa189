"""POST /webhooks/stripe: signature checked on the raw body; replays are answered 200 and ignored.

A malformed but signed body is a 400. A refund that Stripe refuses (a late payment) answers 502 with the
transaction rolled back, so Stripe delivers the event again later. Paid orders and merchant alerts are
announced after the commit.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Header, Request
from pydantic import BaseModel

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.errors import NotFound
from elara_bot.orders.announcements import announce
from elara_bot.orders.schemas import PaymentOutcome
from elara_bot.orders.service import apply_payment
from elara_bot.payments.base import WebhookParser

router = APIRouter(tags=["webhooks"])


class WebhookAck(BaseModel):
    received: bool
    applied: bool


@router.post("/webhooks/stripe", response_model=WebhookAck, responses=error_responses(400, 404, 502, 503))
async def stripe_webhook(
    request: Request,
    runtime: RuntimeDep,
    conn: ConnDep,
    background: BackgroundTasks,
    stripe_signature: str | None = Header(default=None),
) -> WebhookAck:
    provider = runtime.payments
    if not isinstance(provider, WebhookParser):
        raise NotFound("Stripe is not the configured payment provider")
    event = provider.parse_webhook(await request.body(), stripe_signature)
    outcome = await apply_payment(conn, event, runtime.provider()) if event is not None else PaymentOutcome()
    if outcome.paid_order or outcome.alert:
        background.add_task(announce, runtime.pool, runtime.on_order_paid, runtime.on_payment_alert, outcome)
    return WebhookAck(received=True, applied=outcome.applied)
