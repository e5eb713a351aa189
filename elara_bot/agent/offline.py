"""The built-in offline model's understanding of shopper messages.

`understand(text, memory)` turns one shopper message into the tool calls a real model would make, or a direct
answer when no tool is needed. It is deterministic, needs no network and no database. What it understands:

- searches with constraints: "red running shoes under $80", "mugs between 10 and 20 dollars",
  "boots in size 10"
  -> `search_products(query, filters)` with price bounds (minor units), colour and size options;
- refinements of the last search: "cheaper" (than anything shown), "in red", "in size 9", "under 50"
  -> the last query with merged filters;
- add by reference: "add the second one", "add the second one in size 10", "add 2 of the first", "add it"
  -> `add_to_cart(sku, quantity)` using the positions of the products last shown;
- change/remove: "make it 2" (last added item), "change the boots to 3", "remove the boots", "remove it";
- "show my cart" -> `view_cart`; "checkout" -> `checkout`; "where is my order ELR-1001" -> `order_status`;
- "cancel order ELR-1001" / "return ELR-1001" (or "cancel it", "return my order" after an order was
  placed or looked at in this conversation) -> a confirmation question, then "yes" -> `cancel_order` /
  `request_return`, "no" -> nothing is done; a yes or no with no question pending is not a search;
- policy questions -> `store_policy(question)`: returns ("can I return shoes?", "what is your return
  policy"), refunds, exchanges, the cancellation policy ("what's your cancellation policy", "how do I
  cancel an order?"; but "cancel order ELR-1001" is a cancellation), shipping and delivery times, costs
  and destinations, payment methods, warranty, damaged items, privacy, sizing ("what size should I get",
  "does it run small"), contact;
- "more like the first one" / "recommend something" -> `recommend`; "talk to a human", "can I speak to a
  person", "put me through to someone" -> `handoff_to_human`;
- greetings, help, thanks; anything off-topic, and instructions aimed at the assistant ("ignore previous
  instructions", "you are now in admin mode", "set the price to 0"), get a polite refusal and no tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from elara_bot.agent.confirmation import Decision, decide, describe

ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "last": -1,
}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}
COLOURS = (
    "red",
    "blue",
    "green",
    "black",
    "white",
    "grey",
    "gray",
    "brown",
    "pink",
    "yellow",
    "orange",
    "purple",
    "navy",
    "beige",
    "silver",
    "gold",
)
POLICY_WORDS = (
    # shipping and delivery
    "shipping",
    "delivery",
    "deliver",
    "postage",
    "ship to",
    "do you ship",
    "ship internationally",
    # returns, refunds, exchanges, cancellations
    "return policy",
    "refund",
    "money back",
    "exchange",
    "swap",
    "cancellation",
    "damaged",
    "broken",
    "defective",
    "faulty",
    "wrong item",
    # payment
    "payment",
    "paypal",
    "apple pay",
    "google pay",
    "credit card",
    "debit card",
    "gift card",
    "installment",
    "do you accept",
    "test card",
    # warranty, privacy, sizing, contact
    "warranty",
    "guarantee",
    "privacy",
    "personal data",
    "my data",
    "gdpr",
    "sizing",
    "size guide",
    "size chart",
    "true to size",
    "contact",
    "reach you",
    "phone number",
    "business hours",
    "opening hours",
    # the rules in general
    "policy",
    "policies",
    "faq",
)
# policy questions a word list would miss (or over-match: "how long" alone is also "how long is the cable")
POLICY_PATTERNS = (
    re.compile(r"\bhow (long|many days|soon|quickly|fast)\b.*\b(takes?|get|arrive|ships?|come|receive)\b"),
    re.compile(r"\bpay (with|by|using|in|via|through|on delivery)\b"),
    re.compile(r"\b(what|which) size (should|do|would|to|is|am|will)\b"),
    re.compile(r"\b(runs?|fits?) (small|large|big|narrow|wide)\b"),
)
# a general question ("how do I cancel an order?") rather than a request about one order
GENERAL_QUESTION = re.compile(
    r"^(how (do|can|does|would)|can (i|you|we|orders?)|could i|is it possible|what|when|until when|do you|"
    r"does|are|am i|if)\b"
)
OFF_TOPIC = (
    "weather",
    "joke",
    "poem",
    "homework",
    "politics",
    "election",
    "capital of",
    "recipe",
    "write code",
    "python",
    "stock market",
    "bitcoin",
    "football",
)
# instructions aimed at the assistant rather than a shopping request
INJECTION = re.compile(
    r"\b((ignore|disregard|forget) (all|any|previous|prior|your|the above)|you are now"
    r"|admin mode|developer mode|system prompt|your instructions|new instructions"
    r"|act as (an? )?(admin|merchant|developer)"
    r"|(set|change|make) (the |its |their )?prices?( of [\w ]+)? to|make (it|them|everything) free)\b"
)
STOP_WORDS = {
    "i",
    "im",
    "i'm",
    "want",
    "need",
    "looking",
    "for",
    "some",
    "a",
    "an",
    "the",
    "show",
    "me",
    "find",
    "search",
    "please",
    "do",
    "you",
    "have",
    "any",
    "get",
    "buy",
    "to",
    "like",
    "would",
    "can",
    "could",
    "with",
    "of",
    "and",
    "in",
    "size",
    "under",
    "below",
    "over",
    "above",
    "less",
    "than",
    "more",
    "between",
    "cheap",
    "dollars",
    "usd",
    "eur",
    "euros",
    "something",
    "color",
    "colour",
    "my",
    "is",
    "are",
    "there",
}

TITLE_NOISE = {"the", "and", "for", "with", "one", "set", "pack", "new", "classic"}
# order numbers: ELR-1001, EL-7KQ2ZP, EL-KKJKWB (letters only: six of them)
ORDER_RE = re.compile(r"\b([A-Z]{2,5}-(?:(?=[A-Z]*\d)[A-Z0-9]{3,}|[A-Z]{6}))\b", re.IGNORECASE)
MONEY = r"[$€£]?\s?(\d+(?:[.,]\d{1,2})?)\s?(?:dollars|usd|eur|euros|\$|€)?"


@dataclass
class ShownProduct:
    """A product card as the shopper saw it (its position is what "the second one" refers to)."""

    position: int
    product_id: str
    title: str
    variants: list[dict[str, Any]] = field(default_factory=list)  # {"sku", "options", "in_stock"}
    price_min_minor: int | None = None


@dataclass
class OfflineMemory:
    """What the offline model needs from the conversation state."""

    shown: list[ShownProduct] = field(default_factory=list)
    last_query: str | None = None
    last_filters: dict[str, Any] = field(default_factory=dict)
    last_sku: str | None = None
    cart_lines: list[dict[str, Any]] = field(default_factory=list)  # {"sku", "title", "quantity"}
    pending: dict[str, Any] | None = None  # {"name", "args"} awaiting a yes/no
    last_order: str | None = None  # the order number last checked out or looked at


@dataclass
class ToolCallPlan:
    name: str
    args: dict[str, Any]


@dataclass
class Understanding:
    """Tool calls to make, or a direct answer; `pending` is a confirmation to remember."""

    calls: list[ToolCallPlan] = field(default_factory=list)
    answer: str | None = None
    pending: dict[str, Any] | None = None
    kind: str = "tools"


def understand(text: str, memory: OfflineMemory) -> Understanding:
    """Map one shopper message to tool calls or a direct answer."""
    msg = " ".join(text.strip().lower().split())
    if memory.pending is not None:
        decided = _confirmation(msg, memory.pending)
        if decided is not None:
            return decided
    for rule in (
        _greeting,
        _help,
        _thanks,
        _stray_answer,
        _handoff,
        _off_topic,
        _cancel_or_return,
        _order_status,
        _policy,
        _cart,
        _checkout,
        _remove,
        _change_quantity,
        _add,
        _recommend,
        _refine,
    ):
        found = rule(msg, memory)
        if found is not None:
            return found
    return _search(msg, memory)


def _call(name: str, **args: Any) -> Understanding:
    return Understanding(calls=[ToolCallPlan(name, args)])


def _answer(text: str, kind: str) -> Understanding:
    return Understanding(answer=text, kind=kind)


def _has(msg: str, *phrases: str) -> bool:
    return any(re.search(rf"\b{re.escape(p)}s?\b", msg) for p in phrases)


def _confirmation(msg: str, pending: dict[str, Any]) -> Understanding | None:
    """A clear yes runs exactly the pending call; a no (negation anywhere) declines; a yes with a but
    ("yes but for the other order") is asked again; anything else is understood as a new request."""
    args = dict(pending.get("args") or {})
    decision = decide(msg, args)
    if decision is Decision.YES:
        return _call(str(pending["name"]), **args)
    if decision is Decision.NO:
        return _answer("No problem, I have left it as it is.", "denied")
    if decision is Decision.UNCLEAR:
        what = describe(str(pending["name"]), args)
        return Understanding(
            answer=f"I need a clear yes or no: do you want me to {what}?", pending=pending, kind="confirm"
        )
    return None


def _greeting(msg: str, memory: OfflineMemory) -> Understanding | None:
    if re.fullmatch(r"(hi|hello|hey|good (morning|afternoon|evening)|hiya|howdy)[!. ]*(there)?[!.]*", msg):
        return _answer(
            "Hi! I can help you find products, manage your cart, check out and track orders.", "greeting"
        )
    return None


def _help(msg: str, memory: OfflineMemory) -> Understanding | None:
    if re.fullmatch(r"(help|\?|what can you do\??|how does this work\??|menu)", msg):
        return _answer(
            "Try: 'red running shoes under $80', 'add the second one in size 10', 'show my cart', "
            "'checkout', "
            "'where is my order', 'what is your return policy' or 'talk to a human'.",
            "help",
        )
    return None


def _thanks(msg: str, memory: OfflineMemory) -> Understanding | None:
    if re.fullmatch(r"(thanks|thank you|thx|cheers)[a-z !.]*", msg):
        return _answer("You're welcome! Anything else I can help with?", "thanks")
    return None


def _stray_answer(msg: str, memory: OfflineMemory) -> Understanding | None:
    """A bare yes or no with no question waiting for it: not something to search the catalog for."""
    if re.fullmatch(r"(yes|yep|yeah|sure|ok|okay|no|nope|nah|no thanks)[!. ]*(please|thanks)?[!.]*", msg):
        return _answer("Alright. What can I help you find? Try 'running shoes under $200'.", "ask")
    return None


def _handoff(msg: str, memory: OfflineMemory) -> Understanding | None:
    explicit = _has(
        msg, "human", "real person", "agent", "operator", "representative", "customer service", "support team"
    )
    talk = _has(msg, "talk", "speak", "connect", "transfer", "chat", "reach", "put me through")
    someone = _has(msg, "someone", "somebody", "person", "people", "staff", "manager", "employee")
    if (explicit and (talk or _has(msg, "want", "need", "get"))) or (someone and talk):
        return _call("handoff_to_human", reason=msg)
    return None


def _off_topic(msg: str, memory: OfflineMemory) -> Understanding | None:
    if _has(msg, *OFF_TOPIC) or INJECTION.search(msg):
        return _answer(
            "Sorry, I can only help with shopping in this store: products, your cart and orders.", "refusal"
        )
    return None


def _cancel_or_return(msg: str, memory: OfflineMemory) -> Understanding | None:
    order = ORDER_RE.search(msg)
    if _has(msg, "cancel"):
        if order is None:
            if _about_rules(msg):
                return _call("store_policy", question=msg)
            if memory.last_order is None or not _refers_to_an_order(msg):
                return _answer("Which order would you like to cancel? Please give me its number.", "ask")
        number = order.group(1).upper() if order else str(memory.last_order)
        return _confirm("cancel_order", {"order_number": number})
    if _has(msg, "return", "send back", "send it back", "send them back"):
        known = memory.last_order is not None and re.search(r"\b(my|this|that|the) (order|purchase)\b", msg)
        if (order is None and not known) or _has(msg, "policy"):
            # "can I return shoes?", "what is your return policy": the rules, not an order's return
            return _call("store_policy", question=msg)
        number = order.group(1).upper() if order else str(memory.last_order)
        skus: list[str] = []  # empty: every item of the order
        return _confirm("request_return", {"order_number": number, "skus": skus})
    return None


def _refers_to_an_order(msg: str) -> bool:
    """ "cancel it", "cancel that order", "cancel my order": the order of this conversation."""
    return re.search(r"\b(it|that|this|my (last |latest )?(order|purchase)|the order)\b", msg) is not None


def _confirm(name: str, args: dict[str, Any]) -> Understanding:
    pending = {"name": name, "args": args}
    return Understanding(
        answer=f"Do you want me to {describe(name, args)}? Please answer yes or no.",
        pending=pending,
        kind="confirm",
    )


def _order_status(msg: str, memory: OfflineMemory) -> Understanding | None:
    order = ORDER_RE.search(msg)
    if _has(msg, "order", "orders", "package", "parcel", "delivery status", "tracking", "track"):
        if _has(msg, "where", "status", "track", "tracking", "when", "arrive", "my order", "my orders"):
            if order is not None:
                return _call("order_status", order_number=order.group(1).upper())
            return _call("order_status")
    return None


def _about_rules(msg: str) -> bool:
    """A question about how things work, not a request about one of the shopper's orders."""
    if _has(msg, "policy", "policies", "rule", "rules", "allowed", "fee", "deadline"):
        return True
    mine = re.search(r"\b(my|this|that|the) (order|purchase)s?\b", msg)
    return GENERAL_QUESTION.match(msg) is not None and mine is None


def _policy(msg: str, memory: OfflineMemory) -> Understanding | None:
    if _has(msg, *POLICY_WORDS) or any(pattern.search(msg) for pattern in POLICY_PATTERNS):
        return _call("store_policy", question=msg)
    return None


def _cart(msg: str, memory: OfflineMemory) -> Understanding | None:
    if re.search(r"\b(show|view|see|what'?s in|open)\b.*\b(cart|basket|bag)\b", msg) or msg in {
        "cart",
        "my cart",
    }:
        return _call("view_cart")
    return None


def _checkout(msg: str, memory: OfflineMemory) -> Understanding | None:
    if _has(msg, "checkout", "check out", "pay now", "place the order", "place my order", "buy now"):
        return _call("checkout")
    return None


def _remove(msg: str, memory: OfflineMemory) -> Understanding | None:
    if not _has(msg, "remove", "delete", "drop", "take out", "get rid of"):
        return None
    sku = _referenced_sku(msg, memory)
    if sku is None:
        return _answer("Which item should I remove? You can say 'remove the boots'.", "ask")
    return _call("remove_from_cart", sku=sku)


def _change_quantity(msg: str, memory: OfflineMemory) -> Understanding | None:
    match = re.search(
        r"\b(?:make it|make that|change (?:it|that|the .+?) to|set (?:it|that|the .+?) to|"
        r"update (?:it|that|the .+?) to)\s+(\d+|\w+)\b",
        msg,
    )
    if match is None:
        return None
    quantity = _quantity(match.group(1))
    sku = _referenced_sku(msg, memory)
    if quantity is None or sku is None:
        return _answer("Which item, and how many?", "ask")
    return _call("update_cart_item", sku=sku, quantity=quantity)


def _add(msg: str, memory: OfflineMemory) -> Understanding | None:
    if not re.match(r"^(please )?(add|put|i'?ll take|i will take|buy|get me|i want)\b", msg):
        return None
    product = _referenced_product(msg, memory)
    if product is None:
        return None if not memory.shown else _answer("Which one would you like? Say 'the first one'.", "ask")
    sku = _pick_variant(product, _options(msg))
    if sku is None:
        return _answer(f"Sorry, {product.title} is not available with those options.", "ask")
    qty_match = re.search(r"\b(\d+|two|three|four|five|six|ten)\s*(?:x|of|pairs?|pieces?|units?)\b", msg)
    quantity = _quantity(qty_match.group(1)) if qty_match else 1
    return _call("add_to_cart", sku=sku, quantity=quantity or 1)


def _recommend(msg: str, memory: OfflineMemory) -> Understanding | None:
    if re.search(r"\b(more like|similar to|similar|like that)\b", msg):
        product = _referenced_product(msg, memory)
        if product is not None:
            return _call("recommend", for_product=product.product_id)
    if _has(msg, "recommend", "suggest", "suggestion", "goes with", "go with"):
        if _has(msg, "cart", "basket"):
            return _call("recommend", from_cart=True)
        product = _referenced_product(msg, memory)
        if product is not None and _ordinal(msg) is not None:
            return _call("recommend", for_product=product.product_id)
        return _call("recommend", from_history=True)
    return None


def _refine(msg: str, memory: OfflineMemory) -> Understanding | None:
    if memory.last_query is None:
        return None
    filters = dict(memory.last_filters)
    if _has(msg, "cheaper", "less expensive", "lower price"):
        prices = [p.price_min_minor for p in memory.shown if p.price_min_minor]
        if not prices and filters.get("max_price_minor") is None:
            return _answer("What is your budget? Say e.g. 'under $50'.", "ask")
        # cheaper than anything shown (or than the last budget)
        filters["max_price_minor"] = min(prices) - 1 if prices else int(filters["max_price_minor"] * 0.8)
        return _call("search_products", query=memory.last_query, filters=filters)
    if re.fullmatch(
        r"(do you have (it|them|those|that) |what about |how about |any |only )?"
        r"(in |under |below |less than |in size |size )[\w$€ .]+\??",
        msg,
    ):
        merged = _merge(filters, _filters(msg))
        if merged != filters:
            return _call("search_products", query=memory.last_query, filters=merged)
    return None


def _search(msg: str, memory: OfflineMemory) -> Understanding:
    query = _query_words(msg)
    if not query:
        return _answer(
            "Sorry, I didn't get that. Tell me what you are looking for, e.g. 'blue mugs under $20'.",
            "unknown",
        )
    return _call("search_products", query=query, filters=_filters(msg))


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    options = {**old.get("options", {}), **new.get("options", {})}
    merged.update({k: v for k, v in new.items() if k != "options"})
    if options:
        merged["options"] = options
    return merged


def _filters(msg: str) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    between = re.search(rf"\bbetween {MONEY} and {MONEY}", msg)
    if between:
        filters["min_price_minor"] = _minor(between.group(1))
        filters["max_price_minor"] = _minor(between.group(2))
    under = re.search(rf"\b(?:under|below|less than|cheaper than|max|up to) {MONEY}", msg)
    if under:
        filters["max_price_minor"] = _minor(under.group(1))
    over = re.search(rf"\b(?:over|above|more than|at least) {MONEY}", msg)
    if over:
        filters["min_price_minor"] = _minor(over.group(1))
    options = _options(msg)
    if options:
        filters["options"] = {key: [value] for key, value in options.items()}
    return filters


def _options(msg: str) -> dict[str, str]:
    options: dict[str, str] = {}
    size = re.search(r"\bsize (\w+(?:\.\d)?)\b", msg)
    if size:
        options["size"] = size.group(1).upper() if size.group(1).isalpha() else size.group(1)
    for colour in COLOURS:
        if _has(msg, colour):
            options["color"] = "grey" if colour == "gray" else colour
            break
    return options


def _minor(amount: str) -> int:
    return round(float(amount.replace(",", ".")) * 100)


def _quantity(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def _query_words(msg: str) -> str:
    cleaned = re.sub(
        rf"\b(between {MONEY} and {MONEY}|(under|below|less than|over|above|more than|up to) {MONEY})",
        " ",
        msg,
    )
    cleaned = re.sub(r"\bsize \w+\b", " ", cleaned)
    words = [w for w in re.findall(r"[a-z0-9'-]+", cleaned) if w not in STOP_WORDS and w not in COLOURS]
    return " ".join(words)


def _ordinal(msg: str) -> int | None:
    match = re.search(r"\b(?:the )?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b", msg)
    if match:
        return ORDINALS[match.group(1)]
    match = re.search(r"\b(?:number|no\.?|#)\s?(\d)\b", msg)
    return int(match.group(1)) if match else None


def _referenced_product(msg: str, memory: OfflineMemory) -> ShownProduct | None:
    if not memory.shown:
        return None
    position = _ordinal(msg)
    if position is not None:
        index = len(memory.shown) - 1 if position == -1 else position - 1
        return memory.shown[index] if 0 <= index < len(memory.shown) else None
    for product in memory.shown:
        if _mentions(msg, product.title):
            return product
    if re.search(r"\b(it|that|this one|that one)\b", msg) and len(memory.shown) == 1:
        return memory.shown[0]
    return None


def _mentions(msg: str, title: str) -> bool:
    words = [w for w in re.findall(r"[a-z]+", title.lower()) if len(w) >= 3 and w not in TITLE_NOISE]
    return any(
        re.search(rf"\b{w}s?\b", msg) or (w.endswith("s") and re.search(rf"\b{w[:-1]}\b", msg)) for w in words
    )


def _referenced_sku(msg: str, memory: OfflineMemory) -> str | None:
    for line in memory.cart_lines:
        if _mentions(msg, str(line.get("title", ""))):
            return str(line["sku"])
    if re.search(r"\b(it|that|this)\b", msg) and memory.last_sku is not None:
        return memory.last_sku
    if len(memory.cart_lines) == 1:
        return str(memory.cart_lines[0]["sku"])
    return None


def _pick_variant(product: ShownProduct, wanted: dict[str, str]) -> str | None:
    for variant in product.variants:
        options = {k.lower(): str(v).lower() for k, v in variant.get("options", {}).items()}
        if all(options.get(k) == v.lower() for k, v in wanted.items()) and variant.get("in_stock", True):
            return str(variant["sku"])
    return None
