"""Web chat: `POST /api/v1/chat` (JSON or server-sent events) and `GET /api/v1/chat/history`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response, StreamingResponse

from elara_bot.api.auth import ChatSession, ChatShopper
from elara_bot.api.deps import RuntimeDep
from elara_bot.contracts import (
    ChatRequest,
    HistoryTurn,
    InboundMessage,
    OutboundReply,
    ReplyEvent,
)
from elara_bot.conversation.service import ConversationService
from elara_bot.errors import ServiceUnavailable

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])

SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The reply (JSON), or with `Accept: text/event-stream` a stream of `tool`, `delta`, "
        "`part` events ending with `done` (the whole reply) or `error`.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    429: {"description": "Too many messages in this session; see `Retry-After`."},
}


def _service(runtime: Any) -> ConversationService:
    service = runtime.conversation
    if not isinstance(service, ConversationService):
        raise ServiceUnavailable("the assistant is not available right now")
    return service


def _inbound(customer_id: UUID, body: ChatRequest) -> InboundMessage:
    key = str(customer_id)
    return InboundMessage(
        channel="web",
        external_user_id=key,
        conversation_key=key,
        text=body.message,
        action=body.action,
        customer_id=customer_id,
    )


@router.post("", response_model=OutboundReply, responses=SSE_DOC)
async def chat(
    body: ChatRequest,
    customer_id: ChatSession,
    runtime: RuntimeDep,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """One shopper turn. A button press sends its label as `message` and its `action`."""
    service = _service(runtime)
    inbound = _inbound(customer_id, body)
    if "text/event-stream" not in (accept or ""):
        # written once by pydantic; returned as a model, FastAPI dumped it to Python objects and the
        # standard json module serialised those again (``response_model`` still documents the body)
        reply = await service.handle(inbound)
        return Response(reply.model_dump_json(), media_type="application/json")
    events = await service.stream(inbound)
    return StreamingResponse(
        _frames(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _frames(events: AsyncIterator[ReplyEvent]) -> AsyncIterator[str]:
    async for event in events:
        yield event.frame()


@router.get("/history", response_model=list[HistoryTurn])
async def history(
    shopper: ChatShopper,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="only messages after this id")] = 0,
) -> list[HistoryTurn]:
    """The session's conversation, oldest first (a reloaded page redraws it; poll with `after`)."""
    key = str(shopper.id)
    return await _service(runtime).history("web", key, after_id=after)
