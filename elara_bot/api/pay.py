"""The dev provider's TEST MODE payment page: its button drives the same "paid" path as Stripe."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import HTMLResponse, RedirectResponse

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.errors import NotFound
from elara_bot.money import format_amount
from elara_bot.orders.announcements import announce
from elara_bot.orders.schemas import OrderPublic
from elara_bot.orders.service import apply_payment, order_for_payment_session
from elara_bot.payments.base import PaymentEvent, PaymentEventKind
from elara_bot.payments.dev import DevPaymentProvider

router = APIRouter(tags=["payments"], include_in_schema=False)


def _money(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


PAGE_STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;"
    "background:#f3f4f6}main{max-width:560px;margin:0 auto;padding:16px}"
    ".test{background:#fde68a;padding:10px 12px;font-weight:700;border-radius:8px;margin:0 0 12px}"
    "h1{font-size:22px;margin:0 0 12px}table{width:100%;border-collapse:collapse;background:#fff}"
    "th,td{padding:8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}"
    "td.num,th.num{text-align:right;white-space:nowrap}"
    "button{font:inherit;font-weight:700;background:#4f46e5;color:#fff;border:0;border-radius:8px;"
    "padding:12px 20px;min-height:44px;width:100%;cursor:pointer}"
)


def _page(order: OrderPublic, token: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.title)} <small>({escape(line.sku)})</small></td>"
        f"<td class='num'>{line.quantity}</td>"
        f"<td class='num'>{_money(line.line_total_minor, order.currency)}</td></tr>"
        for line in order.lines
    )
    action = (
        f'<form method="post" action="/pay/{escape(token)}"><button type="submit">Pay (test)</button></form>'
        if order.status == "pending_payment"
        else f"<p>This order is <strong>{escape(order.status)}</strong>.</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>TEST MODE payment</title><style>{PAGE_STYLE}</style></head><body><main>"
        "<p class='test'>TEST MODE: no real payment is taken</p>"
        f"<h1>Order {escape(order.number)}</h1><table><thead><tr><th scope='col'>Item</th>"
        "<th scope='col' class='num'>Qty</th><th scope='col' class='num'>Amount</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p>Total: <strong>{_money(order.total_minor, order.currency)}</strong></p>{action}"
        "</main></body></html>"
    )


def _require_dev(runtime: RuntimeDep) -> None:
    if not isinstance(runtime.payments, DevPaymentProvider):
        raise NotFound("the test payment page is not enabled")


@router.get("/pay/{token}", response_class=HTMLResponse)
async def pay_page(token: str, runtime: RuntimeDep, conn: ConnDep) -> HTMLResponse:
    _require_dev(runtime)
    return HTMLResponse(_page(await order_for_payment_session(conn, "dev", token), token))


@router.post("/pay/{token}")
async def pay(
    token: str, runtime: RuntimeDep, conn: ConnDep, background: BackgroundTasks
) -> RedirectResponse:
    _require_dev(runtime)
    order = await order_for_payment_session(conn, "dev", token)
    event = PaymentEvent(
        provider="dev",
        event_id=f"dev-paid-{token}",
        kind=PaymentEventKind.PAID,
        session_id=token,
        amount_minor=order.total_minor,
        currency=order.currency,
    )
    outcome = await apply_payment(conn, event, runtime.provider())
    if outcome.paid_order or outcome.alert:
        background.add_task(announce, runtime.pool, runtime.on_order_paid, runtime.on_payment_alert, outcome)
    values = {"public_url": runtime.settings.public_url.rstrip("/"), "order_number": order.number}
    return RedirectResponse(runtime.settings.payments.success_url.format(**values), status_code=303)
