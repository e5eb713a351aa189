"""The shopper agent: LangChain's `create_agent` over the shopper tools, run as a stream of messages.

The system prompt is the versioned shopper prompt plus a note on the conversation so far (products shown
with their positions and SKUs, the cart, a pending confirmation), so a hosted model can resolve "the
second one in size 10" as the offline model does. A model that fails (error, timeout, malformed or
unknown tool call) raises `ModelFailure`; the caller rolls the turn back.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from elara_bot.agent.tools import SHOPPER_TOOLS, ShopperContext
from elara_bot.observability import observe_llm


def _schema(schema: Any) -> dict[str, Any]:
    return schema if isinstance(schema, dict) else dict(schema.model_json_schema())


TOOL_NAMES = frozenset(tool.name for tool in SHOPPER_TOOLS)
TOOL_ARGS = {
    tool.name: frozenset(_schema(tool.tool_call_schema).get("properties", {})) for tool in SHOPPER_TOOLS
}
RECURSION_LIMIT = 16  # model and tool steps in one turn
# additional_kwargs key the OpenAI-compatible model sets on streamed tool calls whose complete arguments are
# not JSON: [[name, error], ...]
BROKEN_ARGS = "elara_broken_tool_args"


class ModelFailure(Exception):
    """The chat model could not produce a usable answer; `kind` names why (for logs and metrics)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def failure_kind(exc: BaseException) -> str:
    """A short, stable name for why a model call failed (the `kind` label of the LLM metrics and logs):
    `http_500`, `timeout`, `connection`, or a `ModelFailure`'s own kind (`empty_answer`, ...), not the class
    name langchain-openai happens to wrap the error in (`OpenAIAPIError`)."""
    if isinstance(exc, ModelFailure):
        return exc.kind
    if isinstance(exc, TimeoutError | ModelTimeoutError):
        return "timeout"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"http_{status}"
    if isinstance(exc, ModelConnectionError):
        return "connection"
    return type(exc).__name__


@dataclass
class TurnContext(ShopperContext):
    """The tools' context plus what the model should know of the conversation so far."""

    prompt: str = ""
    note: str = ""
    # the tools of one turn share its connection and its cart: parallel calls run one at a time, so each
    # result the model reads is the state after that call (three adds of a SKU report 1, 2, 3), not a mix
    tool_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ShopperMiddleware(AgentMiddleware[Any, TurnContext]):
    """Sets the system prompt from the turn's context and times every model call."""

    async def awrap_model_call(
        self,
        request: ModelRequest[TurnContext],
        handler: Callable[[ModelRequest[TurnContext]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        ctx = request.runtime.context
        prompt = ctx.prompt + (f"\n\n# This conversation\n{ctx.note}" if ctx.note else "")
        request = request.override(system_message=SystemMessage(prompt))
        provider = request.model._llm_type
        started = time.perf_counter()
        try:
            response = await handler(request)
            response.result = [_checked(message, request.messages) for message in response.result]
        except ModelFailure as exc:
            observe_llm(provider, time.perf_counter() - started, exc.kind)
            raise
        except Exception as exc:
            observe_llm(provider, time.perf_counter() - started, failure_kind(exc))
            raise
        observe_llm(provider, time.perf_counter() - started)
        return response

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        context = request.runtime.context
        if not isinstance(context, TurnContext):
            return await handler(request)
        async with context.tool_lock:
            return await handler(request)


class ShopperAgents:
    """The compiled shopper agents of the chat models a service keeps (compiling a graph costs ~5-10 ms).
    Each `ConversationService` owns one; there is no process-wide default.

    At most `size` models are kept, least recently used out first. Button presses share the service's one
    `ActionModel` (its calls come from each turn's context), so a press compiles nothing (a model per press
    once kept a graph per press for the life of the process, and then compiled one per press).
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._agents: OrderedDict[int, tuple[BaseChatModel, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._agents)

    def get(self, model: BaseChatModel) -> Any:
        key = id(model)  # with the model kept alongside, an id is not reused while its entry lives
        kept = self._agents.get(key)
        if kept is None:
            kept = (model, _compile(model))
            self._agents[key] = kept
        self._agents.move_to_end(key)
        while len(self._agents) > self.size:
            self._agents.popitem(last=False)
        return kept[1]


def _compile(model: BaseChatModel) -> Any:
    return create_agent(
        model, tools=SHOPPER_TOOLS, middleware=[ShopperMiddleware()], context_schema=TurnContext
    )


async def run_agent(
    agent: Any,
    ctx: TurnContext,
    messages: list[BaseMessage],
    configurable: dict[str, Any],
    *,
    stream_tokens: bool,
    timeout_s: float,
) -> AsyncIterator[tuple[str, Any]]:
    """Yield ("delta", text) as the model writes and ("message", message) for each finished message."""
    config: Any = {"configurable": configurable, "recursion_limit": RECURSION_LIMIT}
    modes = ["updates", "messages"] if stream_tokens else ["updates"]
    stream = agent.astream({"messages": messages}, config=config, context=ctx, stream_mode=modes)
    try:
        async with asyncio.timeout(timeout_s):
            async for mode, chunk in stream:
                for item in _items(mode, chunk):
                    yield item
    except (ModelFailure, psycopg.Error):
        raise
    except TimeoutError as exc:
        raise ModelFailure("timeout", f"no answer within {timeout_s:.0f} s") from exc
    except Exception as exc:
        raise ModelFailure(failure_kind(exc), str(exc)[:300]) from exc


def _items(mode: str, chunk: Any) -> list[tuple[str, Any]]:
    if mode == "messages":
        message, meta = chunk
        if isinstance(message, AIMessageChunk | AIMessage) and meta.get("langgraph_node") == "model":
            # a preview: entities are unescaped here too, but `done` carries the checked, cleaned text
            return [("delta", html.unescape(message.text))] if message.text else []
        return []
    items: list[tuple[str, Any]] = []
    for update in (chunk or {}).values():
        for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
            items.append(("message", message))  # tool calls were checked by ShopperMiddleware
    return items


def _checked(message: BaseMessage, history: Sequence[BaseMessage]) -> BaseMessage:
    """The model's message, checked (tool calls) and cleaned (text), or `ModelFailure`."""
    if not isinstance(message, AIMessage):
        return message
    check_tool_calls(message)
    if message.tool_calls or not isinstance(message.content, str):
        return message
    text = clean_text(message.content)
    if not text.strip() and not _tools_ran(history):
        raise ModelFailure("empty_answer", "the model answered nothing and called no tool")
    return message if text == message.content else message.model_copy(update={"content": text})


def _tools_ran(history: Sequence[BaseMessage]) -> bool:
    """Whether a tool answered since the shopper's last message (this turn had an effect to report)."""
    for message in reversed(history):
        if isinstance(message, HumanMessage):
            return False
        if isinstance(message, ToolMessage):
            return True
    return False


# what weak models and some servers' chat templates leave in the text: a tool call written out instead of
# made (Qwen/Hermes `<tool_call>`, Mistral `[TOOL_CALLS]`, `functions.name:` from OpenAI-style templates)
LEAKED_CALL = re.compile(
    r"<tool_call>.*?(?:</tool_call>|$)"
    r"|\[TOOL_CALLS\].*$"
    r"|(?<![\w.])functions\.[A-Za-z_]\w*:[ \t]*(?:\{[^{}]*\}|\[[^\[\]]*\])?",
    re.DOTALL,
)


def clean_text(text: str) -> str:
    """HTML entities unescaped (`I&#39;m`), leaked tool-call syntax removed; nothing else touched."""
    cleaned = html.unescape(text) if "&" in text else text
    if "tool_call" in cleaned or "TOOL_CALLS" in cleaned or "functions." in cleaned:
        cleaned = re.sub(r"[ \t]{2,}", " ", LEAKED_CALL.sub("", cleaned)).strip()
    return cleaned


def check_tool_calls(message: AIMessage) -> None:
    broken = message.additional_kwargs.get(BROKEN_ARGS)
    if broken:  # streamed: LangChain repaired the cut-off JSON into `tool_calls`, the raw bytes tell
        name, error = broken[0]
        raise ModelFailure("malformed_tool_call", f"{name}: {error}")
    if message.invalid_tool_calls:
        raise ModelFailure("malformed_tool_call", str(message.invalid_tool_calls[0].get("error", ""))[:300])
    unknown = [call["name"] for call in message.tool_calls if call["name"] not in TOOL_NAMES]
    if unknown:
        raise ModelFailure("unknown_tool", f"the model called {unknown[0]!r}, which is not a shopper tool")
    for call in message.tool_calls:
        extra = sorted(set(call["args"]) - TOOL_ARGS[call["name"]])
        if extra:  # e.g. a price: the tools never take one, and dropping it silently would hide the attempt
            raise ModelFailure("unexpected_argument", f"{call['name']} takes no argument {extra[0]!r}")
