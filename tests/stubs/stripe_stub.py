"""A stateful stand-in for the parts of Stripe's API Elara uses, spoken to by the real ``stripe`` library.

Checkout sessions (create, retrieve, expire), PaymentIntents (create and confirm with a PaymentMethod or a
shared payment token, retrieve, search by metadata, cancel; declining methods answer 402 card_error),
refunds (create, list by PaymentIntent), Idempotency-Key replay (400 ``idempotency_error`` when the
parameters differ), failure injection (HTTP 500 or a sleep past the client's timeout), a configurable
answer delay for session creation (a slow Stripe), sessions made outside our checkout (a Payment Link
carrying an order's id) and signed webhook delivery of any body.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class StripeRequest:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None


@dataclass
class StripeStub:
    base_url_of: Any
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[StripeRequest] = field(default_factory=list)
    idempotency: dict[str, tuple[dict[str, str], int, dict[str, Any]]] = field(default_factory=dict)
    failures: list[tuple[str, float]] = field(default_factory=list)
    create_delay_s: float = 0.0  # every session creation answers this much later (a slow Stripe)
    delay_s: float = 0.0  # every request answers this much later (a slow Stripe, to widen races)

    def reset(self) -> None:
        self.failures.clear()
        self.create_delay_s = 0.0
        self.delay_s = 0.0

    def fail_next(self, count: int, mode: str = "500", sleep_s: float = 5.0) -> None:
        """The next ``count`` calls answer 500 (``mode="500"``) or sleep ``sleep_s`` (``"timeout"``)."""
        self.failures.extend([(mode, sleep_s)] * count)

    def creates(self) -> list[StripeRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]

    def intent_creates(self) -> list[StripeRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/payment_intents"]

    def succeeded_intents(self) -> list[dict[str, Any]]:
        """Every PaymentIntent that took money (a replayed request returns the same one: not counted)."""
        return [i for i in self.intents.values() if i["status"] == "succeeded"]

    def expires(self) -> list[str]:
        """Session ids the service asked Stripe to expire."""
        prefix = "/v1/checkout/sessions/"
        return [
            r.path.split("/")[4]
            for r in self.requests
            if r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/expire")
        ]

    def payment_link_session(self, client_reference_id: str, amount: int, currency: str) -> str:
        """A session made outside our checkout (a Payment Link) that names our order's id."""
        session = self._create(
            {
                "mode": "payment",
                "client_reference_id": client_reference_id,
                "line_items[0][price_data][unit_amount]": str(amount),
                "line_items[0][price_data][currency]": currency,
            }
        )
        return str(session["id"])

    def event(self, session_id: str, event_type: str) -> str:
        payload = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": self.sessions[session_id]},
        }
        return json.dumps(payload)

    def complete(self, session_id: str) -> None:
        """Mark a session paid (as if the shopper paid on Stripe's page)."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid", payment_intent="pi_" + secrets.token_hex(8))

    def expire(self, session_id: str) -> None:
        self.sessions[session_id].update(status="expired")

    @staticmethod
    def signature(payload: str, secret: str, timestamp: int | None = None) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)

    def deliver(
        self, webhook_url: str, payload: str, secret: str, *, timestamp: int | None = None
    ) -> httpx.Response:
        """POST one event to the service, signed with ``secret``."""
        headers = {
            "Stripe-Signature": self.signature(payload, secret, timestamp),
            "Content-Type": "application/json",
        }
        with httpx.Client(timeout=30) as client:
            return client.post(webhook_url, content=payload, headers=headers)

    # --- the API --------------------------------------------------------------------------------

    async def handle(self, request: Request, path: str) -> JSONResponse:
        form = await request.form()
        params = {k: str(v) for k, v in form.multi_items()} | dict(request.query_params)
        key = request.headers.get("Idempotency-Key")
        self.requests.append(StripeRequest(request.method, path, params, key))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.create_delay_s and request.method == "POST" and path == "/v1/checkout/sessions":
            await asyncio.sleep(self.create_delay_s)
        if self.failures:
            mode, sleep_s = self.failures.pop(0)
            if mode == "timeout":
                await asyncio.sleep(sleep_s)
            return _error(500, "api_error", "injected failure")
        if key and request.method == "POST":
            if key in self.idempotency:
                stored_params, status, body = self.idempotency[key]
                if stored_params != params:
                    return _error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters",
                    )
                return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})
        status, body = self._route(request.method, path, params)
        if key and request.method == "POST" and status < 500:
            self.idempotency[key] = (params, status, body)
        return JSONResponse(body, status_code=status)

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and method == "POST":
                return 200, self._create(params)
            session = self.sessions.get(parts[3]) if len(parts) > 3 else None
            if session is None:
                return 404, {
                    "error": {"type": "invalid_request_error", "message": "No such checkout session"}
                }
            if len(parts) == 5 and parts[4] == "expire" and method == "POST":
                if session["status"] != "open":
                    return 400, {"error": {"type": "invalid_request_error", "message": "session is not open"}}
                session["status"] = "expired"
            return 200, session
        if parts[:2] == ["v1", "payment_intents"]:
            return self._intent(method, parts[2:], params)
        if parts == ["v1", "refunds"] and method == "GET":
            found = [r for r in self.refunds if r["payment_intent"] == params.get("payment_intent")]
            return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/refunds"}
        if parts == ["v1", "refunds"] and method == "POST":
            refund = {
                "id": "re_" + secrets.token_hex(8),
                "object": "refund",
                "status": "succeeded",
                "payment_intent": params.get("payment_intent"),
                "amount": int(params.get("amount", "0")),
            }
            self.refunds.append(refund)
            return 200, refund
        return 404, {"error": {"type": "invalid_request_error", "message": f"unknown route {path}"}}

    # PaymentMethods and shared payment tokens Stripe's test mode declines (and one needing 3-D Secure)
    DECLINING = ("pm_card_visa_chargeDeclined", "pm_card_chargeDeclined", "spt_test_declined")
    NEEDS_ACTION = ("pm_card_authenticationRequired",)

    def _intent(self, method: str, rest: list[str], params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not rest and method == "POST":
            return self._create_intent(params)
        if rest == ["search"] and method == "GET":
            return 200, self._search(params.get("query", ""))
        intent = self.intents.get(rest[0]) if rest else None
        if intent is None:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
        if rest[1:] == ["cancel"] and method == "POST":
            if intent["status"] == "succeeded":
                return 400, {"error": {"type": "invalid_request_error", "message": "already succeeded"}}
            intent["status"] = "canceled"
        return 200, intent

    def _search(self, query: str) -> dict[str, Any]:
        """PaymentIntent search, the ``metadata['key']:'value'`` clauses joined by AND (Stripe's search
        query language, the part Elara uses); found at once (Stripe's own index lags up to a minute)."""
        clauses = [c.strip() for c in query.split(" AND ") if c.strip()]
        wanted: dict[str, str] = {}
        for clause in clauses:
            field_, _, value = clause.partition(":")
            if not (field_.startswith("metadata['") and field_.endswith("']")):
                return {"error": {"type": "invalid_request_error", "message": f"unsupported query {query}"}}
            wanted[field_[10:-2]] = value.strip("'\"")
        found = [
            i for i in self.intents.values() if all(i["metadata"].get(k) == v for k, v in wanted.items())
        ]
        return {
            "object": "search_result",
            "data": found,
            "has_more": False,
            "url": "/v1/payment_intents/search",
        }

    def refund_requests(self) -> list[StripeRequest]:
        """Every refund the service asked for (a replayed request counted too)."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/refunds"]

    def _create_intent(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        method = params.get("payment_method")
        shared = params.get("shared_payment_granted_token")
        if (
            not params.get("amount", "").isdigit()
            or not params.get("currency")
            or (method is None) == (shared is None)
        ):
            message = "amount, currency and one of payment_method / shared_payment_granted_token"
            return 400, {"error": {"type": "invalid_request_error", "message": message}}
        intent_id = "pi_" + secrets.token_hex(12)
        credential = method or shared or ""
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "status": "requires_confirmation",
            "payment_method": method or "pm_" + secrets.token_hex(8),
            "shared_payment_granted_token": shared,
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "latest_charge": None,
        }
        self.intents[intent_id] = intent
        if params.get("confirm") != "true":
            return 200, intent
        if credential in self.DECLINING:
            intent.update(status="requires_payment_method")
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "payment_intent": intent,
            }
            return 402, {"error": error}
        if credential in self.NEEDS_ACTION:
            intent.update(status="requires_action", next_action={"type": "use_stripe_sdk"})
            return 200, intent
        intent.update(status="succeeded", latest_charge="ch_" + secrets.token_hex(8))
        return 200, intent

    def _create(self, params: dict[str, str]) -> dict[str, Any]:
        session_id = "cs_test_" + secrets.token_hex(12)
        amount = int(params.get("line_items[0][price_data][unit_amount]", "0")) * int(
            params.get("line_items[0][quantity]", "1")
        )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{self.base_url_of()}/checkout/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": params.get("mode"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "amount_total": amount,
            "currency": params.get("line_items[0][price_data][currency]"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "payment_intent": None,
            "expires_at": int(params.get("expires_at", str(int(time.time()) + 86_400))),
        }
        self.sessions[session_id] = session
        return session


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


def mount(app: FastAPI, state: Any) -> StripeStub:
    stub = StripeStub(base_url_of=lambda: state.base_url)

    @app.api_route("/v1/{path:path}", methods=["GET", "POST", "DELETE"], include_in_schema=False)
    async def stripe_api(path: str, request: Request) -> JSONResponse:
        return await stub.handle(request, "/v1/" + path)

    return stub
