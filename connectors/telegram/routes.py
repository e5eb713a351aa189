"""``POST /webhooks/telegram``: verify the secret token, accept JSON only, deduplicate, answer at once."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from connectors.telegram.connector import TelegramConnector, webhook_secret
from elara_bot.api.deps import RuntimeDep
from elara_bot.api.guard import MAX_JSON_DEPTH, contains_nul, json_depth, out_of_bigint
from elara_bot.errors import ElaraError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class UnsupportedMediaType(ElaraError):
    status_code = 415


def verified_connector(
    runtime: RuntimeDep,
    secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
) -> TelegramConnector:
    """The connector, once the request carries the webhook's secret token (compared in constant time)."""
    connector = runtime.connectors.get("telegram")
    if not isinstance(connector, TelegramConnector):
        raise NotFound("Telegram is not configured")
    expected = webhook_secret(runtime.settings.telegram).encode()
    if secret is None or not hmac.compare_digest(secret.encode(), expected):
        raise Forbidden("invalid or missing Telegram secret token")
    return connector


async def update_payload(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("Telegram updates are JSON")
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..."
        raise InvalidInput("the body is not valid JSON", status_code=400) from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise InvalidInput("not a Telegram update (no integer update_id)", status_code=400)
    return data


def unprocessable(data: dict[str, Any]) -> str | None:
    """Why a well-formed update cannot be stored (PostgreSQL bigint and text limits), or None."""
    if json_depth(data) > MAX_JSON_DEPTH:  # before the recursive checks below
        return "nested too deeply"
    if out_of_bigint(data):
        return "an integer (update_id, a chat or user id) beyond the 64-bit range"
    if contains_nul(data):
        return "a NUL character in a text field"
    return None


@router.post("/webhooks/telegram", include_in_schema=False)
async def telegram_webhook(
    connector: Annotated[TelegramConnector, Depends(verified_connector)],
    data: Annotated[dict[str, Any], Depends(update_payload)],
) -> JSONResponse:
    if (reason := unprocessable(data)) is not None:
        # acknowledged, so that Telegram stops redelivering an update that can never be processed
        log.warning("telegram update ignored: %s", reason)
        return JSONResponse({"ok": True, "duplicate": False, "ignored": reason})
    new = await connector.accept(data)
    return JSONResponse({"ok": True, "duplicate": not new})
