"""Request body caps per route, enforced while the body is read.

A declared ``Content-Length`` above the route's cap is refused before any of the body is read; a chunked
body is counted as it streams and cut off at the cap. Either way the answer is 413 with
``Connection: close`` (the server stops reading the rest), and at most one cap's worth is ever held.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from elara_bot.config import LimitsSettings


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes its cap; rendered as 413 by the error handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit), headers={"Connection": "close"})


def _detail(limit: int) -> str:
    return f"the request body is larger than this route accepts ({limit} bytes)"


def route_caps(limits: LimitsSettings) -> list[tuple[str, int]]:
    """Path prefixes and their caps, longest prefix first; anything else gets ``limits.body_bytes``."""
    caps = [
        ("/api/v1/chat", limits.chat_body_bytes),
        ("/webhooks/", limits.webhook_body_bytes),
        ("/slack/", limits.webhook_body_bytes),
    ]
    return sorted(caps, key=lambda cap: len(cap[0]), reverse=True)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: LimitsSettings) -> None:
        self.app = app
        self.caps = route_caps(limits)
        self.default = limits.body_bytes

    def cap_for(self, path: str) -> int:
        return next((cap for prefix, cap in self.caps if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.cap_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await refuse(send, limit)  # not one byte of it is read
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:  # raised where no handler renders it (e.g. a raw ASGI mount)
            if not started:
                await refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": "PayloadTooLarge", "detail": _detail(limit)}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
