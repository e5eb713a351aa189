"""A chat model for button presses: it makes the press's tool calls, then phrases their results.

A button (`add:<sku>:<qty>`, `checkout`, ...) is unambiguous, so no model is asked; running it as an agent
turn anyway keeps one path for tools, reply parts, memory and transactions. The calls come from the turn's
context (`ShopperContext.action_calls`), so one model, and one compiled graph, serves every press (a model
per press compiled a graph per press: 5-10 ms each).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from elara_bot.agent.offline_model import phrase_results, turn_context
from elara_bot.agent.scripted import ScriptedChatModel, tool_calls, tool_results_since_last_human


class ActionModel(ScriptedChatModel):
    """Emits the turn's `action_calls` ([(tool name, args)]) once, then a reply worded from the results."""

    llm_type = "elara-action"

    def reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        results = tool_results_since_last_human(messages)
        if results:
            return AIMessage(content=phrase_results(results))
        ctx = turn_context(kwargs)
        return tool_calls(ctx.action_calls if ctx is not None else [])
