"""Web API authentication: signed shopper session tokens and the admin API key."""

from __future__ import annotations

import hmac
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header
from itsdangerous import BadSignature, URLSafeTimedSerializer

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import raises
from elara_bot.config import Settings
from elara_bot.customers.schemas import CustomerPublic
from elara_bot.customers.service import get_customer
from elara_bot.errors import NotFound, Unauthorized

SALT = "elara-session"
ADMIN_CHALLENGE = 'ApiKey realm="elara admin", header="X-Admin-Key"'
MAX_TOKEN_CHARS = 1024  # issued tokens are ~90 characters; longer ones are refused before any HMAC
SEND_TOKEN = "send Authorization: Bearer <token> from POST /api/v1/sessions"
INVALID_TOKEN = 'Bearer realm="elara", error="invalid_token"'


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.auth.session_secret.get_secret_value(), salt=SALT)


def issue_token(settings: Settings, customer_id: UUID) -> str:
    return str(_serializer(settings).dumps(str(customer_id)))


def read_token(settings: Settings, token: str) -> UUID:
    max_age = settings.auth.session_ttl_days * 86_400
    try:
        return UUID(str(_serializer(settings).loads(token, max_age=max_age)))
    except (BadSignature, ValueError) as exc:
        raise Unauthorized("invalid or expired session token", challenge=INVALID_TOKEN) from exc


def _bearer(authorization: str | None) -> str:
    """The token of ``Bearer <token>``; a missing, empty, malformed or oversized one is a 401."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(SEND_TOKEN)
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or " " in token:
        raise Unauthorized("malformed session token: " + SEND_TOKEN, challenge=INVALID_TOKEN)
    return token


@raises(401)
async def current_shopper(
    runtime: RuntimeDep,
    conn: ConnDep,
    authorization: Annotated[str | None, Header(description="Bearer <session token>")] = None,
) -> CustomerPublic:
    customer_id = read_token(runtime.settings, _bearer(authorization))
    try:
        return await get_customer(conn, customer_id)
    except NotFound as exc:
        raise Unauthorized("the session's customer no longer exists") from exc


@raises(401, 503)  # its own pooled connection: 503 when the database is down
async def chat_shopper(
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header(description="Bearer <session token>")] = None,
) -> CustomerPublic:
    """The shopper for a chat turn, read on a connection that is returned at once: the turn takes its
    own, so a request never holds two pooled connections (which deadlocks a full pool)."""
    customer_id = read_token(runtime.settings, _bearer(authorization))
    try:
        async with runtime.pool.connection() as conn:
            return await get_customer(conn, customer_id)
    except NotFound as exc:
        raise Unauthorized("the session's customer no longer exists") from exc


@raises(401, 503)  # 503: the turn's admission reads the database
def chat_session(
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header(description="Bearer <session token>")] = None,
) -> UUID:
    """The customer id of a chat turn's session token. The turn's admission reads the customer (a 401 when
    it no longer exists) in the transaction that counts the turn, so a turn checks out no extra connection."""
    return read_token(runtime.settings, _bearer(authorization))


@raises(401)
def admin_key(
    runtime: RuntimeDep,
    x_admin_key: Annotated[str | None, Header(description="the admin API key")] = None,
) -> None:
    expected = runtime.settings.auth.admin_api_key.get_secret_value()
    if x_admin_key is None or not hmac.compare_digest(x_admin_key.encode(), expected.encode()):
        raise Unauthorized("a valid X-Admin-Key header is required", challenge=ADMIN_CHALLENGE)


CurrentShopper = Annotated[CustomerPublic, Depends(current_shopper)]
ChatShopper = Annotated[CustomerPublic, Depends(chat_shopper)]
ChatSession = Annotated[UUID, Depends(chat_session)]
AdminKey = Annotated[None, Depends(admin_key)]
