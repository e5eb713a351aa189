"""Stand-in for the Telegram Bot API: ``POST /bot{token}/{method}`` as python-telegram-bot sends it.

Requests are form-encoded (multipart when a file is uploaded); non-string fields such as ``reply_markup``
are JSON strings inside the form and are decoded in the record. Every call is recorded per bot token so
tests running against the one session-wide stand-in do not see each other's traffic. Failures can be
injected for the next call(s) of a method: 429 with ``retry_after``, 403 "bot was blocked", 500.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

JSON_FIELDS = {"reply_markup", "allowed_updates", "entities", "caption_entities", "link_preview_options"}
BOT_USER = {"id": 999, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
Failure = Literal["429", "403", "500"]
SENDS = ("sendMessage", "sendPhoto")


@dataclass
class TelegramCall:
    token: str
    method: str
    fields: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the stand-in answered (e.g. the sent Message)

    @property
    def text(self) -> str:
        return str(self.fields.get("text") or self.fields.get("caption") or "")

    @property
    def failed(self) -> bool:
        return isinstance(self.result, dict) and self.result.get("ok") is False

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.fields.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.keyboard for button in row]


@dataclass
class _Injected:
    token: str
    method: str | None
    kind: Failure
    retry_after: int
    remaining: int


class TelegramStub:
    def __init__(self) -> None:
        self.calls: list[TelegramCall] = []
        self._failures: list[_Injected] = []
        self._updates: dict[str, deque[list[dict[str, Any]]]] = {}
        self._message_ids = itertools.count(1000)
        self._lock = threading.Lock()

    # --- used by tests -------------------------------------------------------------------------
    def calls_for(self, token: str, method: str | None = None) -> list[TelegramCall]:
        with self._lock:
            return [c for c in self.calls if c.token == token and (method is None or c.method == method)]

    def fail_next(
        self, token: str, method: str | None, kind: Failure, *, retry_after: int = 1, times: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` (any method when None) with this token fail."""
        with self._lock:
            self._failures.append(_Injected(token, method, kind, retry_after, times))

    def queue_updates(self, token: str, updates: list[dict[str, Any]]) -> None:
        """One batch that the next ``getUpdates`` call with this token answers."""
        with self._lock:
            self._updates.setdefault(token, deque()).append(updates)

    async def wait_for(
        self, token: str, method: str, count: int = 1, within: float = 15.0
    ) -> list[TelegramCall]:
        """Wait until at least ``count`` calls of ``method`` were recorded; return them."""
        deadline = time.monotonic() + within
        while True:
            calls = self.calls_for(token, method)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {len(calls)}: {calls}")
            await asyncio.sleep(0.02)

    async def wait_for_message(
        self, token: str, predicate: Callable[[TelegramCall], bool], *, after: int = 0, within: float = 30.0
    ) -> TelegramCall:
        """The first sent message (sendMessage or sendPhoto) matching ``predicate``, among the calls
        recorded after the first ``after`` ones for this token."""
        deadline = time.monotonic() + within
        while True:
            sent = [c for c in self.calls_for(token)[after:] if c.method in SENDS and not c.failed]
            for call in sent:
                if predicate(call):
                    return call
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching message; sent: {[c.fields for c in sent]}")
            await asyncio.sleep(0.05)

    # --- serving -------------------------------------------------------------------------------
    def _take_failure(self, token: str, method: str) -> _Injected | None:
        with self._lock:
            for failure in self._failures:
                if failure.token == token and failure.method in (None, method) and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    def _record(self, call: TelegramCall) -> None:
        with self._lock:
            self.calls.append(call)

    def _message(self, fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(fields.get("chat_id", 0)), "type": "private"},
            "from": BOT_USER,
            **extra,
        }
        if isinstance(fields.get("reply_markup"), dict):
            message["reply_markup"] = fields["reply_markup"]
        return message

    async def _result(self, token: str, method: str, fields: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            return self._message(fields, text=fields.get("text", ""))
        if method == "sendPhoto":
            photo = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 64, "height": 64}]
            return self._message(fields, photo=photo, caption=fields.get("caption"))
        if method == "getUpdates":
            with self._lock:
                queue = self._updates.get(token)
                batch = queue.popleft() if queue else None
            if batch is None:
                await asyncio.sleep(min(float(fields.get("timeout", 0)), 0.2))
                return []
            return batch
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # sendChatAction, answerCallbackQuery, editMessageReplyMarkup, set/deleteWebhook

    async def handle(self, token: str, method: str, request: Request) -> JSONResponse:
        fields, files = await _decode(request)
        call = TelegramCall(token, method, fields, files)
        self._record(call)
        failure = self._take_failure(token, method)
        if failure is not None:
            response = _error(failure)
            call.result = json.loads(response.body)
            return response
        call.result = await self._result(token, method, fields)
        return JSONResponse({"ok": True, "result": call.result})


def _error(failure: _Injected) -> JSONResponse:
    if failure.kind == "429":
        body: dict[str, Any] = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {failure.retry_after}",
            "parameters": {"retry_after": failure.retry_after},
        }
        return JSONResponse(body, status_code=429)
    if failure.kind == "403":
        body = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        return JSONResponse(body, status_code=403)
    return JSONResponse({"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500)


async def _decode(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    fields: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return (json.loads(body) if body else {}), files
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[key] = await value.read()
        elif key in JSON_FIELDS:
            fields[key] = json.loads(value)
        else:
            fields[key] = value
    return fields, files


def mount(app: FastAPI, state: Any) -> TelegramStub:
    stub = TelegramStub()

    @app.post("/bot{token}/{method}")
    async def bot_api(token: str, method: str, request: Request) -> JSONResponse:
        return await stub.handle(token, method, request)

    @app.get("/file/bot{token}/{path:path}")
    async def bot_file(token: str, path: str) -> JSONResponse:
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    return stub
