"""POST /webhooks/stripe: signature checked on the raw body; replays are answered 200 and ignored."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Header, Request
from pydantic import BaseModel

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.errors import NotFound
from elara_bot.payments.base import PaymentEventKind, apply_payment_event
from elara_bot.payments.service import announce_paid

router = APIRouter(tags=["webhooks"])


class WebhookAck(BaseModel):
    received: bool
    applied: bool


@router.post("/webhooks/stripe", response_model=WebhookAck)
async def stripe_webhook(
    request: Request,
    runtime: RuntimeDep,
    conn: ConnDep,
    background: BackgroundTasks,
    stripe_signature: str | None = Header(default=None),
) -> WebhookAck:
    parse = getattr(runtime.payments, "parse_webhook", None)
    if parse is None:
        raise NotFound("Stripe is not the configured payment provider")
    event = parse(await request.body(), stripe_signature)
    applied = event is not None and await apply_payment_event(conn, event)
    if applied and event is not None and event.kind is PaymentEventKind.PAID:
        background.add_task(announce_paid, runtime.pool, runtime.on_order_paid, event)
    return WebhookAck(received=True, applied=applied)
