"""`CompatChatOpenAI` smooths over what OpenAI-compatible servers do differently (see docs/contracts.md):
it asks for tools with `tool_choice: "auto"` (llama-cpp-python's server leaves the tools out without it),
sends an assistant message that carries tool calls with `"content": ""` rather than `null` (that server
answers 500 to null), retries a tool step without streaming when a server answers a streamed tool step
with an empty 200 (and does so for that endpoint from then on), and marks streamed tool calls whose
complete JSON arguments do not parse (LangChain repairs partial JSON while streaming, which would hide a
cut-off call) so that `check_tool_calls` refuses them before any tool runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import openai
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

from elara_bot.agent.shopper import BROKEN_ARGS

log = logging.getLogger(__name__)
OPENAI = "https://api.openai.com/v1"


class CompatChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` that works with the OpenAI-compatible servers operators actually run."""

    _unstreamed_tools: bool = PrivateAttr(default=False)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return super().bind_tools(tools, tool_choice=tool_choice or "auto", **kwargs)

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        for message in payload.get("messages", []):
            if message.get("role") == "assistant" and message.get("content") is None:
                message["content"] = ""
        if "max_completion_tokens" in payload and "api.openai.com" not in (self.openai_api_base or OPENAI):
            # ChatOpenAI sends OpenAI's newer name; llama-cpp-python and older servers read only max_tokens
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        if kwargs.get("tools") and self._unstreamed_tools:
            yield await self._unstreamed(messages, stop, kwargs)
            return
        held: list[ChatGenerationChunk] | None = []  # until the first content or tool call arrives
        raw: dict[int, list[str]] = {}
        names: dict[int, str] = {}
        try:
            async for chunk in super()._astream(messages, stop, *args, **kwargs):
                _collect(chunk, raw, names)
                if held is None:
                    yield chunk
                    continue
                held.append(chunk)
                if _substantive(chunk):
                    for kept in held:
                        yield kept
                    held = None
        except openai.APIStatusError as exc:  # llama-server before May 2025: "Cannot use tools with stream"
            if held is None or not kwargs.get("tools") or "stream" not in str(exc.message).lower():
                raise
            held = []
        if held is not None and kwargs.get("tools"):
            log.warning(
                "%s cannot stream tool steps (empty answer or refused): they go unstreamed",
                self.openai_api_base,
            )
            self._unstreamed_tools = True
            yield await self._unstreamed(messages, stop, kwargs)
            return
        for kept in held or []:
            yield kept
        broken = _broken(raw, names)
        if broken:
            yield ChatGenerationChunk(
                message=AIMessageChunk(content="", additional_kwargs={BROKEN_ARGS: broken})
            )

    async def _unstreamed(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatGenerationChunk:
        rest = {k: v for k, v in kwargs.items() if k not in ("stream", "stream_usage", "stream_options")}
        result = await self._agenerate(messages, stop=stop, **rest)
        message = result.generations[0].message
        assert isinstance(message, AIMessage)
        calls = [
            {
                "name": c["name"],
                "args": json.dumps(c["args"]),
                "id": c["id"],
                "index": i,
                "type": "tool_call_chunk",
            }
            for i, c in enumerate(message.tool_calls)
        ]
        calls += [
            {
                "name": c["name"],
                "args": c["args"],
                "id": c["id"],
                "index": len(calls) + i,
                "type": "tool_call_chunk",
            }
            for i, c in enumerate(message.invalid_tool_calls)
        ]
        chunk = AIMessageChunk(
            content=message.content,
            id=message.id,
            tool_call_chunks=calls,
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        )
        return ChatGenerationChunk(message=chunk)


def _collect(chunk: ChatGenerationChunk, raw: dict[int, list[str]], names: dict[int, str]) -> None:
    message = chunk.message
    for part in message.tool_call_chunks if isinstance(message, AIMessageChunk) else []:
        index = part.get("index") or 0
        raw.setdefault(index, []).append(part.get("args") or "")
        if part.get("name"):
            names[index] = str(part["name"])


def _substantive(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    return bool(message.content) or bool(isinstance(message, AIMessageChunk) and message.tool_call_chunks)


def _broken(raw: dict[int, list[str]], names: dict[int, str]) -> list[list[str]]:
    """Tool calls whose complete streamed arguments are not a JSON object (empty means `{}`)."""
    broken = []
    for index, pieces in sorted(raw.items()):
        text = "".join(pieces).strip() or "{}"
        try:
            if isinstance(json.loads(text), dict):
                continue
            error = "the arguments are not a JSON object"
        except json.JSONDecodeError as exc:
            error = f"the arguments are not complete JSON ({exc.msg} at {exc.pos} of {len(text)})"
        broken.append([names.get(index, "?"), error])
    return broken
