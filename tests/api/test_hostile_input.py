"""Hostile input on the live service: NUL characters, integers beyond PostgreSQL's range, broken bearer
tokens and out-of-range Telegram updates are clear 4xx (or an acknowledged, ignored update), never a 500;
and the OpenAPI document states those rules (what schemathesis relies on, tests/test_schemathesis.py)."""

from __future__ import annotations

import itertools
import json
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from elara_bot.api.guard import PG_BIGINT_MAX, body_problem
from elara_bot.contracts import ACTION_PATTERN
from elara_bot.conversation.actions import plan_action
from elara_bot.errors import InvalidInput

LiveService = Callable[..., AbstractContextManager[str]]
ADMIN_KEY = "hostile-admin-key"
TELEGRAM_SECRET = "hostile-secret_token"
SLACK_SECRET = "hostile-slack-signing-secret"
ids = itertools.count(int(time.time()) % 100_000 * 1000)


@pytest.fixture
def client(live_service: LiveService) -> Iterator[httpx.Client]:
    with (
        live_service(auth={"admin_api_key": ADMIN_KEY}) as base,
        httpx.Client(base_url=base, timeout=30) as c,
    ):
        yield c


def session(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/v1/sessions").json()["token"]
    return {"Authorization": f"Bearer {token}"}


def assert_invalid(response: httpx.Response, *, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] in ("InvalidInput", "Unauthorized"), response.text
    assert response.json()["detail"]


class TestNul:
    def test_nul_in_a_path_is_422(self, client: httpx.Client) -> None:
        auth = session(client)
        assert_invalid(client.get("/api/v1/products/BOOT%0010"))
        assert_invalid(client.patch("/api/v1/cart/items/BOOT%00", json={"quantity": 1}, headers=auth))
        assert_invalid(client.get("/api/v1/orders/EL-%00", headers=auth))

    def test_nul_in_a_query_is_422(self, client: httpx.Client) -> None:
        assert_invalid(client.get("/api/v1/products/search", params={"q": "boots\x00"}))
        assert_invalid(client.get("/api/v1/products", params={"category": "\x00Outdoor"}))

    def test_nul_in_a_chat_message_or_button_action_is_422(self, client: httpx.Client) -> None:
        auth = session(client)
        assert_invalid(client.post("/api/v1/chat", json={"message": "hi\x00there"}, headers=auth))
        assert_invalid(client.post("/api/v1/chat", json={"action": "add:\x00:1"}, headers=auth))
        assert_invalid(client.post("/api/v1/chat", json={"message": "hi", "\x00": 1}, headers=auth))
        # the assistant still answers afterwards: nothing was half-written
        assert client.post("/api/v1/chat", json={"message": "hello"}, headers=auth).status_code == 200

    def test_nul_in_any_body_field_is_422(self, client: httpx.Client) -> None:
        auth = session(client)
        assert_invalid(
            client.post("/api/v1/cart/items", json={"sku": "BOOT\x00", "quantity": 1}, headers=auth)
        )
        admin = {"X-Admin-Key": ADMIN_KEY}
        fulfil = {"tracking": ["1Z\x00"]}
        assert_invalid(client.post("/api/v1/admin/orders/EL-X/fulfil", json=fulfil, headers=admin))

    def test_a_body_that_is_not_utf8_is_422_with_the_error_body(self, client: httpx.Client) -> None:
        auth = {**session(client), "Content-Type": "application/json"}
        assert_invalid(client.post("/api/v1/chat", content=b'{"message": "\xff"}', headers=auth))

    def test_an_escaped_backslash_before_u0000_is_text_not_nul(self) -> None:
        assert body_problem(b'{"message": "C:\\\\u0000 is a path"}') is None
        assert body_problem(b'{"message": "\\\\\\u0000"}') is not None  # \\ then \u0000
        assert body_problem(b'{"message": "\\u0000"}') is not None


class TestNesting:
    def test_deeply_nested_json_is_422_not_500(self, client: httpx.Client) -> None:
        auth = {**session(client), "Content-Type": "application/json"}
        for body in (b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000):
            assert_invalid(client.post("/api/v1/chat", content=body, headers=auth))
            assert_invalid(client.post("/api/v1/cart/items", content=body, headers=auth))
        nested = {
            "message": "hi",
            "extra": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
        }
        assert_invalid(client.post("/api/v1/chat", json=nested, headers=auth))


class TestIntegers:
    def test_offset_beyond_bigint_is_422(self, client: httpx.Client) -> None:
        assert_invalid(client.get("/api/v1/products", params={"offset": str(2**63)}))
        last = client.get("/api/v1/products", params={"offset": str(PG_BIGINT_MAX)})
        assert last.status_code == 200
        assert last.json()["items"] == []

    def test_body_integers_beyond_bigint_are_422(self, client: httpx.Client) -> None:
        auth = session(client)
        huge = {"sku": "1615379700", "quantity": 2**70}
        assert_invalid(client.post("/api/v1/cart/items", json=huge, headers=auth))
        assert_invalid(client.post("/api/v1/chat", json={"message": "hi", "n": -(2**64)}, headers=auth))
        text = {"message": f"do you have {2**70} boots?"}  # digits in text are text
        assert client.post("/api/v1/chat", json=text, headers=auth).status_code == 200

    def test_history_after_beyond_range_is_422(self, client: httpx.Client) -> None:
        assert_invalid(
            client.get("/api/v1/chat/history", params={"after": str(2**70)}, headers=session(client))
        )


def raw_get(base_url: str, path: str, header_line: bytes) -> tuple[int, dict[str, str], bytes]:
    """A request written by hand: HTTP clients refuse to send some of these headers (httpx: b"Bearer ")."""
    url = httpx.URL(base_url)
    request = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header_line
    with socket.create_connection((url.host, url.port or 80), timeout=30) as sock:
        sock.sendall(request + b"\r\n\r\n")
        data = b""
        while chunk := sock.recv(65_536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


class TestAuth:
    @pytest.mark.parametrize(
        "header",
        [b"Bearer ", b"Bearer", b"Bearer \t ", b"bearer", b"Basic dXNlcjpwYXNz", b"Token abc", b"Bearer a b"]
        + [b"Bearer \xe9t\xe9", b"Bearer" + b" " * 100],
    )
    def test_empty_or_malformed_authorization_is_401(self, client: httpx.Client, header: bytes) -> None:
        status, headers, body = raw_get(str(client.base_url), "/api/v1/cart", b"Authorization: " + header)
        assert status == 401, body
        assert json.loads(body)["error"] == "Unauthorized"
        assert headers["www-authenticate"].startswith('Bearer realm="elara"')

    def test_a_64_kb_token_is_401(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/cart", headers={"Authorization": "Bearer " + "A" * 65_536})
        assert_invalid(response, status=401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    def test_a_forged_token_is_401(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/orders", headers={"Authorization": "Bearer abc.def.ghi"})
        assert_invalid(response, status=401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    def test_a_wrong_admin_key_is_an_unauthorized_401(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/admin/orders", headers={"X-Admin-Key": "nope"})
        assert_invalid(response, status=401)
        assert response.json()["error"] == "Unauthorized"
        assert "X-Admin-Key" in response.headers["WWW-Authenticate"]


class TestTelegram:
    @pytest.fixture
    def telegram_service(self, live_service: LiveService, stubs: Any) -> Iterator[str]:
        token = f"{next(ids)}:AA{uuid.uuid4().hex}"
        telegram = {"token": token, "secret_token": TELEGRAM_SECRET, "api_base": stubs.base_url}
        with live_service(telegram=telegram) as base:
            yield base

    def post(self, base: str, update: dict[str, Any]) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        return httpx.post(f"{base}/webhooks/telegram", json=update, headers=headers, timeout=30)

    def message(self, update_id: int, chat_id: int, text: str) -> dict[str, Any]:
        sender = {"id": chat_id, "is_bot": False, "first_name": "Eve"}
        msg = {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}}
        return {"update_id": update_id, "message": {**msg, "from": sender, "text": text}}

    def test_out_of_range_ids_and_nul_are_acknowledged_and_ignored(self, telegram_service: str) -> None:
        for update in (
            {"update_id": 2**70},
            self.message(2**70, 42, "hi"),
            self.message(next(ids), 2**70, "hi"),
            self.message(next(ids), 42, "hi\x00"),
        ):
            response = self.post(telegram_service, update)
            assert response.status_code == 200, response.text  # Telegram stops redelivering it
            assert response.json()["ignored"], response.text
        normal = self.post(telegram_service, self.message(next(ids), 10_000_000 + next(ids), "hi"))
        assert normal.status_code == 200
        assert "ignored" not in normal.json()


class TestSlack:
    @pytest.fixture
    def slack_service(self, live_service: LiveService, stubs: Any) -> Iterator[str]:
        slack = {
            "bot_token": f"xoxb-{uuid.uuid4().hex[:12]}",
            "signing_secret": SLACK_SECRET,
            "api_base": f"{stubs.base_url}/api/",
            "allowed_team_ids": ["T111"],
            "merchant_user_ids": ["U1"],
        }
        with live_service(slack=slack) as base:
            yield base

    def post(self, base: str, body: bytes) -> httpx.Response:
        ts = str(int(time.time()))
        signature = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=ts, body=body.decode())
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
        headers["Content-Type"] = "application/json"
        return httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=30)

    def test_signed_but_deeply_nested_or_nul_bodies_never_500(self, slack_service: str) -> None:
        deep = self.post(
            slack_service, b'{"type": "event_callback", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
        )
        assert deep.status_code == 400, deep.text
        event = {"type": "app_mention", "user": "U1", "text": "hi\x00", "ts": "1.1", "channel": "C1"}
        nul = {"type": "event_callback", "team_id": "T111", "event_id": "EvNUL", "event": event}
        acknowledged = self.post(slack_service, json.dumps(nul).encode())
        assert acknowledged.status_code == 200, acknowledged.text  # Slack retries anything else


class TestOpenApi:
    @pytest.fixture
    def spec(self, client: httpx.Client) -> dict[str, Any]:
        document: dict[str, Any] = client.get("/openapi.json").json()
        return document

    def operations(self, spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for path, methods in spec["paths"].items():
            for method, operation in methods.items():
                yield f"{method.upper()} {path}", operation

    def test_errors_are_documented_with_the_body_they_have(self, spec: dict[str, Any]) -> None:
        assert "HTTPValidationError" not in spec["components"]["schemas"]
        for name, operation in self.operations(spec):
            responses = operation["responses"]
            assert "422" in responses, name
            for status, response in responses.items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (name, status)
        assert "401" in spec["paths"]["/api/v1/cart"]["get"]["responses"]
        assert "401" in spec["paths"]["/api/v1/admin/orders"]["get"]["responses"]
        assert "503" in spec["paths"]["/api/v1/products"]["get"]["responses"]
        assert "404" in spec["paths"]["/api/v1/products/{product_id}"]["get"]["responses"]

    def test_every_integer_input_is_bounded_to_bigint(self, spec: dict[str, Any]) -> None:
        for name, operation in self.operations(spec):
            for parameter in operation.get("parameters", []):
                for schema in [parameter["schema"], *parameter["schema"].get("anyOf", [])]:
                    if schema.get("type") == "integer":
                        assert schema.get("maximum", 2**64) <= PG_BIGINT_MAX, (name, parameter["name"])
        for model in ("AddItem", "SetQuantity", "StockIn"):
            quantity = spec["components"]["schemas"][model]["properties"]
            for field in quantity.values():
                if field.get("type") == "integer":
                    assert field["maximum"] <= PG_BIGINT_MAX, model

    def test_free_strings_and_keys_refuse_nul(self, spec: dict[str, Any]) -> None:
        chat = spec["components"]["schemas"]["ChatRequest"]
        assert "\\x00" in chat["properties"]["message"]["pattern"]
        assert "\\x00" in chat["propertyNames"]["pattern"]
        assert chat["additionalProperties"] == {"$ref": "#/components/schemas/NulFreeJson"}
        query = spec["paths"]["/api/v1/products/search"]["get"]["parameters"][0]
        assert query["name"] == "q"
        assert "\\x00" in query["schema"]["pattern"]

    def test_405_names_every_method_of_the_path(self, client: httpx.Client) -> None:
        response = client.request("PUT", "/api/v1/cart/items/BOOT-10")
        assert response.status_code == 405
        assert response.headers["Allow"] == "DELETE, PATCH"
        assert response.json()["error"] == "HTTPError"


class TestChatRequest:
    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(ACTION_PATTERN, fullmatch=True).filter(lambda a: len(a) <= 200))
    def test_every_action_the_schema_allows_is_understood(self, action: str) -> None:
        plan_action(action, None)  # raises InvalidInput for an action it refuses

    def test_an_action_outside_the_grammar_is_refused_by_both(self) -> None:
        with pytest.raises(InvalidInput):
            plan_action("add:SKU:many", None)
        assert re.fullmatch(ACTION_PATTERN, "add:SKU:many") is None

    def test_an_empty_message_is_422_and_documented(self, client: httpx.Client) -> None:
        auth = session(client)
        for body in ({}, {"message": "  \t"}, {"message": "\x1c", "action": None}):
            assert_invalid(client.post("/api/v1/chat", json=body, headers=auth))
