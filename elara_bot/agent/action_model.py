"""A chat model for button presses: it makes the given tool calls, then phrases their results.

A button (`add:<sku>:<qty>`, `checkout`, ...) is unambiguous, so no model is asked; running it as an agent
turn anyway keeps one path for tools, reply parts, memory and transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from elara_bot.agent.offline_model import phrase_results, tool_results_since_last_human


class ActionModel(BaseChatModel):
    """Emits `calls` ([(tool name, args)]) once, then a reply worded from the tool results."""

    calls: list[tuple[str, dict[str, Any]]]

    @property
    def _llm_type(self) -> str:
        return "elara-action"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        results = tool_results_since_last_human(messages)
        if results:
            message = AIMessage(content=phrase_results(results))
        else:
            message = AIMessage(
                content="",
                tool_calls=[
                    {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
                    for name, args in self.calls
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=message)])
