"""OpenAI-compatible stand-in: a scripted `/openai/v1/chat/completions` (JSON and SSE with tool-call deltas).

It lives under `/openai` because the Stripe stand-in owns every `/v1/...` path: use
`base_url=f"{stubs.base_url}/openai/v1"`.

A test sets `stub.script` to a list of steps; each request consumes the next one. A step is
`{"tool_calls": [(name, args_dict_or_raw_json_str), ...]}`, `{"content": "text"}`, or a failure:
`{"fail": 500}`, `{"fail": "timeout", "sleep": seconds}`; `"delay": seconds` on any step answers it late.
Malformed tool-call JSON is a raw string argument,
an unknown tool is just a name the agent did not bind. Every request body is recorded in `stub.requests`.

`stub.reset(script, profile="llama-cpp-python")` makes the stand-in behave like one server (`PROFILES`):
the compatibility differences Elara must cope with, as each server documents or was seen to behave.
"""

from __future__ import annotations

import asyncio
import html
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass(frozen=True)
class Profile:
    """How one OpenAI-compatible server differs. The default is OpenAI's documented behaviour."""

    name: str = "openai"
    needs_tool_choice: bool = False  # without `tool_choice` the tools are left out of the prompt
    null_content_500: bool = False  # an assistant message with `"content": null` is answered with HTTP 500
    streams_tool_calls: bool = True  # False: a streamed tool step is answered with an empty 200
    refuses_streamed_tools: bool = False  # a streamed request with tools is answered 500 (old llama-server)
    args_in_one_chunk: bool = False  # a streamed call's arguments arrive whole, not in pieces
    usage_on_stream: bool = True  # a last usage chunk when `stream_options.include_usage` asks for it
    parallel_calls: bool = True  # False: only the first of several calls in one step is sent
    escapes_html: bool = False  # the chat template leaves HTML entities in the text (`I&#39;m`)


PROFILES = {
    profile.name: profile
    for profile in (
        Profile("openai"),
        # docs.vllm.ai "Tool Calling": auto/required/none/named tool_choice, auto needing the server flags
        # --enable-auto-tool-choice --tool-call-parser; tool-call arguments streamed as generated
        Profile("vllm"),
        # ollama.com/blog/streaming-tool (May 2025): tool calls stream, each call arriving whole in one chunk
        Profile("ollama", args_in_one_chunk=True),
        # llama.cpp's llama-server with --jinja: tool calls streamed as deltas keyed by index (PR #12379;
        # before it, a streamed tool request got 500 "Cannot use tools with stream"); parallel_tool_calls
        # is off unless the request asks for it
        Profile("llama-server", parallel_calls=False),
        # llama-server before that PR: 500 "Cannot use tools with stream"
        Profile("llama-server-old", parallel_calls=False, refuses_streamed_tools=True),
        # llama-cpp-python's server (seen in issue 18): no tools without tool_choice, 500 on null content,
        # an empty 200 for a streamed tool step, entities from its chat template, no usage on streams
        Profile(
            "llama-cpp-python",
            needs_tool_choice=True,
            null_content_500=True,
            streams_tool_calls=False,
            usage_on_stream=False,
            parallel_calls=False,
            escapes_html=True,
        ),
    )
}


@dataclass
class OpenAIStub:
    script: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    profile: Profile = field(default_factory=Profile)

    def reset(self, script: list[dict[str, Any]] | None = None, profile: str = "openai") -> None:
        self.script = list(script or [])
        self.requests.clear()
        self.calls = 0
        self.profile = PROFILES[profile]

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


def _as_served(step: dict[str, Any], body: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The step as this server would answer the request."""
    if step.get("tool_calls") and profile.needs_tool_choice and not body.get("tool_choice"):
        return {"content": "I don't have any tools for that."}  # the model never saw the tools
    if step.get("tool_calls") and not profile.parallel_calls:
        step = {**step, "tool_calls": step["tool_calls"][:1]}
    if profile.escapes_html and step.get("content"):
        step = {**step, "content": html.escape(str(step["content"]))}
    return step


def _rejects(body: dict[str, Any], profile: Profile) -> bool:
    return profile.null_content_500 and any(
        m.get("role") == "assistant" and m.get("content") is None for m in body.get("messages", [])
    )


async def _stream(
    step: dict[str, Any], model: str, profile: Profile = Profile(), usage: bool = False
) -> AsyncIterator[str]:
    calls = _tool_calls(step)
    if calls and not profile.streams_tool_calls:
        return  # an empty 200
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
        size = len(raw) if profile.args_in_one_chunk else 8
        for start in range(0, len(raw), max(size, 1)):
            piece = {"index": index, "function": {"arguments": raw[start : start + size]}}
            yield _chunk({"tool_calls": [piece]}, model)
    if not calls:
        for word in str(step.get("content", "")).split(" "):
            yield _chunk({"content": word + " "}, model)
    yield _chunk({}, model, "tool_calls" if calls else "stop")
    if usage and profile.usage_on_stream:
        counts = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        body = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": model, "choices": []}
        yield f"data: {json.dumps({**body, 'usage': counts})}\n\n"
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
        asked = stub.next_step()
        step = _as_served(asked, body, stub.profile)
        if body.get("stream") and step.get("tool_calls") and not stub.profile.streams_tool_calls:
            stub.script.insert(0, asked)  # answered empty: asked again, the model calls the same
        if _rejects(body, stub.profile):
            return JSONResponse({"error": {"message": "content must be a string"}}, status_code=500)
        if body.get("stream") and body.get("tools") and stub.profile.refuses_streamed_tools:
            stub.script.insert(0, asked)
            error = {"code": 500, "message": "Cannot use tools with stream", "type": "server_error"}
            return JSONResponse({"error": error}, status_code=500)
        if step.get("fail") == 500:
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        if step.get("fail") == "timeout":
            await asyncio.sleep(float(step.get("sleep", 5)))
        if step.get("delay"):
            await asyncio.sleep(float(step["delay"]))
        model = str(body.get("model", "stub"))
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            stream = _stream(step, model, stub.profile, usage)
            return StreamingResponse(stream, media_type="text/event-stream")
        return JSONResponse(_completion(step, model))

    return stub
