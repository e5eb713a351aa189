"""A chat model for button presses: it makes the given tool calls, then phrases their results.

A button (`add:<sku>:<qty>`, `checkout`, ...) is unambiguous, so no model is asked; running it as an agent
turn anyway keeps one path for tools, reply parts, memory and transactions.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from elara_bot.agent.offline_model import phrase_results
from elara_bot.agent.scripted import ScriptedChatModel, tool_calls, tool_results_since_last_human


class ActionModel(ScriptedChatModel):
    """Emits `calls` ([(tool name, args)]) once, then a reply worded from the tool results."""

    llm_type = "elara-action"
    calls: list[tuple[str, dict[str, Any]]]

    def reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        results = tool_results_since_last_human(messages)
        return AIMessage(content=phrase_results(results)) if results else tool_calls(self.calls)
