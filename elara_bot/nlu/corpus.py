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


# What each intent means, one line each (the README's table of what the offline assistant understands).
MEANINGS: dict[str, str] = {
    "search": "find products by type, colour, material, size or price",
    "refine_search": "narrow or change the last search (cheaper, another colour, only a size)",
    "show_more": "more results of the same search",
    "product_question": "a question about one shown product (material, size, stock, warranty)",
    "compare": "compare shown products",
    "add_to_cart": "put a shown product in the cart, with a quantity, size or colour",
    "remove_from_cart": "take one line out of the cart",
    "change_quantity": "change the quantity of a line already in the cart",
    "clear_cart": "empty the cart",
    "view_cart": "show the cart and its total",
    "checkout": "pay for the cart",
    "resend_payment_link": "send the payment link again",
    "order_status": "where an order is, whether it is paid or shipped",
    "order_history": "the shopper's past orders",
    "cancel_order": "cancel an order (asks for a yes first)",
    "return_order": "return or exchange an order or item (asks for a yes first)",
    "policy": "shipping, returns, payment, warranty, sizing, discounts: answered from the store's text",
    "choose_variant": 'a size or colour, often the answer to "which size?"',
    "confirm": "yes to the assistant's question",
    "deny": "no to the assistant's question",
    "greeting": "hello",
    "thanks": "thanks",
    "goodbye": "goodbye",
    "help": "what the assistant can do and how to use it",
    "human_handoff": "a person, a manager or a complaint: handed to the shop's staff",
    "out_of_scope": "anything a shop does not answer (weather, trivia, homework, chit-chat): a short refusal",
    "abuse": "injected instructions and insults: refused",
}
TABLE_START, TABLE_END = "<!-- intents:start -->", "<!-- intents:end -->"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    source: str = ""


def _raw(split: Split) -> str:
    return (resources.files("elara_bot.nlu") / "data" / f"{split}.jsonl").read_text(encoding="utf-8")


def load(split: Split) -> list[Example]:
    """The examples of one split, in file order."""
    out: list[Example] = []
    for line in _raw(split).splitlines():
        if line.strip():
            row = json.loads(line)
            slots = dict(row.get("slots") or {})
            out.append(Example(str(row["text"]), str(row["intent"]), slots, str(row.get("source", ""))))
    return out


def fingerprint(split: Split = "train") -> str:
    """A hash of one split's file (keys the cached embeddings)."""
    return hashlib.sha256(_raw(split).encode()).hexdigest()[:16]


def _examples(examples: list[Example], intent: str) -> list[str]:
    """Two plain examples of ``intent``: written by hand (no generated typos), more than one word, one
    carrying a slot when there is one."""
    mine = [e for e in examples if e.intent == intent and len(e.text.split()) > 1]
    plain = [e for e in mine if e.source.startswith("hand")] or mine
    with_slot = [e for e in plain if e.slots.keys() - {"topic"}][:1]
    rest = [e for e in plain if e not in with_slot]
    return [e.text for e in (with_slot + rest)[:2]]


def intent_table() -> str:
    """The Markdown table of the intents, their meanings and two train examples each."""
    train = load("train")
    rows = ["| intent | meaning | for example |", "|---|---|---|"]
    for intent in INTENTS:
        quoted = " · ".join(f"“{text.replace('|', '/')}”" for text in _examples(train, intent))
        rows.append(f"| `{intent}` | {MEANINGS[intent]} | {quoted} |")
    return "\n".join(rows) + "\n"
