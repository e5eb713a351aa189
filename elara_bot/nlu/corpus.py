"""The labelled shopper-utterance corpus shipped in ``elara_bot/nlu/data`` (train.jsonl, dev.jsonl).

Written by ``scripts/build_nlu_corpus.py`` from hand-written templates and sentences; dev holds whole
templates that train does not have.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

Split = Literal["train", "dev"]

INTENTS = (
    "search", "refine_search", "show_more", "product_question", "compare", "add_to_cart", "remove_from_cart",
    "change_quantity", "clear_cart", "view_cart", "checkout", "resend_payment_link", "order_status",
    "order_history", "cancel_order", "return_order", "policy", "choose_variant", "confirm", "deny",
    "greeting", "thanks", "goodbye", "help", "human_handoff", "out_of_scope", "abuse",
)  # fmt: skip
OUT_OF_SCOPE = "out_of_scope"
# Intents that ask the shop to do or show something (a message may hold several of these).
ACTIONABLE = frozenset(INTENTS) - {"out_of_scope", "abuse", "greeting", "thanks", "goodbye", "help"}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)


def _raw(split: Split) -> str:
    return (resources.files("elara_bot.nlu") / "data" / f"{split}.jsonl").read_text(encoding="utf-8")


def load(split: Split) -> list[Example]:
    """The examples of one split, in file order."""
    out: list[Example] = []
    for line in _raw(split).splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Example(str(row["text"]), str(row["intent"]), dict(row.get("slots") or {})))
    return out


def fingerprint(split: Split = "train") -> str:
    """A hash of one split's file (keys the cached embeddings)."""
    return hashlib.sha256(_raw(split).encode()).hexdigest()[:16]
