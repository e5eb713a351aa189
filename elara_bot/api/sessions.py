"""POST /api/v1/sessions: an anonymous shopper gets a signed session token."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from pydantic import BaseModel, Field

from elara_bot.api.auth import issue_token
from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.customers.service import customer_for_identity

router = APIRouter(prefix="/api/v1", tags=["sessions"])


class SessionOut(BaseModel):
    token: str = Field(examples=["IjNmYTg1ZjY0LTU3MTctNDU2Mi1iM2ZjLTJjOTYzZjY2YWZhNiI.Z1x2aQ.sig"])


@router.post("/sessions", response_model=SessionOut, status_code=201)
async def create_session(runtime: RuntimeDep, conn: ConnDep) -> SessionOut:
    """A new anonymous shopper; send the token back as ``Authorization: Bearer <token>``."""
    customer = await customer_for_identity(conn, "web", "web_" + secrets.token_hex(16))
    return SessionOut(token=issue_token(runtime.settings, customer.id))
