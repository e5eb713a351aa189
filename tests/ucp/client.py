"""A platform-side UCP client that knows only the spec: it discovers the business profile, finds the REST
endpoint there, sends UCP-Agent / Request-Id / Idempotency-Key, and validates every response body against
the spec's JSON schemas (vendored under elara_bot/ucp/schemas) before a test looks at it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from elara_bot.ucp.validation import errors

CHECKOUT_SCHEMAS = (
    "shopping/checkout.json",
    "shopping/discount.json#/$defs/dev.ucp.shopping.checkout",
    "shopping/fulfillment.json#/$defs/dev.ucp.shopping.checkout",
    "shopping/buyer_consent.json#/$defs/dev.ucp.shopping.checkout",
)
ORDER_SCHEMAS = ("shopping/order.json",)
ERROR_SCHEMAS = ("shopping/types/error_response.json",)
PROFILE_SCHEMAS = ("discovery/profile.json#/$defs/business_profile",)


def valid(instance: Any, schemas: tuple[str, ...]) -> Any:
    problems = [f"{ref}: {p}" for ref in schemas for p in errors(ref, instance)]
    assert not problems, problems
    return instance


def protocol_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A protocol error: the status and a ``{"code", "content"}`` body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["content"], str)
    assert body["content"]
    return body


class UcpClient:
    def __init__(self, store_url: str, profile_url: str) -> None:
        self.http = httpx.Client(timeout=60)
        self.profile_url = profile_url
        self.exchanges: list[tuple[str, str, Any, int, Any]] = []  # what was said, for the README transcript
        discovered = self.http.get(f"{store_url}/.well-known/ucp")
        assert discovered.status_code == 200, discovered.text
        self.profile = valid(discovered.json(), PROFILE_SCHEMAS)
        rest = [s for s in self.profile["ucp"]["services"]["dev.ucp.shopping"] if s["transport"] == "rest"]
        self.endpoint = rest[0]["endpoint"]
        self.handler = next(iter(self.profile["ucp"]["payment_handlers"].values()))[0]

    def headers(self, key: str | None = None, agent: str | None = None) -> dict[str, str]:
        headers = {"UCP-Agent": agent or f'profile="{self.profile_url}"', "Request-Id": str(uuid.uuid4())}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, **kw: Any
    ) -> httpx.Response:
        new_key = key if key is not None else str(uuid.uuid4())
        headers = self.headers(new_key if method != "GET" else None, kw.pop("agent", None))
        response = self.http.request(method, f"{self.endpoint}{path}", json=body, headers=headers, **kw)
        self.exchanges.append((method, f"/ucp/v1{path}", body, response.status_code, response.json()))
        assert response.headers.get("Request-Id") == headers["Request-Id"]
        return response

    def checkout(self, response: httpx.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return valid(response.json(), CHECKOUT_SCHEMAS)

    def create(self, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.checkout(self.call("POST", "/checkout-sessions", body, **kw), 201)

    def get(self, checkout_id: str) -> dict[str, Any]:
        return self.checkout(self.call("GET", f"/checkout-sessions/{checkout_id}"))

    def update(self, checkout_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.checkout(self.call("PUT", f"/checkout-sessions/{checkout_id}", body))

    def pay(self, token: str) -> dict[str, Any]:
        instrument = {
            "id": "instr_1",
            "handler_id": self.handler["id"],
            "type": "card",
            "selected": True,
            "credential": {"type": "token", "token": token},
        }
        return {"payment": {"instruments": [instrument]}}

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        return valid(response.json(), ORDER_SCHEMAS)

    def transcript(self) -> str:
        """The exchanges as the README shows them: request, status, and the response's main fields."""
        out = []
        for method, path, body, status, answer in self.exchanges:
            out.append(f"> {method} {path}" + (f"\n> {json.dumps(body)}" if body else ""))
            out.append(f"< {status} " + json.dumps(brief(answer)))
        return "\n".join(out) + "\n"


def brief(answer: Any) -> Any:
    if not isinstance(answer, dict) or "ucp" not in answer:
        return answer
    keep = ("id", "status", "code", "messages", "order", "checkout_id")
    short = {k: answer[k] for k in keep if k in answer}
    if "totals" in answer:
        short["totals"] = {t["type"]: t["amount"] for t in answer["totals"]}
    if "discounts" in answer:
        short["discounts"] = [(d.get("code"), d["amount"]) for d in answer["discounts"].get("applied", [])]
    if "fulfillment" in answer and "methods" in answer["fulfillment"]:
        method = answer["fulfillment"]["methods"][0]
        groups = method.get("groups") or [{}]
        short["shipping"] = {
            "destination": method.get("selected_destination_id"),
            "options": {o["id"]: o["totals"][0]["amount"] for o in groups[0].get("options", [])},
            "selected": groups[0].get("selected_option_id"),
        }
    if "fulfillment" in answer and "events" in answer["fulfillment"]:
        short["events"] = [(e["type"], e.get("tracking_number")) for e in answer["fulfillment"]["events"]]
    return short
