"""Multi-turn conversation evaluation against a running service (``elara eval conversations FILE``).

Each conversation gets a fresh web session (``POST /api/v1/sessions``), optional setup steps done through the
REST API (add to cart, check out, pay), then its turns in order through ``POST /api/v1/chat``. After each turn
the expectations are checked against the STATE read back through the REST API (cart lines, orders) and the
reply's structured parts (product cards, checkout link, confirmation buttons, handoff); reply wording is
checked only for policy answers, against the store's policy text.

The file is JSON Lines, one conversation a line::

    {"id": "budget-03", "category": "budget", "notes": "why each expectation is unambiguous",
     "setup": [{"add": "SKU", "quantity": 1}, {"checkout": true}, {"pay": true}],
     "turns": [{"say": "kettles, nothing above 120 bucks", "expect": {"cards": true, "cards_max_price": 120}},
               {"say": "yes please", "expect": {"confirmation": false}},
               {"pay": true}]}

A turn says something (``say``, with ``{order1}``, ``{order2}``... and ``{last_order}`` standing for the
session's orders, oldest first), presses a button (``action``) or pays the newest pending order on the dev
provider's TEST MODE page (``pay``). ``Expect`` lists every check kind.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CardRef = int | Literal["first", "last", "cheapest", "dearest"]
Json = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineExpect(_Strict):
    """One cart or order line: the product by title (or by a card shown earlier), its options (the given
    ones must match; others are free), its SKU, its quantity."""

    product: str | None = None
    card: CardRef | None = Field(
        default=None,
        description="the product on a card shown earlier: position, first, last, cheapest, dearest",
    )
    sku: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    quantity: int | None = None

    @model_validator(mode="after")
    def _names_something(self) -> LineExpect:
        if self.product is None and self.card is None and self.sku is None:
            raise ValueError("a line needs product, card or sku")
        return self


class OrderExpect(_Strict):
    status: str | None = None
    lines: list[LineExpect] | None = None


class Expect(_Strict):
    """What must hold after a turn. Every field left out is not checked."""

    # reply structure
    cards: bool | None = Field(default=None, description="product cards shown (true) or none (false)")
    cards_max_price: float | None = Field(default=None, description="every card has a variant at most this")
    cards_min_price: float | None = Field(default=None, description="every card has a variant at least this")
    cards_type: list[str] | None = Field(
        default=None, description="every card's title has one of these words"
    )
    cards_include: list[str] | None = Field(
        default=None, description="these product titles are among the cards"
    )
    confirmation: bool | None = Field(
        default=None, description="the reply asks for a yes/no (confirm buttons)"
    )
    clarification: bool | None = Field(
        default=None, description="a question back: no cart or order change and no cards"
    )
    handoff: bool | None = Field(default=None, description="the reply hands over to a person")
    shows_cart: bool | None = Field(default=None, description="the reply shows the cart (a cart part)")
    checkout_link: bool | None = Field(
        default=None, description="a checkout link to the shopper's pending order (its own payment URL)"
    )
    # state, read through the REST API
    cart: list[LineExpect] | None = Field(default=None, description="the whole cart: exactly these lines")
    cart_includes: list[LineExpect] | None = None
    cart_excludes: list[str] | None = Field(default=None, description="no line of these product titles")
    cart_unchanged: bool | None = None
    state_unchanged: bool | None = Field(default=None, description="cart and orders as before the turn")
    order_count: int | None = None
    latest_order: OrderExpect | None = None
    order_status: dict[str, str] | None = Field(
        default=None, description="order number (or {order1}, {last_order}...) -> status"
    )
    names_last_order: bool | None = Field(
        default=None, description="the reply names every product of the newest order (text or an order part)"
    )
    # wording, only where nothing structural exists (policy answers)
    says_any: list[str] | None = Field(
        default=None, description="one of these phrases (each in the policy text)"
    )
    not_say: list[str] | None = Field(
        default=None, description="none of these (each absent from the policies)"
    )
    numbers_from_policy: bool | None = Field(
        default=None, description="every number in the reply is in the policy text or the message"
    )


class Turn(_Strict):
    say: str | None = None
    action: str | None = None
    pay: bool = False
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _does_one_thing(self) -> Turn:
        if sum([self.say is not None, self.action is not None, self.pay]) != 1:
            raise ValueError("a turn has exactly one of say, action, pay")
        return self


class SetupStep(_Strict):
    add: str | None = Field(default=None, description="a SKU put in the cart through the REST API")
    quantity: int = 1
    checkout: bool = False
    pay: bool = False


class Conversation(_Strict):
    id: str
    category: str
    turns: list[Turn] = Field(min_length=1)
    setup: list[SetupStep] = Field(default_factory=list)
    notes: str = ""


class ConversationFileError(ValueError):
    """The conversations file does not parse or contradicts the policy text."""


def load(path: Path) -> list[Conversation]:
    conversations: list[Conversation] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            conversations.append(Conversation.model_validate_json(line))
        except ValidationError as exc:
            raise ConversationFileError(f"{path}:{number}: {exc}") from exc
    ids = [c.id for c in conversations]
    if len(ids) != len(set(ids)):
        raise ConversationFileError(f"{path}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return conversations


def policy_errors(conversations: Iterable[Conversation], policy_text: str) -> list[str]:
    """Expectations the policy text cannot back: a phrase to say it lacks, a phrase to avoid it has."""
    text = _norm(policy_text)
    errors = []
    for conv in conversations:
        for index, turn in enumerate(conv.turns, start=1):
            for phrase in turn.expect.says_any or []:
                if _norm(phrase) not in text:
                    errors.append(f"{conv.id} turn {index}: says_any {phrase!r} is not in the policy text")
            for phrase in turn.expect.not_say or []:
                if _norm(phrase) in text:
                    errors.append(f"{conv.id} turn {index}: not_say {phrase!r} IS in the policy text")
    return errors


def fill(text: str, names: dict[str, str]) -> str:
    """``{order1}``, ``{last_order}``... replaced by the session's order numbers (other braces kept)."""
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    return text


RANGE = re.compile(r"(\d+)\s*(?:-|\u2013|\u2014|to)\s*(\d+)")


def _norm(text: str) -> str:
    """Lower case, one space, "3-5" and "3–5" as "3 to 5", other dashes as spaces, "don't" as "do not"."""
    text = RANGE.sub(r"\1 to \2", text.replace("\u2019", "'").lower())
    text = text.replace("won't", "will not").replace("can't", "cannot").replace("n't", " not")
    return re.sub(r"\s+", " ", re.sub(r"[-\u2013\u2014]", " ", text)).strip()


# ---------------------------------------------------------------- talking to the service


class RunBroken(RuntimeError):
    """The service answered something the run cannot go on from (not a failed expectation)."""


@dataclass
class Session:
    """One shopper: a session token on a running service."""

    client: httpx.Client
    token: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self) -> None:
        self.token = _ok(self.request("POST", "/api/v1/sessions", auth=False)).json()["token"]

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """One request; a 429 waits for its Retry-After (the service's rate limits) and tries again."""
        headers = {**(self.auth if auth else {}), **kwargs.pop("headers", {})}
        for _ in range(10):
            response = self.client.request(method, path, headers=headers, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "5")), 60.0))
        return response

    def chat(self, message: str, action: str | None) -> Json:
        body = {"message": message, "action": action}
        headers = {"Accept": "application/json"}
        reply: Json = _ok(self.request("POST", "/api/v1/chat", json=body, headers=headers)).json()
        return reply

    def state(self) -> State:
        cart = _ok(self.request("GET", "/api/v1/cart")).json()
        orders = _ok(self.request("GET", "/api/v1/orders")).json()
        return State(cart=cart["lines"], orders=sorted(orders, key=lambda o: o["created_at"]))

    def add(self, sku: str, quantity: int) -> None:
        _ok(self.request("POST", "/api/v1/cart/items", json={"sku": sku, "quantity": quantity}))

    def checkout(self) -> None:
        _ok(self.request("POST", "/api/v1/checkout"))

    def pay_newest(self) -> None:
        """Pay the newest pending order on the dev provider's TEST MODE page (its form's POST)."""
        pending = [o for o in self.state().orders if o["status"] == "pending_payment" and o["payment_url"]]
        if not pending:
            raise RunBroken("nothing to pay: no pending order with a payment link")
        path = urlsplit(pending[-1]["payment_url"]).path
        response = self.request("POST", path, auth=False, follow_redirects=False)
        if response.status_code != 303:
            raise RunBroken(f"POST {path}: {response.status_code} {response.text[:200]}")


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RunBroken(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:300]}"
        )
    return response


@dataclass
class State:
    cart: list[Json]
    orders: list[Json]

    def cart_key(self) -> list[tuple[str, int]]:
        return sorted((line["sku"], line["quantity"]) for line in self.cart)

    def orders_key(self) -> list[tuple[str, str]]:
        return [(o["number"], o["status"]) for o in self.orders]

    def placeholders(self) -> dict[str, str]:
        names = {f"order{i}": o["number"] for i, o in enumerate(self.orders, start=1)}
        if self.orders:
            names["last_order"] = self.orders[-1]["number"]
        return names


# ---------------------------------------------------------------- checks


@dataclass
class TurnView:
    """What one check sees: the reply, the state before and after, the cards shown before this turn."""

    reply: Json
    before: State
    after: State
    earlier_cards: list[Json]
    policy_text: str
    names: dict[str, str]
    said: str = ""  # the shopper's message (its numbers are not invented when repeated)

    @property
    def cards(self) -> list[Json]:
        return [card for part in self.parts("product_cards") for card in part["cards"]]

    def parts(self, kind: str) -> list[Json]:
        return [part for part in self.reply.get("parts", []) if part.get("type") == kind]

    def changed(self) -> bool:
        return (self.before.cart_key(), self.before.orders_key()) != (
            self.after.cart_key(),
            self.after.orders_key(),
        )


Check = Callable[[Any, TurnView], list[str]]


def _titles(cards: Iterable[Json]) -> list[str]:
    return [card["title"] for card in cards]


def check_cards(want: bool, view: TurnView) -> list[str]:
    if bool(view.cards) == want:
        return []
    return [f"cards: expected {'some' if want else 'none'}, found {_titles(view.cards)}"]


def check_cards_max_price(bound: float, view: TurnView) -> list[str]:
    over = [
        f"{c['title']} from {c['price_min_minor'] / 100:.2f}"
        for c in view.cards
        if c["price_min_minor"] > round(bound * 100)
    ]
    return [f"cards_max_price {bound}: shown {over}"] if over else []


def check_cards_min_price(bound: float, view: TurnView) -> list[str]:
    under = [
        f"{c['title']} up to {c['price_max_minor'] / 100:.2f}"
        for c in view.cards
        if c["price_max_minor"] < round(bound * 100)
    ]
    return [f"cards_min_price {bound}: shown {under}"] if under else []


def check_cards_type(words: list[str], view: TurnView) -> list[str]:
    wrong = [t for t in _titles(view.cards) if not any(w.lower() in t.lower() for w in words)]
    return [f"cards_type {words}: shown {wrong}"] if wrong else []


def check_cards_include(titles: list[str], view: TurnView) -> list[str]:
    shown = {t.lower() for t in _titles(view.cards)}
    missing = [t for t in titles if t.lower() not in shown]
    return [f"cards_include: {missing} not among {_titles(view.cards)}"] if missing else []


def _asks_yes_no(view: TurnView) -> bool:
    replies = [r for part in view.parts("quick_replies") for r in part.get("replies", [])]
    return any(r.get("action") == "confirm" for r in replies)


def check_confirmation(want: bool, view: TurnView) -> list[str]:
    if _asks_yes_no(view) == want:
        return []
    return [f"confirmation: expected {'a yes/no question' if want else 'no yes/no question'}: {_said(view)}"]


def check_clarification(want: bool, view: TurnView) -> list[str]:
    asked = not view.changed() and not view.cards
    if asked == want:
        return []
    if not want:
        return [f"clarification: expected an action, found no change and no cards: {_said(view)}"]
    found = f"state changed: {_state_diff(view)}" if view.changed() else f"cards {_titles(view.cards)}"
    return [f"clarification: expected a question back, found {found}: {_said(view)}"]


def check_handoff(want: bool, view: TurnView) -> list[str]:
    if bool(view.parts("handoff")) == want:
        return []
    return [f"handoff: expected {'a handoff' if want else 'no handoff'}: {_said(view)}"]


def check_shows_cart(want: bool, view: TurnView) -> list[str]:
    if bool(view.parts("cart")) == want:
        return []
    return [f"shows_cart: expected {'the cart' if want else 'no cart'}: {_said(view)}"]


def check_checkout_link(want: bool, view: TurnView) -> list[str]:
    links = view.parts("checkout_link")
    if not want:
        return [f"checkout_link: expected none, found {links[0]['order_number']}"] if links else []
    if not links:
        return [f"checkout_link: expected one, found none: {_said(view)}"]
    pending = {o["number"]: o for o in view.after.orders if o["status"] == "pending_payment"}
    order = pending.get(links[0]["order_number"])
    if order is None:
        return [f"checkout_link: order {links[0]['order_number']} is not a pending order of this shopper"]
    if urlsplit(order["payment_url"] or "").path != urlsplit(links[0]["url"]).path:
        return [f"checkout_link: {links[0]['url']} is not order {order['number']}'s payment link"]
    return []


def _card_product(ref: CardRef, cards: list[Json]) -> str | None:
    if not cards:
        return None
    if isinstance(ref, int):
        return next((c["title"] for c in cards if c["position"] == ref), None)
    pick: dict[str, Callable[[], Json]] = {
        "first": lambda: cards[0],
        "last": lambda: cards[-1],
        "cheapest": lambda: min(cards, key=lambda c: c["price_min_minor"]),
        "dearest": lambda: max(cards, key=lambda c: c["price_max_minor"]),
    }
    return str(pick[ref]()["title"])


def _line_matches(want: LineExpect, line: Json, cards: list[Json]) -> bool:
    title = want.product if want.card is None else _card_product(want.card, cards)
    if title is not None and line["title"].lower() != title.lower():
        return False
    if want.sku is not None and line["sku"] != want.sku:
        return False
    options = {k.lower(): str(v).lower() for k, v in line["options"].items()}
    if any(options.get(k.lower()) != v.lower() for k, v in want.options.items()):
        return False
    return want.quantity is None or line["quantity"] == want.quantity


def _describe(lines: list[Json]) -> str:
    return "[" + "; ".join(f"{line['quantity']} x {line['title']} {line['options']}" for line in lines) + "]"


def _match_lines(wanted: list[LineExpect], lines: list[Json], cards: list[Json]) -> list[LineExpect]:
    """The wanted lines no distinct actual line matches (greedy, in order)."""
    free = list(lines)
    missing = []
    for want in wanted:
        hit = next((line for line in free if _line_matches(want, line, cards)), None)
        if hit is None:
            missing.append(want)
        else:
            free.remove(hit)
    return missing


def _want(lines: list[LineExpect]) -> str:
    return "[" + "; ".join(line.model_dump_json(exclude_defaults=True) for line in lines) + "]"


def check_cart(wanted: list[LineExpect], view: TurnView) -> list[str]:
    lines = view.after.cart
    if _match_lines(wanted, lines, view.earlier_cards) or len(lines) != len(wanted):
        return [f"cart: expected exactly {_want(wanted)}, found {_describe(lines)}"]
    return []


def check_cart_includes(wanted: list[LineExpect], view: TurnView) -> list[str]:
    missing = _match_lines(wanted, view.after.cart, view.earlier_cards)
    return [f"cart_includes: {_want(missing)} not in {_describe(view.after.cart)}"] if missing else []


def check_cart_excludes(titles: list[str], view: TurnView) -> list[str]:
    present = [
        line["title"] for line in view.after.cart if line["title"].lower() in {t.lower() for t in titles}
    ]
    return [f"cart_excludes: {present} still in the cart"] if present else []


def check_cart_unchanged(want: bool, view: TurnView) -> list[str]:
    same = view.before.cart_key() == view.after.cart_key()
    if same == want:
        return []
    return [
        f"cart_unchanged: expected {'no change' if want else 'a change'}, "
        f"{_describe(view.before.cart)} -> {_describe(view.after.cart)}"
    ]


def check_state_unchanged(want: bool, view: TurnView) -> list[str]:
    if (not view.changed()) == want:
        return []
    return [f"state_unchanged: expected {'no change' if want else 'a change'}, found {_state_diff(view)}"]


def check_order_count(count: int, view: TurnView) -> list[str]:
    found = len(view.after.orders)
    return [f"order_count: expected {count}, found {found}"] if found != count else []


def check_latest_order(want: OrderExpect, view: TurnView) -> list[str]:
    if not view.after.orders:
        return ["latest_order: the shopper has no order"]
    order = view.after.orders[-1]
    failures = []
    if want.status is not None and order["status"] != want.status:
        failures.append(f"latest_order: status {order['status']}, expected {want.status}")
    if want.lines is not None and (
        _match_lines(want.lines, order["lines"], view.earlier_cards) or len(order["lines"]) != len(want.lines)
    ):
        failures.append(f"latest_order: lines {_describe(order['lines'])}, expected {_want(want.lines)}")
    return failures


def check_order_status(wanted: dict[str, str], view: TurnView) -> list[str]:
    statuses = {o["number"]: o["status"] for o in view.after.orders}
    failures = []
    for key, status in wanted.items():
        number = fill(key, view.names)
        if statuses.get(number) != status:
            failures.append(f"order_status: {number} is {statuses.get(number)}, expected {status}")
    return failures


def check_names_last_order(want: bool, view: TurnView) -> list[str]:
    if not want:
        return []
    if not view.after.orders:
        return ["names_last_order: the shopper has no order"]
    order = view.after.orders[-1]
    shown = " ".join(
        [view.reply.get("text", "")]
        + [
            line["title"]
            for part in view.parts("order")
            if part["order"]["number"] == order["number"]
            for line in part["order"]["lines"]
        ]
    ).lower()
    missing = [line["title"] for line in order["lines"] if line["title"].lower() not in shown]
    return [f"names_last_order: {missing} of {order['number']} not named: {_said(view)}"] if missing else []


def check_says_any(phrases: list[str], view: TurnView) -> list[str]:
    text = _norm(view.reply.get("text", ""))
    if any(_norm(p) in text for p in phrases):
        return []
    return [f"says_any: none of {phrases}: {_said(view)}"]


def check_not_say(phrases: list[str], view: TurnView) -> list[str]:
    text = _norm(view.reply.get("text", ""))
    found = [p for p in phrases if _norm(p) in text]
    return [f"not_say: said {found} (not in the policy text): {_said(view)}"] if found else []


NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def check_numbers_from_policy(want: bool, view: TurnView) -> list[str]:
    if not want:
        return []
    known = set(NUMBER.findall(view.policy_text)) | set(NUMBER.findall(view.said))
    invented = [n for n in NUMBER.findall(view.reply.get("text", "")) if n not in known]
    return [f"numbers_from_policy: {invented} not in the policy text: {_said(view)}"] if invented else []


CHECKS: dict[str, Check] = {
    "cards": check_cards,
    "cards_max_price": check_cards_max_price,
    "cards_min_price": check_cards_min_price,
    "cards_type": check_cards_type,
    "cards_include": check_cards_include,
    "confirmation": check_confirmation,
    "clarification": check_clarification,
    "handoff": check_handoff,
    "shows_cart": check_shows_cart,
    "checkout_link": check_checkout_link,
    "cart": check_cart,
    "cart_includes": check_cart_includes,
    "cart_excludes": check_cart_excludes,
    "cart_unchanged": check_cart_unchanged,
    "state_unchanged": check_state_unchanged,
    "order_count": check_order_count,
    "latest_order": check_latest_order,
    "order_status": check_order_status,
    "names_last_order": check_names_last_order,
    "says_any": check_says_any,
    "not_say": check_not_say,
    "numbers_from_policy": check_numbers_from_policy,
}


def _said(view: TurnView) -> str:
    text = " ".join(view.reply.get("text", "").split())
    return f"reply {text[:160]!r}"


def _state_diff(view: TurnView) -> str:
    diffs = []
    if view.before.cart_key() != view.after.cart_key():
        diffs.append(f"cart {_describe(view.before.cart)} -> {_describe(view.after.cart)}")
    if view.before.orders_key() != view.after.orders_key():
        diffs.append(f"orders {view.before.orders_key()} -> {view.after.orders_key()}")
    return "; ".join(diffs) or "nothing"


def check_turn(expect: Expect, view: TurnView) -> list[str]:
    failures: list[str] = []
    for name in type(expect).model_fields:
        value = getattr(expect, name)
        if value is not None:
            failures.extend(CHECKS[name](value, view))
    return failures


# ---------------------------------------------------------------- running


@dataclass
class TurnResult:
    index: int
    said: str
    failures: list[str]
    reply_text: str = ""


@dataclass
class ConversationResult:
    id: str
    category: str
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None  # the run broke (an HTTP error); counts as failed

    @property
    def passed(self) -> bool:
        return self.error is None and all(not t.failures for t in self.turns)


@dataclass
class CategoryScore:
    category: str
    conversations: int
    passed: int
    turns: int
    turns_passed: int

    @property
    def rate(self) -> float:
        return self.passed / self.conversations if self.conversations else 0.0


@dataclass
class Report:
    results: list[ConversationResult]

    def by_category(self) -> list[CategoryScore]:
        groups: dict[str, list[ConversationResult]] = defaultdict(list)
        for result in self.results:
            groups[result.category].append(result)
        return [_score(name, groups[name]) for name in sorted(groups)]

    def overall(self) -> CategoryScore:
        return _score("overall", self.results)

    @property
    def pass_rate(self) -> float:
        return self.overall().rate


def _score(name: str, results: list[ConversationResult]) -> CategoryScore:
    turns = [t for r in results for t in r.turns]
    return CategoryScore(
        category=name,
        conversations=len(results),
        passed=sum(r.passed for r in results),
        turns=len(turns),
        turns_passed=sum(not t.failures for t in turns),
    )


def run_conversation(client: httpx.Client, conv: Conversation, policy_text: str) -> ConversationResult:
    result = ConversationResult(id=conv.id, category=conv.category)
    session = Session(client)
    try:
        session.open()
        _set_up(session, conv.setup)
        shown: list[Json] = []
        state = session.state()
        for index, turn in enumerate(conv.turns, start=1):
            outcome, view = _run_turn(session, turn, index, state, shown, policy_text)
            result.turns.append(outcome)
            shown, state = view.cards or shown, view.after
    except (RunBroken, httpx.HTTPError, KeyError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _set_up(session: Session, steps: list[SetupStep]) -> None:
    for step in steps:
        if step.add:
            session.add(step.add, step.quantity)
        if step.checkout:
            session.checkout()
        if step.pay:
            session.pay_newest()


def _run_turn(
    session: Session, turn: Turn, index: int, before: State, shown: list[Json], policy_text: str
) -> tuple[TurnResult, TurnView]:
    """One turn; ``before`` is the state the previous turn left (nothing else changes it)."""
    names = before.placeholders()
    unpaid: list[str] = []
    if turn.pay:
        reply: Json = {"text": "", "parts": []}
        said = "(pays the newest order)"
        try:
            session.pay_newest()
        except RunBroken as exc:  # no order to pay: the earlier turns failed, this turn fails with them
            unpaid.append(f"pay: {exc}")
    else:
        action = fill(turn.action, names) if turn.action is not None else None
        said = fill(turn.say, names) if turn.say is not None else f"[{action}]"
        reply = session.chat(said if turn.say is not None else action or "", action)
    after = session.state()
    view = TurnView(reply, before, after, shown, policy_text, names | after.placeholders(), said)
    return TurnResult(index, said, unpaid + check_turn(turn.expect, view), reply.get("text", "")), view


def run(
    conversations: list[Conversation],
    url: str,
    policy_text: str,
    *,
    timeout_s: float = 60.0,
    on_result: Callable[[ConversationResult], None] | None = None,
) -> Report:
    """Every conversation in order, each with its own session, against the service at ``url``."""
    results = []
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        for conv in conversations:
            result = run_conversation(client, conv, policy_text)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return Report(results)


def report_json(report: Report) -> str:
    return json.dumps(
        {
            "pass_rate": report.pass_rate,
            "categories": [vars(s) | {"rate": s.rate} for s in report.by_category()],
            "failed": [
                {
                    "id": r.id,
                    "category": r.category,
                    "error": r.error,
                    "turns": [vars(t) for t in r.turns if t.failures],
                }
                for r in report.results
                if not r.passed
            ],
        },
        indent=2,
    )
