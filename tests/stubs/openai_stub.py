"""OpenAI-compatible stand-in: a scripted `/openai/v1/chat/completions` (JSON and SSE with tool-call deltas).

It lives under `/openai` because the Stripe stand-in owns every `/v1/...` path: use
`base_url=f"{stubs.base_url}/openai/v1"`.

A test sets `stub.script` to a list of steps; each request consumes the next one. A step is
`{"tool_calls": [(name, args_dict_or_raw_json_str), ...]}`, `{"content": "text"}`, or a failure:
`{"fail": 500}`, `{"fail": "timeout", "sleep": seconds}`; `"delay": seconds` on any step answers it late.
Malformed tool-call JSON is a raw string argument,
an unknown tool is just a name the agent did not bind. Every request body is recorded in `stub.requests`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class OpenAIStub:
    script: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0

    def reset(self, script: list[dict[str, Any]] | None = None) -> None:
        self.script = list(script or [])
        self.requests.clear()
        self.calls = 0

    def next_step(self) -> dict[str, Any]:
        self.calls += 1
        return self.script.pop(0) if self.script else {"content": "(script exhausted)"}


def _tool_calls(step: dict[str, Any]) -> list[dict[str, Any]]:
    calls = []
    for index, (name, args) in enumerate(step.get("tool_calls", [])):
        raw = args if isinstance(args, str) else json.dumps(args)
        calls.append(
            {"id": f"call_{index + 1}", "type": "function", "function": {"name": name, "arguments": raw}}
        )
    return calls


def _completion(step: dict[str, Any], model: str) -> dict[str, Any]:
    calls = _tool_calls(step)
    message: dict[str, Any] = {"role": "assistant", "content": None if calls else step.get("content", "")}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunk(delta: dict[str, Any], model: str, finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


async def _stream(step: dict[str, Any], model: str) -> AsyncIterator[str]:
    calls = _tool_calls(step)
    yield _chunk({"role": "assistant", "content": ""}, model)
    for index, call in enumerate(calls):
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield _chunk({"tool_calls": [head]}, model)
        raw = call["function"]["arguments"]
        for start in range(0, len(raw), 8):
            piece = {"index": index, "function": {"arguments": raw[start : start + 8]}}
            yield _chunk({"tool_calls": [piece]}, model)
    if not calls:
        for word in str(step.get("content", "")).split(" "):
            yield _chunk({"content": word + " "}, model)
    yield _chunk({}, model, "tool_calls" if calls else "stop")
    yield "data: [DONE]\n\n"


def mount(app: FastAPI, state: Any) -> OpenAIStub:
    stub = OpenAIStub()

    @app.get("/openai/v1/models")
    async def models() -> dict[str, Any]:  # what readiness probes ask
        return {"object": "list", "data": [{"id": "stub", "object": "model", "owned_by": "elara-tests"}]}

    @app.post("/openai/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = await request.json()
        stub.requests.append(body)
        step = stub.next_step()
        if step.get("fail") == 500:
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        if step.get("fail") == "timeout":
            await asyncio.sleep(float(step.get("sleep", 5)))
        if step.get("delay"):
            await asyncio.sleep(float(step["delay"]))
        model = str(body.get("model", "stub"))
        if body.get("stream"):
            return StreamingResponse(_stream(step, model), media_type="text/event-stream")
        return JSONResponse(_completion(step, model))

    return stub
