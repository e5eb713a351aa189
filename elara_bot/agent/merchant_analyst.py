"""The merchant analyst: LangChain's `create_agent` over the read-only merchant tools.

The hosted chat model when one is configured, else the offline planner (`OfflineMerchantModel`); the
system prompt is the latest prompts/merchant_analyst.vN.txt. Failure handling is the shopper's: a model
that fails (error, timeout, malformed or unknown tool call, empty answer) raises `ModelFailure`, the
attempt is rolled back (each attempt runs in a savepoint), the offline planner answers instead when
allowed, else an apology; every failed turn is logged once and counted in `elara_llm_fallbacks_total`.
Every answer states the exact period of its figures: the tool results' periods are appended when the
model's text leaves them out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from elara_bot.agent.merchant_tools import MERCHANT_LC_TOOLS, MerchantContext, ToolResult
from elara_bot.agent.offline_merchant import OfflineMerchantModel
from elara_bot.agent.shopper import ModelFailure, clean_text, failure_kind, run_agent
from elara_bot.analytics import repository as analytics_repo
from elara_bot.analytics.service import store_today
from elara_bot.config import Settings
from elara_bot.contracts import OutboundReply, ReplyPart
from elara_bot.db import Conn
from elara_bot.observability import observe_fallback, observe_llm
from elara_bot.prompts import load_prompt

log = logging.getLogger(__name__)
APOLOGY = "Sorry, I can't answer right now. Please try again in a moment."
FALLBACK_NOTICE = "(Answered in basic mode: the AI model is unavailable right now.)"
TOOL_NAMES = frozenset(t.name for t in MERCHANT_LC_TOOLS)


def system_prompt(version: str | None = None) -> str:
    """The merchant analyst's system prompt (the latest version unless one is pinned)."""
    return load_prompt("merchant_analyst", version)


class AnalystMiddleware(AgentMiddleware[Any, MerchantContext]):
    """The system prompt from the run's context; every model call timed and checked."""

    async def awrap_model_call(
        self,
        request: ModelRequest[MerchantContext],
        handler: Callable[[ModelRequest[MerchantContext]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        request = request.override(system_message=SystemMessage(request.runtime.context.prompt))
        provider = request.model._llm_type
        started = time.perf_counter()
        try:
            response = await handler(request)
            response.result = [_checked(m) for m in response.result]
        except Exception as exc:
            observe_llm(provider, time.perf_counter() - started, failure_kind(exc))
            raise
        observe_llm(provider, time.perf_counter() - started)
        return response


def _checked(message: BaseMessage) -> BaseMessage:
    if not isinstance(message, AIMessage):
        return message
    if message.invalid_tool_calls:
        raise ModelFailure("malformed_tool_call", str(message.invalid_tool_calls[0].get("error", ""))[:300])
    for call in message.tool_calls:
        if call["name"] not in TOOL_NAMES:
            raise ModelFailure("unknown_tool", f"the model called {call['name']!r}, not a merchant tool")
    if message.tool_calls or not isinstance(message.content, str):
        return message
    return message.model_copy(update={"content": clean_text(message.content)})


def compile_analyst(model: BaseChatModel) -> Any:
    return create_agent(
        model, tools=MERCHANT_LC_TOOLS, middleware=[AnalystMiddleware()], context_schema=MerchantContext
    )


class MerchantAnalyst:
    """Answers one merchant question on a connection (read-only; each attempt in a savepoint)."""

    def __init__(
        self,
        model: BaseChatModel | None = None,
        fallback: BaseChatModel | None = None,
        *,
        zone: str = "UTC",
        now: datetime | None = None,
        prompt: str | None = None,
        timeout_s: float = 120,
    ) -> None:
        self.model = model or OfflineMerchantModel()
        self.fallback = fallback
        self.zone = zone
        self.now = now
        self.prompt = prompt if prompt is not None else system_prompt()
        self.timeout_s = timeout_s
        self._agents: dict[int, Any] = {}

    async def answer(self, conn: Conn, question: str) -> OutboundReply:
        try:
            return await self._attempt(conn, question, self.model)
        except ModelFailure as failure:
            return await self._recover(conn, question, failure)

    async def _recover(self, conn: Conn, question: str, failure: ModelFailure) -> OutboundReply:
        answer = "offline" if self.fallback is not None else "apology"
        reply = OutboundReply(text=APOLOGY)
        if self.fallback is not None:
            try:
                reply = await self._attempt(conn, question, self.fallback)
                reply = reply.model_copy(update={"text": f"{reply.text}\n\n{FALLBACK_NOTICE}"})
            except ModelFailure:
                log.exception("the merchant analyst's offline fallback failed too")
                answer = "apology"
        observe_fallback(failure.kind, answer)
        fields = {"event": "llm_fallback", "role": "merchant", "kind": failure.kind, "answer": answer}
        log.warning(
            "merchant analyst model failed (%s); answered by %s",
            failure.kind,
            answer,
            extra={"fields": fields},
        )
        return reply

    async def _attempt(self, conn: Conn, question: str, model: BaseChatModel) -> OutboundReply:
        ctx = MerchantContext(
            conn=conn,
            zone=self.zone,
            now=self.now,
            prompt=self.prompt,
            categories=await analytics_repo.categories(conn),
            products=await analytics_repo.product_titles(conn),
        )
        produced: list[BaseMessage] = []
        async with conn.transaction(force_rollback=True):  # a failed attempt leaves nothing behind
            items = run_agent(
                self._agent(model),
                ctx,  # type: ignore[arg-type]
                [HumanMessage(question)],
                {
                    "merchant_categories": ctx.categories,
                    "merchant_products": ctx.products,
                    "merchant_today": store_today(self.now, self.zone).isoformat(),  # the planner's "today"
                },
                stream_tokens=False,
                timeout_s=self.timeout_s,
            )
            async for kind, item in items:
                if kind == "message":
                    produced.append(item)
        return _reply(produced)

    def _agent(self, model: BaseChatModel) -> Any:
        key = id(model)
        if key not in self._agents:
            self._agents[key] = compile_analyst(model)
        return self._agents[key]


def build_analyst(settings: Settings, hosted: BaseChatModel | None) -> MerchantAnalyst:
    """The analyst for these settings: the hosted chat model (the shopper's) when one is configured, with the
    offline planner as its fallback when allowed; the offline planner alone otherwise."""
    if settings.llm.provider != "openai" or hosted is None:
        return MerchantAnalyst(zone=settings.store_time_zone)
    fallback = OfflineMerchantModel() if settings.llm.fallback_to_offline else None
    llm = settings.llm
    return MerchantAnalyst(
        hosted, fallback, zone=settings.store_time_zone, timeout_s=llm.timeout_s * (llm.max_retries + 1) + 5
    )


def _reply(produced: list[BaseMessage]) -> OutboundReply:
    order = [c["id"] for m in produced if isinstance(m, AIMessage) for c in m.tool_calls]
    answered = [m for m in produced if isinstance(m, ToolMessage) and isinstance(m.artifact, ToolResult)]
    answered.sort(key=lambda m: order.index(m.tool_call_id) if m.tool_call_id in order else len(order))
    results: list[ToolResult] = [m.artifact for m in answered]  # in the order the model called them
    finals = [m for m in produced if isinstance(m, AIMessage) and not m.tool_calls]
    text = finals[-1].text.strip() if finals else ""
    if not text:
        if not results:
            raise ModelFailure("empty_answer", "the model answered nothing and called no tool")
        text = "\n".join(r.text for r in results)
    parts: list[ReplyPart] = [p for r in results for p in r.parts]
    missing = [label for r in results for label in r.periods if not _mentions(text, label)]
    if missing:
        text += "\n" + "Period: " + "; ".join(dict.fromkeys(missing)) + "."
    return OutboundReply(text=text, parts=parts)


def _mentions(text: str, label: str) -> bool:
    """Whether the text names the period: its label, or its dates."""
    dates = [w.strip("()") for w in label.split() if w.strip("(),").count("-") == 2]
    return label in text or bool(dates) and all(d.strip(",") in text for d in dates)
