"""Confirmations for the tools that cannot be undone (cancel an order, request a return).

The reading of a shopper's yes or no is `elara_bot.nlu.decision.decide` (re-exported here).

A `Confirmation` binds the exact tool and arguments the shopper was asked about, and is used once: one
call with exactly those arguments may run; every other confirm-requiring call, in that turn or later, is
refused with "ask the shopper to confirm first".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from elara_bot.nlu.decision import Decision, decide

__all__ = ["Confirmation", "Decision", "decide", "describe"]


def describe(name: str, args: dict[str, Any]) -> str:
    """The action in the words the shopper is asked about ("cancel order EL-7KQ2ZP")."""
    number = args.get("order_number", "")
    if name == "cancel_order":
        return f"cancel order {number}"
    if name == "request_return":
        skus = args.get("skus") or []
        return f"return {', '.join(map(str, skus)) if skus else 'every item'} of order {number}"
    return f"{name} {json.dumps(args, sort_keys=True)}"


def _canonical(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, default=str)


@dataclass
class Confirmation:
    """The shopper's yes to one exact call; `use` lets that call through once."""

    name: str
    args: dict[str, Any]
    used: bool = False

    def use(self, name: str, args: dict[str, Any]) -> bool:
        """True (and spent) for the confirmed call with exactly its arguments; False for any other call
        and for every call after the first. Nothing awaits between the check and the spending, so of a
        step's parallel tool calls only one can get through."""
        if self.used or name != self.name or _canonical(args) != _canonical(self.args):
            return False
        self.used = True
        return True

    @classmethod
    def of(cls, pending: dict[str, Any]) -> Confirmation:
        return cls(name=str(pending["name"]), args=dict(pending.get("args") or {}))
