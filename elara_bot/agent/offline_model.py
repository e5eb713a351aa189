"""The built-in offline chat model: a LangChain `BaseChatModel` driven by `offline.understand`.

On a shopper message it answers with the tool calls a real model would make (only tools that are bound); once
the tool results are back it phrases a reply from them. The conversation memory it needs (the products last
shown, the pending confirmation...) comes from the run's config: `configurable["offline_memory"]`, an
`OfflineMemory`. A confirmation question is returned with `response_metadata["elara_pending"]` so the
conversation service can store it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from elara_bot.agent.offline import OfflineMemory, Understanding, understand
from elara_bot.money import format_amount


def _tool_name(tool: dict[str, Any] | type | Callable[..., Any] | BaseTool) -> str:
    """A tool's name; the full schema conversion (slow, and done on every model call) only when needed."""
    if isinstance(tool, BaseTool):
        return tool.name
    return str(convert_to_openai_tool(tool)["function"]["name"])


class OfflineChatModel(BaseChatModel):
    """Deterministic shopping model that needs no network."""

    bound_tools: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "elara-offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        names = tuple(_tool_name(tool) for tool in tools)
        return self.model_copy(update={"bound_tools": names})

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
            message = self._decide(_last_human_text(messages), _memory(kwargs))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _decide(self, text: str, memory: OfflineMemory) -> AIMessage:
        found = understand(text, memory)
        calls = [c for c in found.calls if not self.bound_tools or c.name in self.bound_tools]
        if calls:
            tool_calls = [
                {"name": c.name, "args": c.args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
                for c in calls
            ]
            return AIMessage(content="", tool_calls=tool_calls)
        return _direct_answer(found)


def _direct_answer(found: Understanding) -> AIMessage:
    metadata: dict[str, Any] = {"elara_kind": found.kind}
    if found.pending is not None:
        metadata["elara_pending"] = found.pending
    text = found.answer or "Sorry, I can only help with shopping in this store."
    return AIMessage(content=text, response_metadata=metadata)


def _memory(kwargs: dict[str, Any]) -> OfflineMemory:
    given = kwargs.get("offline_memory")
    if isinstance(given, OfflineMemory):
        return given
    try:
        from langgraph.config import get_config

        configured = get_config().get("configurable", {}).get("offline_memory")
    except RuntimeError:  # called outside a graph run
        return OfflineMemory()
    return configured if isinstance(configured, OfflineMemory) else OfflineMemory()


def _last_human_text(messages: list[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def tool_results_since_last_human(messages: list[BaseMessage]) -> list[ToolMessage]:
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage):
            results.append(message)
    return list(reversed(results))


def phrase_results(results: list[ToolMessage]) -> str:
    """A short reply in words from the tool results (the reply parts carry the details)."""
    return " ".join(_phrase(result.name or "", result.text) for result in results).strip()


def _phrase(name: str, content: str) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        return content
    if not isinstance(data, dict):
        return content
    if "error" in data:
        return str(data.get("detail") or data["error"])
    phrasing = _PHRASES.get(name)
    return phrasing(data) if phrasing else str(data.get("message", "Done."))


def _money(minor: int, currency: str) -> str:
    return format_amount(minor, currency, symbol=False, grouping=False)


def _products(data: dict[str, Any]) -> str:
    products = data.get("products", [])
    if not products and data.get("nothing_matched"):  # the search said why, and what is nearest
        offer = " Want to see it?" if data.get("alternatives") else ""
        return f"{data['nothing_matched']}{offer}"
    if not products:
        return "I couldn't find anything matching that. Try other words or a wider price range."
    lines = [
        f"{p.get('position', i + 1)}. {p['title']} ({_money(p['price_min_minor'], p['currency'])})"
        for i, p in enumerate(products)
    ]
    return "Here is what I found: " + "; ".join(lines) + ". Say 'add the first one' to add one to your cart."


def _cart(data: dict[str, Any]) -> str:
    cart = data.get("cart", data)
    lines = cart.get("lines", [])
    if not lines:
        return "Your cart is empty."
    total = _money(int(cart.get("total_minor", 0)), str(cart.get("currency", "")))
    count = sum(int(line.get("quantity", 0)) for line in lines)
    return f"Your cart has {count} item(s), total {total}."


def _checkout(data: dict[str, Any]) -> str:
    total = _money(int(data["total_minor"]), str(data["currency"]))
    return f"Order {data['order_number']} is ready: {total}. Pay with the link below."


def _order(data: dict[str, Any]) -> str:
    order = data.get("order", data)
    if "orders" in data:
        orders = data["orders"]
        if not orders:
            return "You have no orders yet."
        return "Your orders: " + "; ".join(f"{o['number']} ({o['status']})" for o in orders) + "."
    return f"Order {order['number']} is {order['status']}."


POLICY_REPLY_CHARS = 320  # the quoted part of a policy passage: whole sentences up to about this length
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _policy(data: dict[str, Any]) -> str:
    """The best passage, quoted: its title as the lead, then its first sentences."""
    passages = data.get("passages", [])
    if not passages:
        return "I couldn't find that in our store policies. I can connect you with a person if you like."
    first = passages[0]
    return f"{first['title']}: {concise(str(first['body']))}"


def concise(text: str, limit: int = POLICY_REPLY_CHARS) -> str:
    """Whole sentences of ``text`` up to about ``limit`` characters (at least one sentence, cut if huge)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    kept = ""
    for sentence in _SENTENCE_END.split(flat):
        if kept and len(kept) + 1 + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}" if kept else sentence
    if len(kept) > limit * 2:
        kept = kept[:limit].rsplit(" ", 1)[0] + "…"
    return kept


_PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "search_products": _products,
    "recommend": _products,
    "get_product": lambda d: f"{d['title']}: {d.get('description', '')}",
    "add_to_cart": _cart,
    "update_cart_item": _cart,
    "remove_from_cart": _cart,
    "view_cart": _cart,
    "checkout": _checkout,
    "order_status": _order,
    "cancel_order": _order,
    "request_return": lambda d: str(d.get("message", "Your return request is recorded.")),
    "store_policy": _policy,
    "handoff_to_human": lambda d: "I've asked a member of our team to join. They will reply here shortly.",
}
