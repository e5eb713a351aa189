"""Stand-in for the Slack Web API: ``POST /api/{method}`` as slack_sdk's AsyncWebClient sends it.

Records every call (method, token, fields) so tests assert on the wire traffic; errors are injected per
method with ``fail_next(method, error)``, answered as ``{"ok": false, "error": ...}``. File uploads follow
``files_upload_v2``: ``files.getUploadURLExternal`` returns an upload URL on this stand-in, the bytes are
POSTed there, then ``files.completeUploadExternal`` shares them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

AUTH = {
    "ok": True,
    "team_id": "T111",
    "user_id": "UBOT",
    "bot_id": "BBOT",
    "url": "https://x.slack.com/",
    "team": "T",
    "user": "bot",
}
JSON_FIELDS = {"blocks", "files", "attachments", "view"}


@dataclass
class SlackCall:
    method: str
    token: str
    fields: dict[str, Any]
    body: bytes = b""


@dataclass
class SlackStub:
    base_url: str = ""
    calls: list[SlackCall] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/"

    def fail_next(self, method: str, error: str) -> None:
        with self.lock:
            self.failures.setdefault(method, []).append(error)

    def for_token(self, token: str, method: str | None = None) -> list[SlackCall]:
        with self.lock:
            return [c for c in self.calls if c.token == token and method in (None, c.method)]

    async def wait_for(
        self, token: str, method: str, count: int = 1, within: float = 15.0
    ) -> list[SlackCall]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.for_token(token, method)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        got = len(self.for_token(token, method))
        raise AssertionError(f"Slack stand-in got {got} {method}, wanted {count}")

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"


async def _fields(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        data: dict[str, Any] = await request.json()
        return data
    form = await request.form()
    fields: dict[str, Any] = {}
    for key, value in [*request.query_params.items(), *form.items()]:
        text = value if isinstance(value, str) else ""
        fields[key] = json.loads(text) if key in JSON_FIELDS and text else text
    return fields


def _answer(stub: SlackStub, method: str, fields: dict[str, Any]) -> dict[str, Any]:
    if method == "auth.test":
        return AUTH
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        return {
            "ok": True,
            "channel": fields.get("channel"),
            "ts": fields.get("ts") or stub.next_ts(),
            "message": {"text": fields.get("text", "")},
        }
    if method == "files.getUploadURLExternal":
        file_id = f"F{next(stub._ts)}"
        return {"ok": True, "upload_url": f"{stub.base_url}/slack-upload/{file_id}", "file_id": file_id}
    if method == "files.completeUploadExternal":
        files = fields.get("files") or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
    return {"ok": True}


def mount(app: FastAPI, state: Any) -> SlackStub:
    stub = SlackStub()

    @app.post("/api/{method}")
    async def api(method: str, request: Request) -> JSONResponse:
        stub.base_url = stub.base_url or str(request.base_url).rstrip("/")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        fields = await _fields(request)
        with stub.lock:
            stub.calls.append(SlackCall(method, token, fields))
            pending = stub.failures.get(method)
            error = pending.pop(0) if pending else None
        if error:
            return JSONResponse({"ok": False, "error": error})
        return JSONResponse(_answer(stub, method, fields))

    @app.post("/slack-upload/{file_id}")
    async def upload(file_id: str, request: Request) -> JSONResponse:
        body = await request.body()
        with stub.lock:
            stub.calls.append(SlackCall("upload", "", {"file_id": file_id}, body))
        return JSONResponse({"ok": True})

    return stub
