"""POST /api/v1/sessions: an anonymous shopper gets a signed session token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from elara_bot.api.auth import issue_token
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.customers.service import open_anonymous_session

router = APIRouter(prefix="/api/v1", tags=["sessions"])


class SessionOut(BaseModel):
    token: str = Field(examples=["IjNmYTg1ZjY0LTU3MTctNDU2Mi1iM2ZjLTJjOTYzZjY2YWZhNiI.Z1x2aQ.sig"])


@router.post(
    "/sessions",
    response_model=SessionOut,
    status_code=201,
    responses={
        429: {"description": "Too many sessions created from this address; see `Retry-After`"},
        503: {"description": "The cap on live anonymous sessions is reached; see `Retry-After`"},
    },
)
async def create_session(request: Request, runtime: RuntimeDep, conn: ConnDep) -> SessionOut:
    """A new anonymous shopper; send the token back as ``Authorization: Bearer <token>``.

    Each client address may create ``ELARA_SESSIONS__CREATE_PER_MINUTE`` sessions a minute (429 with
    `Retry-After` beyond); 503 when the cap on live anonymous sessions is reached and none is idle."""
    client = request.client.host if request.client else "unknown"
    customer = await open_anonymous_session(conn, runtime.settings.sessions, client)
    return SessionOut(token=issue_token(runtime.settings, customer.id))
