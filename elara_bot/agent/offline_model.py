"""The built-in offline chat model: a LangChain `BaseChatModel` driven by `offline.respond`.

On a shopper message it answers with the tool calls a real model would make (only tools that are bound); once
the tool results are back it phrases a reply from them. It reads the conversation state and the embedder
from the run's context (`ShopperContext`, the same object the tools get), understands the message with the
NLU trained on that embedder (`Nlu.for_embedder`), and writes the question its reply asks, if any, to
`ShopperContext.asked`, where the conversation's memory keeps it for the next turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from elara_bot.agent.offline import Agenda, Plan, proceed, respond
from elara_bot.agent.scripted import (
    ScriptedChatModel,
    Tool,
    last_human_text,
    tool_calls,
    tool_results_since_last_human,
)
from elara_bot.agent.state import Question, ShownProduct, ShownVariant
from elara_bot.agent.tools import ShopperContext
from elara_bot.contracts import ToolOutcome
from elara_bot.money import format_amount
from elara_bot.nlu import Nlu


def _tool_name(tool: Tool) -> str:
    """A tool's name; the full schema conversion (slow, and done on every model call) only when needed."""
    if isinstance(tool, BaseTool):
        return tool.name
    return str(convert_to_openai_tool(tool)["function"]["name"])


class OfflineChatModel(ScriptedChatModel):
    """Deterministic shopping model that needs no network."""

    llm_type = "elara-offline"
    bound_tools: tuple[str, ...] = ()

    def bound(self, tools: Sequence[Tool]) -> OfflineChatModel:
        return self.model_copy(update={"bound_tools": tuple(_tool_name(tool) for tool in tools)})

    def reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        ctx = turn_context(kwargs)
        if ctx is None:
            raise RuntimeError("the offline model runs inside a shopper agent, with a ShopperContext")
        results = tool_results_since_last_human(messages)
        if results:
            return self._after(results, messages, ctx)
        nlu = Nlu.for_embedder(ctx.embedder, ctx.settings.data_dir / "nlu")
        return self._act(respond(last_human_text(messages), ctx.state, nlu), ctx)

    def _after(
        self, results: list[ToolMessage], messages: list[BaseMessage], ctx: ShopperContext
    ) -> AIMessage:
        """The calls' results are in: do the message's remaining requests, or say what was done."""
        latest = _latest_results(messages)
        for result in latest:
            if isinstance(result.artifact, ToolOutcome) and result.status != "error":
                ctx.state.absorb(result.artifact)
            if result.name == "get_product" and (looked := _product_details(result.text)) is not None:
                ctx.state.details.append(looked)
        said = ""
        if isinstance(ctx.agenda, Agenda):
            plan = proceed(ctx.agenda, ctx.state)
            ctx.agenda, said = plan.agenda, plan.answer or ""
            ctx.asked = plan.question or ctx.asked
            if plan.calls:
                return self._act(plan, ctx)
        text = f"{phrase_results(results, _question_asked(messages))} {said}".strip()
        if (offer := _offer(latest)) is not None:
            ctx.asked = offer
        return AIMessage(content=_with_question(text, ctx.asked))

    def _act(self, plan: Plan, ctx: ShopperContext) -> AIMessage:
        ctx.asked = plan.question or ctx.asked
        ctx.agenda = plan.agenda
        calls = [c for c in plan.calls if not self.bound_tools or c.name in self.bound_tools]
        if calls:
            return tool_calls(calls)
        text = plan.answer or "Sorry, I can only help with shopping in this store."
        return AIMessage(content=text)


def _with_question(text: str, asked: Question | None) -> str:
    if asked is None or not asked.text or asked.text in text:
        return text
    return f"{text} {asked.text}".strip()


def turn_context(kwargs: dict[str, Any]) -> ShopperContext | None:
    """The context of the graph run calling the model (None outside one)."""
    given = kwargs.get("context")
    if isinstance(given, ShopperContext):
        return given
    try:
        from langgraph.runtime import get_runtime

        context = get_runtime().context
    except (RuntimeError, KeyError, AttributeError):  # called outside a graph run
        return None
    return context if isinstance(context, ShopperContext) else None


def _question_asked(messages: list[BaseMessage]) -> str | None:
    """The question the last tool call of the turn was made for (the policy question)."""
    for message in reversed(messages):
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                if call["name"] == "store_policy":
                    return str(call["args"].get("question", ""))
            return None
    return None


def _product_details(content: str) -> ShownProduct | None:
    """A product as get_product answered it (the model reads the tool's text, as any model would)."""
    try:
        data = json.loads(content)
        variants = [ShownVariant.model_validate(v) for v in data.get("variants", [])]
        return ShownProduct(
            position=0,
            product_id=str(data["id"]),
            title=str(data["title"]),
            price_min_minor=data.get("price_min_minor"),
            currency=str(data.get("currency", "")),
            variants=variants,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _latest_results(messages: list[BaseMessage]) -> list[ToolMessage]:
    """The results of the model's last round of calls."""
    found: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        found.append(message)
    return list(reversed(found))


def _offer(results: list[ToolMessage]) -> Question | None:
    """Nothing matched but something near did: a yes shows the nearest products (the same search without
    the constraints that emptied it)."""
    for result in results:
        try:
            data = json.loads(result.text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("nothing_matched") and data.get("alternatives"):
            return Question(
                intent="show_alternatives",
                slot="confirmation",
                tool="show_products",
                args={"product_ids": [str(a["product_id"]) for a in data["alternatives"]]},
                text="Want to see it?",
            )
    return None


def phrase_results(results: list[ToolMessage], question: str | None = None) -> str:
    """A short reply in words from the tool results (the reply parts carry the details); ``question`` is
    the shopper's question a policy lookup was made for."""
    return " ".join(_phrase(result.name or "", result.text, question) for result in results).strip()


def _phrase(name: str, content: str, question: str | None = None) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        return content
    if not isinstance(data, dict):
        return content
    if "error" in data:
        return str(data.get("detail") or data["error"])
    if name == "store_policy":
        return policy_answer(data, question or "")
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
    items = ", ".join(f"{line['quantity']} x {line['title']}" for line in order.get("lines", []))
    return f"Order {order['number']} is {order['status']}" + (f": {items}." if items else ".")


POLICY_REPLY_CHARS = 320  # the quoted part of a policy passage: whole sentences up to about this length
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_QUESTION_NOISE = frozenset(
    """a an the i you we your our my me is are am do does did can could would will should what which when
    where how why who if it its to of in on for with and or at by from be been have has there this that
    these those any some about policy policies store shop please tell know want need get us anything
    ever way ok okay hi hello thanks""".split()
)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{2,}(?:\s[A-Z][a-z]+)*)")


# what shoppers say for the words policy texts use
_SAID_AS = (
    (re.compile(r"\bmoney back|get (?:my )?money|reimburs", re.I), "refund"),
    (re.compile(r"\b(?:send|take|bring|give) (?:\w+ )?back\b", re.I), "return"),
    (re.compile(r"\bdeliver|arriv|postage|\bship", re.I), "shipping"),
    (re.compile(r"\bswap|trade (?:it )?in|different size", re.I), "exchange"),
    (re.compile(r"\bguarant|broke|stopped working|defect", re.I), "warranty"),
)


def _content(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    found = {w.removesuffix("s")[:5] for w in words if w not in _QUESTION_NOISE and len(w) > 2}
    return found | {word.removesuffix("s")[:5] for pattern, word in _SAID_AS if pattern.search(text)}


def policy_answer(data: dict[str, Any], question: str) -> str:
    """The sentences of the store's policy text that answer ``question``, quoted; when the text does not
    say (a place or a thing the question names is in no passage, or no sentence shares a word with it),
    it says so rather than guess, and offers a person."""
    passages = data.get("passages", [])
    if not passages and data.get("topic"):
        topic = data["topic"]
        return f"Our policies don't say anything about {topic}. I can connect you with a person if you like."
    if not passages:
        return "I couldn't find that in our store policies. I can connect you with a person if you like."
    bodies = " ".join(f"{p['title']} {p['body']}" for p in passages).lower()
    named = [
        n for n in _PROPER.findall(question) if n.lower() not in bodies and n.lower() not in _QUESTION_NOISE
    ]
    wanted = _content(question)
    # the search ranks passages by meaning (and says when none covers the question): the first is the
    # answer; another passage is quoted only when the first shares no word with the question and it does
    title, quote, overlap = _best_sentences(passages[:1], wanted)
    if not overlap and len(passages) > 1:
        other = _best_sentences(passages[1:], wanted)
        title, quote = (other[0], other[1]) if other[2] else (title, quote)
    if named:
        return (
            f"Our policies don't say anything about {', '.join(named)}. What they say on {title.lower()}: "
            f"{quote} I can connect you with a person to ask."
        )
    return f"{title}: {quote}"


def _best_sentences(passages: list[dict[str, Any]], wanted: set[str]) -> tuple[str, str, int]:
    """(passage title, quoted sentences, words shared with the question) of the best-matching sentence,
    with its neighbours up to the reply length; passages come ranked, so ties go to the first."""
    best: tuple[float, int, int] = (-1.0, 0, 0)  # (score, passage, sentence)
    split = [_SENTENCE_END.split(" ".join(str(p["body"]).split())) for p in passages]
    when = question_asks_when(wanted)
    for i, sentences in enumerate(split):
        title_words = _content(str(passages[i]["title"]))
        for j, sentence in enumerate(sentences):
            words = _content(sentence)
            score = len(wanted & words) + 0.5 * len(wanted & title_words - words)
            if when and _TIME.search(sentence):
                score += 1
            if score > best[0]:
                best = (score, i, j)
    score, i, j = best
    quote = concise(" ".join(split[i][j:]))
    if j > 0:  # a passage leads with its rule ("within 30 days of delivery"): it goes first
        quote = f"{split[i][0]} {quote}"
    return str(passages[i]["title"]), quote, int(score > 0)


_TIME = re.compile(
    r"\b(\d+\s*(?:(?:to|-)\s*\d+\s*)?(?:business\s+)?(?:days?|weeks?|hours?)"
    r"|at once|immediately|same day|next day|within)\b",
    re.I,
)


def question_asks_when(wanted: set[str]) -> bool:
    """A question about time ("how long", "when", "how soon"): sentences with a time in them answer it."""
    return bool(wanted & {"long", "when", "soon", "days", "quick", "fast"})


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
    "clear_cart": _cart,
    "payment_link": lambda d: f"Here is the payment link for order {d['order_number']} again.",
    "show_products": _products,
    "handoff_to_human": lambda d: "I've asked a member of our team to join. They will reply here shortly.",
}
