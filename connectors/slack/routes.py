"""``POST /slack/events``: Slack events, interactivity and the ``/elara`` command, handed to bolt."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from connectors.slack.connector import SlackConnector
from elara_bot.api.deps import RuntimeDep
from elara_bot.errors import NotFound

router = APIRouter(tags=["webhooks"])


@router.post("/slack/events", include_in_schema=False)
async def slack_events(request: Request, runtime: RuntimeDep) -> Response:
    connector: SlackConnector | None = runtime.connectors.get("slack")
    if connector is None:
        raise NotFound("Slack is not configured")
    return await connector.handler.handle(request)
