"""Render an analyst reply as Block Kit: a text section and compact monospaced tables."""

from __future__ import annotations

import re
from typing import Any

from elara_bot.contracts import OutboundReply, TablePart

MAX_SECTION = 2900


def escape(text: str) -> str:
    """Text from shoppers or the catalog as literal Slack text: no ``<!channel>`` pings, links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LINK = re.compile(r"<((?:https?://|mailto:)[^<>|]+)(?:\|([^<>]+))?>")


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    if not label or label in url:
        return url.removeprefix("mailto:")
    return f"{label} ({url})"


def plain_text(text: str) -> str:
    """A message's text as a person typed it in Slack: Slack sends ``&``, ``<``, ``>`` as entities and
    links as ``<url|label>`` (the inverse of :func:`escape`, for text that leaves Slack)."""
    text = _LINK.sub(_link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def table_text(table: TablePart) -> str:
    rows = [table.columns, *table.rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(table.columns))]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip() for row in rows
    ]
    body = "\n".join(lines)
    if len(body) > MAX_SECTION:
        body = body[:MAX_SECTION] + "\n..."
    return f"*{table.title}*\n```{body}```"


def section(text: str) -> dict[str, Any]:
    """A Block Kit section of mrkdwn ``text``."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    """A Block Kit context line (small grey text) of mrkdwn ``text``."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def reply_blocks(reply: OutboundReply) -> list[dict[str, Any]]:
    tables = [section(table_text(part)) for part in reply.parts if isinstance(part, TablePart)]
    return [section(reply.text[:MAX_SECTION]), *tables]
