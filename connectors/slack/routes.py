"""``POST /slack/events``: Slack events, interactivity and the ``/elara`` command, handed to bolt."""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Request, Response

from connectors.slack.connector import SlackConnector
from elara_bot.api.deps import RuntimeDep
from elara_bot.api.guard import body_has_nul, json_problem
from elara_bot.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


def _has_nul(body: bytes) -> bool:
    """NUL in an event (JSON) or in a form field (commands; interactivity's URL-encoded JSON payload)."""
    return body_has_nul(body) or body_has_nul(unquote_to_bytes(body))


@router.post("/slack/events", include_in_schema=False)
async def slack_events(request: Request, runtime: RuntimeDep) -> Response:
    connector = runtime.connectors.get("slack")
    if not isinstance(connector, SlackConnector):
        raise NotFound("Slack is not configured")
    body = await request.body()
    for json_part in (body, unquote_to_bytes(body).partition(b"payload=")[2]):  # event, interactivity
        if json_part and json_problem(json_part) is not None:
            raise InvalidInput("the body is nested too deeply or holds a huge integer", status_code=400)
    if _has_nul(body):
        # PostgreSQL cannot store it; acknowledged (Slack retries anything else) and dropped, signed or not
        log.warning("slack request ignored: it contains a NUL character")
        return Response(status_code=200)
    return await connector.handler.handle(request)
