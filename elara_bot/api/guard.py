"""Hostile-input guard: text and numbers PostgreSQL cannot store never reach a route.

PostgreSQL refuses NUL (U+0000) in ``text`` and ``jsonb`` and integers beyond bigint; either used to end as
a 500. The guard answers 422 (``{"error": "InvalidInput", ...}``) for a NUL anywhere in the path, the query
string or a request body, and for an out-of-range integer in a JSON body, before any route runs, so every
route (present and future) is covered at once. Integer query and path parameters carry their own ``le=``
(tests/api/test_hostile_input.py checks that every one does).

Webhook routes are left to their own handlers: their bodies are signed, and the provider expects the answer
its protocol defines (Telegram retries anything but a 2xx, Slack and Stripe verify before parsing).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A JSON string can carry NUL only as the escape \u0000: a backslash that is not itself escaped (an odd run
# of backslashes), then u0000. A raw NUL byte is invalid JSON and refused by the parser anyway.
NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
UNGUARDED_PREFIXES = ("/webhooks/", "/slack/")

# PostgreSQL's integer columns: bigint is the widest; pagination and ids are bounded to it in the API.
PG_BIGINT_MAX = 2**63 - 1
PG_INT_MAX = 2**31 - 1
MAX_JSON_DEPTH = 32  # no request of this API nests half as deep


def has_nul(value: str) -> bool:
    return "\x00" in value


def contains_nul(data: Any) -> bool:
    """True when any string (key or value) inside decoded JSON holds a NUL."""
    if isinstance(data, str):
        return has_nul(data)
    if isinstance(data, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(contains_nul(item) for item in data)
    return False


def out_of_bigint(data: Any) -> bool:
    """True when any integer inside decoded JSON does not fit a PostgreSQL bigint."""
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return not -PG_BIGINT_MAX - 1 <= data <= PG_BIGINT_MAX
    if isinstance(data, dict):
        return any(out_of_bigint(v) for v in data.values())
    if isinstance(data, list):
        return any(out_of_bigint(item) for item in data)
    return False


def url_problem(scope: Scope) -> str | None:
    if has_nul(scope.get("path", "")):
        return "the path contains a NUL character"
    query = scope.get("query_string", b"").decode("latin-1")
    if query and has_nul(unquote_plus(query)):
        return "the query string contains a NUL character"
    return None


def body_has_nul(body: bytes) -> bool:
    """A raw NUL byte, or the JSON escape of one."""
    return b"\x00" in body or NUL_ESCAPE.search(body) is not None


def body_problem(body: bytes) -> str | None:
    if body_has_nul(body):
        return "the request body contains a NUL character (\\u0000), which cannot be stored"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the request body is not UTF-8"
    return json_problem(text) if text else None


class _HugeInteger(Exception):
    pass


def _bigint(literal: str) -> int:
    """``parse_int`` for json.loads: refuses integers PostgreSQL's bigint cannot hold."""
    if len(literal.lstrip("-")) > 19:  # before int(): no conversion of a 100,000-digit literal
        raise _HugeInteger
    value = int(literal)
    if not -PG_BIGINT_MAX - 1 <= value <= PG_BIGINT_MAX:
        raise _HugeInteger
    return value


def json_problem(text: str | bytes) -> str | None:
    """An integer beyond bigint, or nesting deeper than MAX_JSON_DEPTH (deep enough nesting makes any
    recursive parser or validator raise RecursionError: a 500). Text that is not JSON is left to the route."""
    try:
        data = json.loads(text, parse_int=_bigint)
    except _HugeInteger:
        return "the request body holds an integer beyond the 64-bit range"
    except RecursionError:
        return "the request body is nested too deeply"
    except ValueError:
        return None
    if json_depth(data) > MAX_JSON_DEPTH:
        return "the request body is nested too deeply"
    return None


def json_depth(data: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (a scalar is 0, ``[]`` is 1)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((item, depth + 1) for item in node)
    return deepest


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body (and the messages that carried it, to hand on unchanged)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client went away: the route will see the disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"error": "InvalidInput", "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class InputGuard:
    """ASGI middleware: 422 for NUL in the path, the query string or a (non-webhook) body, for a body
    that is not UTF-8 (FastAPI would answer its own 400 with another body) and for a JSON integer
    beyond PostgreSQL's bigint (every integer in a request body is documented with those bounds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (problem := url_problem(scope)) is not None:
            await _refuse(send, problem)
            return
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE") and not scope["path"].startswith(
            UNGUARDED_PREFIXES
        ):
            body, messages = await _read_body(receive)
            if (problem := body_problem(body)) is not None:
                await _refuse(send, problem)
                return
            receive = _replay(messages, receive)
        await self.app(scope, receive, send)
