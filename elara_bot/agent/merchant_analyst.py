"""The merchant analyst: answers a merchant's question with read-only analytics tools.

The offline understanding (`offline_merchant.understand_merchant`) picks the tool calls; an LLM planner
can replace it by passing ``planner``. System prompt for the LLM path: ``system_prompt()``, the latest
prompts/merchant_analyst.vN.txt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from elara_bot.agent.merchant_tools import MERCHANT_TOOLS
from elara_bot.agent.offline import ToolCallPlan
from elara_bot.agent.offline_merchant import understand_merchant
from elara_bot.contracts import OutboundReply, ReplyPart
from elara_bot.db import Conn
from elara_bot.errors import ElaraError
from elara_bot.prompts import load_prompt

HELP = (
    'I can answer questions about sales, e.g. "how much did we sell last week, and what were the top 5 '
    'products?", "revenue yesterday", "sales by category this month", "what is low on stock?", '
    '"abandoned carts", "order EL-XXXXXX", "what do customers ask for that we don\'t have?", '
    '"revenue trend last 30 days".'
)

Planner = Callable[[str], list[ToolCallPlan]]


def system_prompt(version: str | None = None) -> str:
    """The merchant analyst's system prompt (the latest version unless one is pinned)."""
    return load_prompt("merchant_analyst", version)


class MerchantAnalyst:
    def __init__(self, planner: Planner = understand_merchant, now: datetime | None = None) -> None:
        self.planner = planner
        self.now = now

    async def answer(self, conn: Conn, question: str) -> OutboundReply:
        calls = [c for c in self.planner(question) if c.name in MERCHANT_TOOLS]
        if not calls:
            return OutboundReply(text=HELP)
        texts: list[str] = []
        parts: list[ReplyPart] = []
        for call in calls:
            args = {**call.args, "now": self.now}
            try:
                result = await MERCHANT_TOOLS[call.name](conn, args)
            except ElaraError as exc:
                texts.append(exc.message)
                continue
            texts.append(result.text)
            parts.extend(result.parts)
        return OutboundReply(text="\n".join(texts), parts=parts)
