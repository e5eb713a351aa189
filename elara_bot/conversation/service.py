"""The conversation service: every channel's shopper turns go through `stream` (or `handle`).

A turn runs in one database transaction: load and lock the conversation, run the agent (its tools write
through the same connection), save the reply and the memory, commit. A model that fails rolls the whole
turn back (no half-done cart changes); the offline model then answers instead when settings allow, else
the shopper gets an apology. Turns run as tasks of their own, so a client that hangs up mid-stream
does not cut a turn in half, and shutdown can wait for them (`drain`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import psycopg
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from psycopg_pool import AsyncConnectionPool

from elara_bot.agent.action_model import ActionModel
from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.agent.shopper import ModelFailure, ShopperAgents, TurnContext, run_agent
from elara_bot.agent.state import ConversationState
from elara_bot.agent.tools import LABELS
from elara_bot.catalog.cache import SearchCaches
from elara_bot.config import Settings
from elara_bot.contracts import (
    DeltaEvent,
    ErrorEvent,
    HandoffPart,
    HistoryTurn,
    InboundMessage,
    OutboundReply,
    ReplyEvent,
    ToolEvent,
)
from elara_bot.conversation import memory, store
from elara_bot.conversation.actions import ActionPlan, plan_action
from elara_bot.conversation.model_health import ModelHealth
from elara_bot.conversation.payment_links import open_payment_links
from elara_bot.conversation.suggestions import suggest
from elara_bot.customers.service import customer_for_identity, get_customer
from elara_bot.db import Conn
from elara_bot.errors import ElaraError, InvalidInput, NotFound, RateLimited, Unauthorized
from elara_bot.observability import (
    conversation_id_var,
    observe_chat_turn,
    observe_fallback,
    observe_tool_call,
)
from elara_bot.payments.base import PaymentProvider
from retrieval.embedding import Embedder

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 12  # past messages the model sees; older turns live on in the state's memory
APOLOGY = (
    "Sorry, I'm having trouble answering right now and nothing was changed. Please try again in a moment."
)
FALLBACK_NOTICE = "(Our assistant is running in basic mode right now, so it may understand less than usual.)"
HANDOFF_WAIT = "A member of our team has your message and will answer you here."
HANDOFF_CLOSED = "You're back with the shop assistant. What can I help you with?"
HandoffHook = Callable[[UUID, str], Awaitable[None]]
Emit = Callable[[ReplyEvent], Awaitable[None]]


@dataclass
class ConversationService:
    pool: AsyncConnectionPool[Conn]
    settings: Settings
    embedder: Embedder
    provider: PaymentProvider
    model: BaseChatModel = field(default_factory=OfflineChatModel)
    fallback: BaseChatModel | None = None
    prompt: str = ""
    # This service's own compiled agents and search caches (never the process's).
    agents: ShopperAgents = field(default_factory=ShopperAgents)
    search_caches: SearchCaches = field(default_factory=SearchCaches)
    # the hosted model's failures since it last answered a turn (`/readyz` reads it)
    model_health: ModelHealth = field(default_factory=ModelHealth)
    # button presses: one model for all of them, reading each press's calls from the turn's context
    action_model: ActionModel = field(default_factory=ActionModel)
    on_handoff: list[HandoffHook] = field(default_factory=list)
    # Awaited with (conversation_id, text) for a shopper's message while a person has the conversation.
    on_shopper_message_in_handoff: list[HandoffHook] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def handle(self, message: InboundMessage) -> OutboundReply:
        """Run one turn and return the whole reply."""
        async for event in await self.stream(message, stream_tokens=False):
            if event.event == "done":
                assert isinstance(event.data, OutboundReply)
                return event.data
            if isinstance(event.data, ErrorEvent):
                raise ElaraError(event.data.detail, event.data.status)
        raise ElaraError("the turn ended without a reply", 500)

    async def stream(
        self, message: InboundMessage, *, stream_tokens: bool = True
    ) -> AsyncIterator[ReplyEvent]:
        """Admit the turn (rate limit, customer, action syntax: raising `ElaraError` before anything
        streams) and start it; the events end with `done` (or `error`)."""
        customer_id = await self._admit(message)
        queue: asyncio.Queue[ReplyEvent] = asyncio.Queue()
        task = asyncio.create_task(self._produce(message, customer_id, queue.put, stream_tokens))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return _until_done(queue)

    async def drain(self, timeout_s: float) -> None:
        """Wait (bounded) for the turns in flight: graceful shutdown."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    async def history(self, channel: str, key: str, *, after_id: int = 0) -> list[HistoryTurn]:
        async with self.pool.connection() as conn:
            conversation_id = await store.find_conversation(conn, channel, key)
            if conversation_id is None:
                return []
            return await store.history(conn, conversation_id, after_id=after_id)

    async def relay_from_human(self, conn: Conn, conversation_id: UUID, text: str) -> None:
        """A merchant's words in a handoff: stored for the shopper's channel to show."""
        await store.save_message(conn, conversation_id, "human_agent", text)

    async def close_handoff(self, conn: Conn, conversation_id: UUID) -> OutboundReply:
        """The assistant answers again; the shopper is told so (the reply is stored for the history)."""
        await store.clear_handoff(conn, conversation_id)
        part = HandoffPart(status="closed")  # the text is the notice: a detail would say it again
        reply = OutboundReply(text=HANDOFF_CLOSED, parts=[part], conversation_id=conversation_id)
        await store.save_message(conn, conversation_id, "assistant", reply.text, reply.parts)
        return reply

    # --- admission ------------------------------------------------------------------------------
    async def _admit(self, message: InboundMessage) -> UUID:
        if message.action:
            plan_action(message.action, None)  # refuses a malformed action with a clear 422
        elif not message.text.strip():
            raise InvalidInput("the message is empty: type something or press a button")
        async with self.pool.connection() as conn, conn.transaction():
            customer_id = await _customer(conn, message)
            key = f"{message.channel}:{message.external_user_id}"
            turns, left_s = await store.count_turn(conn, key)
            if turns == 1:  # a new window for this session: a good moment to drop stale ones
                await store.prune_rate_windows(conn)
        if turns > self.settings.chat_rate_per_minute:
            raise RateLimited(f"Too many messages: try again in {left_s} s.", left_s)
        return customer_id

    # --- one turn -------------------------------------------------------------------------------
    async def _produce(
        self, message: InboundMessage, customer_id: UUID, emit: Emit, stream_tokens: bool
    ) -> None:
        observe_chat_turn(message.channel)
        started = time.perf_counter()
        try:
            try:
                reply, handoffs = await self._turn(message, customer_id, emit, self.model, stream_tokens)
            except ModelFailure as failure:
                reply, handoffs = await self._recover(message, customer_id, emit, failure)
            await emit(ReplyEvent("done", reply))
            log.info(
                "chat turn on %s: %d part(s) in %.0f ms",
                message.channel,
                len(reply.parts),
                (time.perf_counter() - started) * 1000,
            )
        except ElaraError as exc:
            error = ErrorEvent(error=exc.name, detail=exc.message, status=exc.status_code)
            await emit(ReplyEvent("error", error))
            return
        except psycopg.OperationalError as exc:  # the database went away mid-turn (restart, failover)
            log.warning("database unavailable during a chat turn: %s", exc)
            unavailable = ErrorEvent(error="ServiceUnavailable", detail=APOLOGY, status=503)
            await emit(ReplyEvent("error", unavailable))
            return
        except Exception:
            log.exception("chat turn failed")
            await emit(ReplyEvent("error", ErrorEvent(error="InternalError", detail=APOLOGY)))
            return
        if reply.conversation_id is None:
            return
        if any(part.type == "handoff" and part.status == "active" for part in reply.parts):
            await _notify(self.on_shopper_message_in_handoff, reply.conversation_id, message.text)
        for reason in handoffs:
            await _notify(self.on_handoff, reply.conversation_id, reason)

    async def _recover(
        self, message: InboundMessage, customer_id: UUID, emit: Emit, failure: ModelFailure
    ) -> tuple[OutboundReply, list[str]]:
        """The turn was rolled back: the offline model answers it (when allowed), else the apology."""
        if self.fallback is not None:
            try:
                reply, handoffs = await self._turn(message, customer_id, emit, self.fallback, False)
            except ModelFailure:
                log.exception("the offline fallback failed too")
            else:
                self._report_fallback(failure, "offline")
                if self.settings.llm.fallback_notice == "loud":
                    reply = reply.model_copy(update={"text": f"{reply.text}\n\n{FALLBACK_NOTICE}".strip()})
                return reply, handoffs
        self._report_fallback(failure, "apology")
        async with self.pool.connection() as conn, conn.transaction():
            conversation_id, _ = await store.open_conversation(
                conn, message.channel, message.conversation_key, customer_id
            )
            await store.save_message(conn, conversation_id, "user", message.text)
            await store.save_message(conn, conversation_id, "assistant", APOLOGY)
        return OutboundReply(text=APOLOGY, conversation_id=conversation_id), []

    async def _turn(
        self,
        message: InboundMessage,
        customer_id: UUID,
        emit: Emit,
        model: BaseChatModel,
        stream_tokens: bool,
    ) -> tuple[OutboundReply, list[str]]:
        async with self.pool.connection() as conn, conn.transaction():
            conversation_id, raw = await store.open_conversation(
                conn, message.channel, message.conversation_key, customer_id
            )
            conversation_id_var.set(str(conversation_id))
            state = ConversationState.load(raw)
            if state.handoff == "active":
                await store.save_message(conn, conversation_id, "user", message.text)
                part = HandoffPart(status="active")  # the text is the notice: no second line
                return OutboundReply(text=HANDOFF_WAIT, parts=[part], conversation_id=conversation_id), []
            await memory.refresh(conn, customer_id, state)
            ctx = self._context(conn, customer_id, state)
            plan = plan_action(message.action, state.pending) if message.action else None
            produced = await self._run(ctx, conversation_id, message, plan, model, state, emit, stream_tokens)
            reply = memory.build_reply(conversation_id, produced, plan.answer if plan else None)
            if ctx.asked is not None and ctx.asked.instead_of_cards:
                reply.parts = [part for part in reply.parts if part.type != "product_cards"]
            memory.remember(
                state, produced, handoff=bool(ctx.handoff_reasons), confirmed=ctx.confirmed, asked=ctx.asked
            )
            memory.ask_to_confirm(reply, state.pending)
            offer = state.asked is not None and state.asked.slot == "confirmation"
            reply.parts.extend(suggest(reply.parts, state.pending, first_turn=not state.turns, offer=offer))
            state.turns += 1
            said = (reply.text, reply.parts, memory.tool_calls(produced))
            await store.save_turn(conn, conversation_id, state.dump(), message.text, said)
        if ctx.payments_to_open:  # committed: the payment pages open with no connection or lock held
            reply = await open_payment_links(
                self.pool, customer_id, ctx.payments_to_open, self.provider, self.settings, reply
            )
        return reply, list(ctx.handoff_reasons)

    def _report_fallback(self, failure: ModelFailure, answer: str) -> None:
        """One structured line and one count per turn the hosted model failed, by kind."""
        observe_fallback(failure.kind, answer)
        llm = self.settings.llm
        streak = self.model_health.streak(llm.degraded_window_s)
        fields = {
            "event": "llm_fallback",
            "kind": failure.kind,
            "answer": answer,
            "failures_in_a_row": len(streak),
            "degraded": len(streak) >= llm.degraded_after,
            "detail": str(failure)[:300],
        }
        log.warning(
            "chat model failed (%s); turn rolled back, answered by %s",
            failure.kind,
            answer,
            extra={"fields": fields},
        )

    def _context(self, conn: Conn, customer_id: UUID, state: ConversationState) -> TurnContext:
        return TurnContext(
            conn=conn,
            customer_id=customer_id,
            settings=self.settings,
            embedder=self.embedder,
            provider=self.provider,
            search_caches=self.search_caches,
            prompt=self.prompt,
            note=memory.note(state),
            state=state,
        )

    async def _run(
        self,
        ctx: TurnContext,
        conversation_id: UUID,
        message: InboundMessage,
        plan: ActionPlan | None,
        model: BaseChatModel,
        state: ConversationState,
        emit: Emit,
        stream_tokens: bool,
    ) -> list[BaseMessage]:
        if plan is not None and plan.answer is not None:
            state.pending = None
            return []
        if plan is not None:
            model = self.action_model
            ctx.action_calls = plan.calls
            ctx.confirmed = plan.confirmed
        else:  # only a clear yes to the question just asked, for exactly that call, once
            ctx.confirmed = memory.confirmation(state, message.text)
        history = await store.recent_messages(ctx.conn, conversation_id, HISTORY_MESSAGES)
        produced: list[BaseMessage] = []
        configurable: dict[str, Any] = {}
        messages = [*history, HumanMessage(message.text or message.action or "")]
        hosted = model is self.model  # the hosted model answers (not a button's ActionModel)
        try:
            async for kind, item in self._agent_items(ctx, model, messages, configurable, stream_tokens):
                if kind == "delta":
                    await emit(ReplyEvent("delta", DeltaEvent(text=item)))
                    continue
                produced.append(item)
                await self._announce(item, emit)
        except ModelFailure as failure:
            if hosted:
                self.model_health.failed(failure.kind)
            raise
        if hosted:
            self.model_health.succeeded()
        return produced

    def _agent_items(
        self,
        ctx: TurnContext,
        model: BaseChatModel,
        messages: list[BaseMessage],
        configurable: dict[str, Any],
        stream_tokens: bool,
    ) -> AsyncIterator[tuple[str, Any]]:
        return run_agent(
            self.agents.get(model),
            ctx,
            messages,
            configurable,
            stream_tokens=stream_tokens,
            timeout_s=self.settings.llm.timeout_s * (self.settings.llm.max_retries + 1) + 5,
        )

    async def _announce(self, message: BaseMessage, emit: Emit) -> None:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                await emit(_tool_event(call["name"], "started"))
            return
        outcome = memory.tool_outcome(message)
        if outcome is None:
            return
        name = message.name or ""
        observe_tool_call(name, "ok" if outcome.error is None else "error")
        await emit(_tool_event(name, "done" if outcome.error is None else "error"))
        for part in outcome.parts:
            await emit(ReplyEvent("part", part))


def _tool_event(name: str, status: Literal["started", "done", "error"]) -> ReplyEvent:
    return ReplyEvent("tool", ToolEvent(name=name, label=LABELS.get(name, "Working on it…"), status=status))


async def _notify(hooks: list[HandoffHook], conversation_id: UUID, text: str) -> None:
    for hook in hooks:
        try:
            await hook(conversation_id, text)
        except Exception:
            log.exception("handoff hook failed for conversation %s", conversation_id)


async def _until_done(queue: asyncio.Queue[ReplyEvent]) -> AsyncIterator[ReplyEvent]:
    while True:
        event = await queue.get()
        yield event
        if event.event in {"done", "error"}:
            return


async def _customer(conn: Conn, message: InboundMessage) -> UUID:
    """The customer of the turn: a web session's own (an active customer, else a 401), or the one of the
    channel's user (made on first contact)."""
    if message.customer_id is None:
        found = await customer_for_identity(
            conn, message.channel, message.external_user_id, display_name=message.display_name
        )
        return found.id
    try:
        return (await get_customer(conn, message.customer_id)).id
    except NotFound as exc:
        raise Unauthorized("the session's customer no longer exists") from exc
