"""What the scripted chat models share: LangChain's `BaseChatModel` plumbing around a decision made in code.

`OfflineChatModel` (the shopper's offline model), `ActionModel` (button presses) and
`OfflineMerchantModel` (the analyst's offline model) each write only `reply(messages, kwargs)`: the
`AIMessage` to answer with, usually tool calls (`tool_calls`) before the results are in
(`tool_results_since_last_human`) and words after.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

Tool = dict[str, Any] | type | Callable[..., Any] | BaseTool


@dataclass
class ToolCallPlan:
    """One tool call a scripted model decided to make."""

    name: str
    args: dict[str, Any]


class ScriptedChatModel(BaseChatModel):
    """A chat model whose answer `reply` computes; binding tools keeps the model (see `bound`)."""

    llm_type: ClassVar[str] = "elara-scripted"

    @property
    def _llm_type(self) -> str:
        return self.llm_type

    def reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        raise NotImplementedError

    def bound(self, tools: Sequence[Tool]) -> ScriptedChatModel:
        """The model to use with ``tools`` bound: itself, unless it needs to know them."""
        return self

    def bind_tools(
        self, tools: Sequence[Tool], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bound(tools)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.reply(messages, kwargs))])


def tool_calls(calls: Iterable[ToolCallPlan | tuple[str, dict[str, Any]]], content: str = "") -> AIMessage:
    """An AI message making ``calls`` (each with a fresh call id)."""
    made = [c if isinstance(c, tuple) else (c.name, c.args) for c in calls]
    return AIMessage(
        content=content,
        tool_calls=[
            {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            for name, args in made
        ],
    )


def tool_results_since_last_human(messages: list[BaseMessage]) -> list[ToolMessage]:
    """The tool results of this turn so far, oldest first."""
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage):
            results.append(message)
    return list(reversed(results))


def last_human_text(messages: list[BaseMessage]) -> str:
    return next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")
