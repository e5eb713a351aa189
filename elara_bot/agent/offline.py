"""What the built-in offline model does with a shopper's message: `respond(text, state, nlu) -> Plan`.

The message is read once, by the understanding (`elara_bot.nlu`: intents, slots, several requests in one
message, the answer to the assistant's own question). Each request then becomes the tool calls a real model
would make, resolved against the conversation state (`ConversationState`):

- references: positions ("the second one", "the last one you showed"), price order ("the cheaper one"),
  attributes ("the black one"), the product's own name or type ("the kettle"), "it" / "that one" (the
  product last talked about), "both of them";
- variants in free text ("in XL", "a blue one in medium", "the gold one with the leather strap"): the one
  in-stock variant carrying every value named; when several remain, the assistant asks which, and the
  answer completes the add. A variant is never picked silently;
- cart lines by name, type or position; quantities in words ("make it a pair", "only one, not two");
- questions it asked: an order number after "which order?", yes/no after a confirmation ("go ahead",
  "actually no"), "yes" after "want to see it?".
Requests it does not act on (greetings, thanks, out of scope, abuse) get a short answer and no tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any, TypeVar

from elara_bot.agent.confirmation import describe
from elara_bot.agent.scripted import ToolCallPlan
from elara_bot.agent.state import (
    CartLineRef,
    ConversationState,
    OrderRef,
    Question,
    ShownProduct,
    ShownVariant,
)
from elara_bot.money import format_amount
from elara_bot.nlu import DialogueState, Expectation, Nlu, Step
from elara_bot.nlu.decision import Decision, decide
from elara_bot.nlu.slots import COUNT, count_of, extract_slots, topic_of
from elara_bot.nlu.vocabulary import plural
from retrieval.options import word_form
from retrieval.query_parser import parse_query

MAX_LISTED = 6  # option values named in one clarification question
_T = TypeVar("_T")


@dataclass
class Plan:
    """Tool calls to make, then (or instead) words; `question` is what the reply asks the shopper;
    `agenda` holds the requests still to do once these calls' results are in."""

    calls: list[ToolCallPlan] = field(default_factory=list)
    answer: str | None = None
    question: Question | None = None
    kind: str = "tools"
    again: bool = False  # this request runs again once the calls' results are in (a search to add from)
    agenda: Agenda | None = None

    def then(self, other: Plan) -> Plan:
        words = " ".join(a for a in (self.answer, other.answer) if a) or None
        return Plan([*self.calls, *other.calls], words, other.question or self.question, other.kind)


@dataclass
class Agenda:
    """The requests of a message not done yet; `searched`: those already searched for (not again)."""

    steps: list[Step] = field(default_factory=list)
    searched: set[str] = field(default_factory=set)
    last_intent: str | None = None


_WAIT_FOR = frozenset({"search_products", "show_products", "recommend"})  # what later requests may refer to


def _call(name: str, **args: Any) -> Plan:
    return Plan(calls=[ToolCallPlan(name, args)])


def _each(name: str, calls: list[dict[str, Any]]) -> Plan:
    """One call of tool ``name`` per arguments in ``calls``."""
    return Plan(calls=[ToolCallPlan(name, args) for args in calls])


def _again(plan: Plan) -> Plan:
    """``plan``, after whose results the request runs again (it searches or looks up what it needs)."""
    plan.again = True
    return plan


def _say(text: str, kind: str) -> Plan:
    return Plan(answer=text, kind=kind)


def _ask(text: str, question: Question) -> Plan:
    return Plan(answer=text, question=question.model_copy(update={"text": text}), kind="ask")


# --- reading the message ----------------------------------------------------------------------------


def expectation(state: ConversationState) -> Expectation | None:
    """What the last reply asked, in the understanding's terms."""
    if state.pending is not None:
        intent = {"cancel_order": "cancel_order", "request_return": "return_order"}.get(
            str(state.pending.get("name")), "confirm"
        )
        return Expectation(intent, "confirmation", dict(state.pending.get("args") or {}))
    if state.asked is not None:
        return Expectation(state.asked.intent, state.asked.slot, dict(state.asked.args))
    return None


def respond(text: str, state: ConversationState, nlu: Nlu) -> Plan:
    """The plan for one message: its requests in order, stopping at the first question asked."""
    understanding = nlu.understand(text, DialogueState(expecting=expectation(state)))
    steps = [part for step in _context_first(list(understanding.steps)) for part in _kinds_apart(step, nlu)]
    if steps and state.last_request == "add_to_cart" and _GOING_ON.match(steps[0].text):
        steps[0] = _carry_verb(Agenda(last_intent="add_to_cart"), steps[0])  # "and a charger in black"
    if steps:
        state.last_request = steps[-1].intent
    return proceed(Agenda(steps), state)


_GOING_ON = re.compile(r"^\W*(?:and|also|plus|oh and|and also)\s+(?:a|an|the|some|one|two|\d+)\b", re.I)


_KIND_JOIN = re.compile(r"\s*,?\s+(?:and|or|&|plus|as well as)\s+(?:also\s+)?|\s*,\s*", re.I)


def _purpose(part: str, kind: str) -> bool:
    """ "something for the office desk": the kind named is what the thing is for, not a second thing."""
    head = re.escape(kind.split()[0])
    return (
        re.search(rf"\b(?:for|on|in|at|to|with)\s+(?:the|my|a|an|your|our)?\s*(?:\w+\s+)?{head}", part, re.I)
        is not None
    )


def _kinds_apart(step: Step, nlu: Nlu) -> list[Step]:
    """ "show me yoga mats and water bottles": one search per kind of product named (the search shows one
    kind at a time); "black and white sneakers" or "salt and pepper grinder" name one kind and stay one."""
    if step.intent != "search" or not step.slots.get("product_type"):
        return [step]
    parts = [p for p in _KIND_JOIN.split(step.text) if p.strip()]
    if len(parts) < 2:
        return [step]
    found = [extract_slots(part, nlu.vocabulary).get("product_type") for part in parts]
    kinds = [kind for kind, part in zip(found, parts, strict=True) if kind and not _purpose(part, kind)]
    if len(kinds) < len(parts) or len(set(kinds)) < len(kinds):
        return [step]
    lead = _LEAD_IN.match(step.text.strip())
    said = lead.group(0) if lead else ""
    return [
        replace(
            step,
            text=(part if i == 0 or part.startswith(said) else said + part),
            slots={**step.slots, "product_type": kind},
        )
        for i, (part, kind) in enumerate(zip(parts, kinds, strict=True))
    ]


_DONE_BEFORE = re.compile(
    r"^\W*(?:so|well|hi|hello|hey|ok|okay|um)?[,!. ]*(?:i|we)\s+(?:already\s+|just\s+|have\s+|'ve\s+)?"
    r"(?:cancell?ed|returned|sent\s+back|ordered|bought|paid|placed|purchased|got)\b",
    re.I,
)


def _context_first(steps: list[Step]) -> list[Step]:
    """ "I cancelled an order yesterday, when will I see the money back?": what the shopper already did
    is the background of their question, not a request of its own; it becomes part of the next one."""
    merged: list[Step] = []
    for step in steps:
        if merged and _DONE_BEFORE.match(merged[-1].text) and step.intent not in ("confirm", "deny"):
            background = merged.pop()
            step = replace(step, text=f"{background.text}, {step.text}")
        merged.append(step)
    return merged


def proceed(agenda: Agenda, state: ConversationState) -> Plan:
    """Plan the agenda's requests in order until one asks a question, or one shows products that the
    next requests may refer to (they wait for the results: "show me notebooks and add the hard cover
    one"). The plan's `agenda` is what is left."""
    plan = Plan(kind="")
    while agenda.steps:
        step = _carry_verb(agenda, _reread(agenda.steps.pop(0)))  # "add ..." read first: what follows adds
        searched = step.text in agenda.searched
        if searched and step.intent in ("add_to_cart", "choose_variant"):
            part = _add_found(step, state)
        else:
            part = _handle(step, state, again=searched)
        plan = plan.then(part) if plan.kind else part
        if part.question is not None or (part.kind == "refusal" and not plan.calls):
            agenda.steps.clear()
            break
        if part.again and not searched:
            agenda.searched.add(step.text)
            agenda.steps.insert(0, step)
            break  # the rest waits for these results
        if agenda.steps and any(c.name in _WAIT_FOR for c in part.calls):
            break
    plan.agenda = agenda if agenda.steps else None
    return plan


_VERB = re.compile(r"^\W*(?:and\s+)?(?:also\s+)?(?:the|a|an|some|one|two|\d+)\b", re.I)


def _carry_verb(agenda: Agenda, step: Step) -> Step:
    """ "add the notebook and the pink yoga mat": a request with no verb of its own after an add is an
    add too."""
    if agenda.last_intent == "add_to_cart" and step.intent in ("search", "choose_variant", "refine_search"):
        if _VERB.match(step.text):
            step = replace(step, intent="add_to_cart")
    agenda.last_intent = step.intent
    return step


_ADD_START = re.compile(
    r"^\W*(?:please\s+|pls\s+|can you\s+|could you\s+|ok\s+|okay\s+)?(?:add|put|throw|pop|chuck"
    r"|i'?d like the|i'?ll (?:take|have|get|pick) the|gimme the|give me the|i'?ll go (?:for|with) the"
    r"|(?:i'?d like|i want|i wanna|i'?m going|i would like) to (?:buy|order|purchase|get|grab)"
    r" (?:the|a|an|one|\d)"
    r"|(?:i'?m|let'?s) go(?:ing)? (?:for|with) the)\b",
    re.I,
)
_POLICY_TOPICS = frozenset({"warranty", "shipping", "returns", "refunds", "exchanges", "payment", "privacy"})


# a question the store's rules answer, whatever product it names: a fault and cover, or which size to pick
_RULES_ASKED = re.compile(
    r"\b(?:stopped working|not working|doesn'?t work|won'?t (?:turn on|work|charge)|broke|broken|faulty|"
    r"defective|am i covered|is (?:it|that) covered|under warranty|between (?:sizes|\w{1,3} and \w{1,3})|"
    r"which size should|what size should|size up|size down|runs? (?:small|large|big))\b",
    re.I,
)
_BOUGHT = re.compile(
    r"\b(?:bought|purchased|ordered|paid for|did i (?:\w+ ){0,3}(?:buy|buying|order|ordering|get|pay for))\b",
    re.I,
)
_IN_MY_CART = re.compile(
    r"\bwhat(?:'?s| is| do i have)\s+in\s+(?:my|the)\s+(?:cart|basket|bag|trolley)\b", re.I
)
_CART_WORD = re.compile(r"\b(?:cart|basket|bag|trolley)\b", re.I)


def _reread(step: Step) -> Step:
    """Readings the words settle: "add ..." asks for the cart; a question about the warranty or delivery
    of a product is about the store's rules; what the shopper bought (past tense, no cart named) is about
    their orders; and a message naming a kind of product or a budget is shopping, however unsure the
    classifier was ("need a vacuum, nothing over 300")."""
    if step.intent in (
        "search", "refine_search", "choose_variant", "product_question", "out_of_scope", "compare"
    ) and _ADD_START.match(step.text):  # fmt: skip
        return replace(step, intent="add_to_cart")
    if step.intent in ("search", "product_question") and topic_of(step.text) in _POLICY_TOPICS:
        return replace(step, intent="policy")
    if step.intent in ("search", "product_question", "compare", "out_of_scope") and _RULES_ASKED.search(
        step.text
    ):
        return replace(step, intent="policy")  # "it stopped working after 2 months, am i covered?"
    if step.intent == "view_cart" and _BOUGHT.search(step.text) and not _CART_WORD.search(step.text):
        return replace(step, intent="order_history")
    if step.intent in ("search", "product_question", "out_of_scope") and _IN_MY_CART.search(step.text):
        return replace(step, intent="view_cart")  # "whats in my bag rn?"
    if (
        step.intent == "policy"
        and "product_type" in step.slots
        and step.slots.keys() & {"max_price", "min_price"}
    ):
        return replace(
            step, intent="search"
        )  # "a bluetooth speaker, between 280 and 300 dollars if possible"
    if step.intent == "out_of_scope" and (
        step.slots.keys() & {"max_price", "min_price"}
        or ("product_type" in step.slots and _WANT.search(step.text))
    ):
        return replace(step, intent="search")
    return step


_WANT = re.compile(
    r"\b(?:need|want|looking for|after|searching for|shopping for|buy|get me|got any|show me|let me see"
    r"|do you (?:have|sell|carry|stock)|have you got)\b",
    re.I,
)


def _handle(step: Step, state: ConversationState, *, again: bool = False) -> Plan:
    step = _reread(step)
    if (swap := _swap(step, state, looked_up=again)) is not None:
        return swap
    asked = state.asked
    if asked is not None and asked.slot == "confirmation" and step.intent in ("confirm", "deny"):
        return _offer_answer(step, asked)
    if asked is not None and asked.intent == "show_alternatives" and asked.tool and _takes_offer(step):
        # "what's the cheapest one then?", "ok, the navy one then", "show me what you have in 12" after
        # "want to see it?": the alternatives, with the values now named kept for the add that may follow
        state.focus_options = [step.slots[k] for k in ("size", "color", "material") if step.slots.get(k)]
        return _call(asked.tool, **asked.args)
    if asked is not None and asked.slot == "order_number" and step.intent not in ("search", "policy"):
        if _named_order(step, state) is not None:
            return _irreversible(step, state, asked.tool or "cancel_order")
    if (
        asked is not None
        and asked.slot in ("variant", "product")
        and (step.intent not in _NEW_REQUESTS or _answers_variant(step, state, asked))
    ):
        answered = _answer_choice(step, state, asked)
        if answered is not None:
            return answered
    if step.intent in ("out_of_scope", "product_question") and _picks_a_variant(step, state):
        return _choose(step, state)  # "the ceramic one for induction, 1.5 liters" under the one card shown
    handler = HANDLERS.get(step.intent, HANDLERS["out_of_scope"])
    return handler(step, state)


def _picks_a_variant(step: Step, state: ConversationState) -> bool:
    """A message that only names options of the one product shown ("the ceramic one for induction"):
    no other kind of product, no question word, two values or "the ... one" and a value."""
    if len(state.shown) != 1 or _LEAD_IN.match(step.text.strip()) or "?" in step.text:
        return False
    product = state.shown[0]
    if _other_kind(step, [product]):
        return False
    named = _named_values(product, step)
    return len(named) >= 2 or (len(named) == 1 and _THE_ONE.search(step.text) is not None)


_SHOW = re.compile(
    r"\b(?:show|see|let'?s see|what (?:do )?you(?:'ve| have)? got|have a look|go on then)\b", re.I
)


_SOCIAL = frozenset({"thanks", "goodbye", "greeting", "help"})


def _takes_offer(step: Step) -> bool:
    """A message after "want to see it?" that takes the offer in other words than yes: it points back,
    names a size or colour of it, or asks to be shown, without starting something else."""
    if (
        step.intent in _SOCIAL
        or step.intent in ("deny", "out_of_scope", "abuse", "policy", "human_handoff")
        or (step.intent in _NEW_REQUESTS and step.intent not in ("search", "view_cart"))
    ):
        return False
    if step.intent == "view_cart" and _CART_WORD.search(step.text):
        return False
    if step.intent == "search" and step.slots.get("product_type"):
        return False  # a new search
    named = step.slots.keys() & {"size", "color", "material", "ordinal", "reference"}
    return bool(named) or _points_back(step) or _SHOW.search(step.text) is not None


def _answers_variant(step: Step, state: ConversationState, asked: Question) -> bool:
    """After "which Tea Kettle: glass or ceramic...?", "glass, 1 liter, for an electric stove" answers it
    though it reads like a search: it names the asked product's values (two, or one and no other kind)."""
    product = state.product(str(asked.args.get("product_id"))) if asked.slot == "variant" else None
    if product is None or step.intent != "search":
        return False
    named = _named_values(product, step)
    skus = set(asked.args.get("skus") or [])
    asked_about = [v for v in product.variants if v.sku in skus] or product.variants
    differing = {x for vals in _option_values(asked_about).values() if len(vals) > 1 for x in vals}
    if named & differing and not _LEAD_IN.match(step.text.strip()):
        return True  # "black frame" after "frame colour brown or black?"; "the one for a gas stove"
    return len(named) >= 2 or (len(named) == 1 and not _other_kind(step, [product]))


def _points_back(step: Step) -> bool:
    if step.intent in ("search", "refine_search", "deny", "out_of_scope", "abuse"):
        return False
    return bool(step.slots.get("reference")) or _PRONOUN.search(step.text) is not None


# intents that start something new even while a choice question is open
_NEW_REQUESTS = frozenset(
    {"search", "view_cart", "checkout", "order_status", "order_history", "cancel_order", "return_order",
     "policy", "human_handoff", "remove_from_cart", "clear_cart", "resend_payment_link", "abuse"}
)  # fmt: skip

# --- words -----------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_TITLE_NOISE = frozenset("the and for with one set pack new classic pro plus max mini of in a an".split())
_PRONOUN = re.compile(r"\b(it|this|that|these|those|them|this one|that one)\b", re.I)
_SIZE_NAMES = {"small": "s", "medium": "m", "large": "l", "extra large": "xl", "x-large": "xl"}
_SIZE_WORDS = {"s": "small", "m": "medium", "l": "large"}


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _norm(value: str) -> str:
    flat = " ".join(value.lower().split())
    return "grey" if flat == "gray" else flat


def _as_size(value: str) -> str:
    """A size written out as its letter ("medium" -> "m"): only where the option is a size."""
    flat = _norm(value)
    return _SIZE_NAMES.get(flat, flat)


def _name_score(text: str, title: str, product_type: str | None) -> int:
    """How many of the title's own words the message uses (a product type named counts double)."""
    said = {_stem(w) for w in _words(text)}
    title_words = {_stem(w) for w in _words(title) if w not in _TITLE_NOISE and len(w) > 2}
    score = len(said & title_words)
    score += sum(
        1 for t in title_words - said if len(t) >= 5 and any(_close(w, t) for w in said if len(w) >= 4)
    )
    if product_type and _is_kind(title, product_type):
        score += 2
    return score


_UNIT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:-\s*)?(liters?|litres?|l|milliliters?|millilitres?|ml|feet|foot|ft|inches|inch|in|"
    r"gb|gigs?|gigabytes?|tb|mm|cm|m|kg|g|oz|w|watts?|mah|hours?|hrs?|h|lbs?|pounds?|pieces?|pcs|pc)\b",
    re.I,
)
_UNITS = {"liter": "l", "liters": "l", "litre": "l", "litres": "l", "milliliter": "ml", "milliliters": "ml",
          "millilitre": "ml", "millilitres": "ml", "feet": "ft", "foot": "ft", "inches": "in", "inch": "in",
          "hours": "h", "hour": "h", "hrs": "h", "hr": "h", "gig": "gb", "gigs": "gb", "gigabyte": "gb",
          "gigabytes": "gb", "watt": "w", "watts": "w", "lbs": "lb", "pound": "lb", "pounds": "lb",
          "pieces": "piece", "pcs": "piece", "pc": "piece"}  # fmt: skip


def _flat(text: str) -> str:
    """Lower case, one space, measures written one way ("2 liters" = "2L", "25 ft" = "25ft", "4-piece" =
    "4piece", "5-25 lbs" = "5-25lb")."""
    text = " ".join(text.lower().replace("\u2019", "'").split())
    return _UNIT.sub(_one_unit, text)


def _one_unit(m: re.Match[str]) -> str:
    """A measure in one spelling; litres as millilitres ("1 litre" = "1000ml" = "1L")."""
    amount, unit = m.group(1), _UNITS.get(m.group(2).lower(), m.group(2).lower())
    if unit == "l":
        amount, unit = f"{float(amount) * 1000:g}", "ml"
    return f"{amount}{unit}"


def _says_value(text: str, value: str, slots: dict[str, str], key: str = "size") -> bool:
    """Whether the message names this option value ("XL", "1.5L", "60%", "leather", "size 10"). Only a
    size's "medium" is an M: a ventilation "medium" is not named by "in M"."""
    sized = "size" in key.lower()
    norm = _as_size(value) if sized else _norm(value)
    said = [
        (_as_size(v) if sized else _norm(v)) for k, v in slots.items() if k in ("size", "color", "material")
    ]
    if norm in said:
        return True
    if norm.replace(".", "").isdigit():  # a bare number is a size only when the slots say so
        return False
    flat, wanted = _flat(text), _flat(norm)
    if re.search(rf"(?<![\w.]){re.escape(wanted)}(?![\w])", flat) is not None:
        return True
    if wanted.isalpha() and len(wanted) >= 4 and re.search(rf"\b{wanted}(?:en|len|s|y)\b", flat):
        return True  # "wooden", "woollen": wood, wool
    joined = re.sub(r"[\s-]+", "", wanted)  # "hard cover" said "hardcover", "v-neck" said "vneck"
    if joined != wanted and len(joined) >= 5 and joined in {w.replace("-", "") for w in _words(flat)}:
        return True
    head = wanted.split(" ")[0]  # "100W equivalent", "500 pieces": the measure says it
    if head != wanted and any(c.isdigit() for c in head) and any(c.isalpha() for c in head):
        return re.search(rf"(?<![\w.]){re.escape(head)}(?![\w])", flat) is not None
    spelled = _SIZE_WORDS.get(wanted, wanted)  # "meduim" for M: its long name, misspelled
    return spelled.isalpha() and len(spelled) >= 5 and any(_close(word, spelled) for word in _words(flat))


def _close(word: str, value: str) -> bool:
    """A typo of the value ("meduim", "stainles"): same first letter, nearly the same letters; a word of
    four letters or fewer is itself ("back" is no "black")."""
    return (
        len(word) >= 5
        and word[:1] == value[:1]
        and abs(len(word) - len(value)) <= 2
        and (SequenceMatcher(None, word, value).ratio() >= 0.8)
    )


# --- references --------------------------------------------------------------------------------------


@dataclass
class Referred:
    products: list[ShownProduct]
    sure: bool  # one reading; otherwise `products` are the candidates to ask about


def refer(step: Step, state: ConversationState) -> Referred:
    shown, slots = state.shown, step.slots
    if not shown:
        return Referred([], False)
    if ordinal := slots.get("ordinal"):
        picked = [_at(shown, int(n)) for n in ordinal.split(",") if n.lstrip("-").isdigit()]
        return Referred([p for p in picked if p is not None], all(picked))
    priced = [p for p in shown if p.price_min_minor is not None]
    reference = slots.get("reference")
    if reference in ("cheapest", "priciest") and priced:
        pick = min if reference == "cheapest" else max
        return Referred([pick(priced, key=lambda p: p.price_min_minor or 0)], True)
    if reference == "both":
        return Referred(shown[:2], len(shown) >= 2)
    if reference == "all":
        return Referred(list(shown), True)
    named = _by_name(step, shown)
    if named.products:
        return named
    if _other_kind(step, [*shown, *state.earlier]):
        return Referred([], False)  # "and a wireless charger" names another product than those shown
    if state.earlier and (step.slots.get("product_type") or _THE_NAME.search(step.text)):
        before = _by_name(step, state.earlier)  # "add the mat" after the hoses were shown
        if before.sure:
            return before
    by_value = _carrying_most_values(shown, step)
    if by_value and len(by_value) < len(shown):
        focus = state.product(state.focus)
        if len(by_value) == 1 or focus in by_value:
            return Referred([by_value[0] if len(by_value) == 1 else focus], True)  # type: ignore[list-item]
        return Referred(by_value, False)
    focus = state.product(state.focus)
    if reference == "that" or _PRONOUN.search(step.text) or by_value or _THE_ONE.search(step.text):
        if focus is not None:
            return Referred([focus], True)
        if len(shown) == 1:
            return Referred(shown, True)
    return Referred([], False)


_THE_ONE = re.compile(r"\b(?:the|that|this)\s+(?:[\w-]+\s+){0,3}?(?:one|ones)\b", re.I)
_THE_NAME = re.compile(r"\b(?:the|that|those|these)\s+(?!one\b|ones\b)[a-z]", re.I)


def _other_kind(step: Step, products: list[ShownProduct]) -> bool:
    """Whether the message names a kind of product none of ``products`` is, by title or by option."""
    kind = step.slots.get("product_type", "")
    return bool(kind) and not any(_is_kind(p.title, kind) or _describes(p, kind) for p in products)


def _is_kind(title: str, kind: str) -> bool:
    """ "the kettle" in "Tea Kettle"; "tshirt" in "T-Shirt" (written apart or together)."""
    if {_stem(w) for w in _words(kind)} <= {_stem(w) for w in _words(title)}:
        return True
    compact = word_form(kind.replace(" ", ""))
    return len(compact) > 3 and compact in re.sub(r"[^a-z0-9]", "", title.lower())


def _describes(product: ShownProduct, kind: str) -> bool:
    """Whether ``kind`` is a word of the product's options ("the brown frame", "a laptop compartment")."""
    words = {_stem(w) for v in product.variants for k, x in v.options.items() for w in _words(f"{k} {x}")}
    return bool({_stem(w) for w in _words(kind)} & words)


def _at(shown: list[ShownProduct], position: int) -> ShownProduct | None:
    if position == -1:
        return shown[-1]
    return next((p for p in shown if p.position == position), None)


def _by_name(step: Step, shown: list[ShownProduct]) -> Referred:
    scores = [(_name_score(step.text, p.title, step.slots.get("product_type")), p) for p in shown]
    best = max(score for score, _ in scores)
    if best == 0:
        return Referred([], False)
    top = [p for score, p in scores if score == best]
    return Referred(top, len(top) == 1)


def _carrying_most_values(shown: list[ShownProduct], step: Step) -> list[ShownProduct]:
    """The shown products one variant of which carries the most of the values named ("the one with the
    leather strap and the black dial")."""
    counts = [(max((len(_named_in(v, step)) for v in p.variants), default=0), p) for p in shown]
    best = max((n for n, _ in counts), default=0)
    return [p for n, p in counts if n == best] if best else []


def _named_in(variant: ShownVariant, step: Step) -> set[str]:
    """The values of this variant the message names, each with its option's name when that is said too
    ("the black dial": black as the dial colour counts twice)."""
    said = {_stem(w) for w in _words(step.text)}
    found: set[str] = set()
    for key, value in variant.options.items():
        if _says_value(step.text, value, step.slots, key):
            found.add(value)
            if said & {_stem(w) for w in _words(key) if len(w) > 3}:
                found.add(f"{key}={value}")
    return found


# --- variants ----------------------------------------------------------------------------------------


@dataclass
class Choice:
    sku: str | None
    candidates: list[ShownVariant]  # several in stock: ask which
    missing: str | None = None  # a value asked for that no variant in stock has


def choose_variant(
    product: ShownProduct, step: Step, among: list[str] | None = None, implied: list[str] | None = None
) -> Choice:
    """The variant the message names; ``implied``: values named before about this product ("the 8GB one"
    asked about, then "add that one")."""
    named_now = {_norm(v) for v in _named_values(product, step)}
    plain = _compared(product, step, _choose_among(product, step, among, named_now))
    if implied and plain.sku is None:  # values said before narrow what this message leaves open
        hinted = _choose_among(product, step, among, named_now | {_norm(v) for v in implied})
        if hinted.sku is not None or (hinted.candidates and not hinted.missing):
            return _compared(product, step, hinted)
    return plain


_MORE_WORDS = re.compile(r"\b(bigger|larger|longer|more|higher|greater|biggest|largest|longest|most)\b", re.I)
_LESS_WORDS = re.compile(
    r"\b(smaller|shorter|less|lower|fewer|smallest|shortest|least|lightest|lighter)\b", re.I
)


def _compared(product: ShownProduct, step: Step, choice: Choice) -> Choice:
    """ "the one with the bigger screen": of the candidates, the one whose option named (screen size) has
    the highest number."""
    more, less = _MORE_WORDS.search(step.text), _LESS_WORDS.search(step.text)
    if choice.sku is not None or len(choice.candidates) < 2 or bool(more) == bool(less):
        return choice
    said = {_stem(w) for w in _words(step.text)}
    for key in {k for v in choice.candidates for k in v.options}:
        if not said & {_stem(w) for w in _words(key)}:
            continue
        numbered = [(n, v) for v in choice.candidates if (n := _number(v.options.get(key, ""))) is not None]
        if len(numbered) == len(choice.candidates):
            pick = max if more else min
            return Choice(pick(numbered, key=lambda item: item[0])[1].sku, [])
    return choice


_RANKED = {"low": 1.0, "medium": 2.0, "mid": 2.0, "high": 3.0, "small": 1.0, "large": 3.0, "light": 1.0,
           "heavy": 3.0, "basic": 1.0, "standard": 2.0, "premium": 3.0, "short": 1.0,
           "long": 3.0}  # fmt: skip


def _number(value: str) -> float | None:
    """The size a value says: its number ("2L", "8GB"), or its rank in words ("low", "medium", "high")."""
    found = re.search(r"\d+(?:\.\d+)?", value)
    if found:
        return float(found.group(0))
    return _RANKED.get(value.strip().lower())


def _ranks_by(step: Step, product: ShownProduct) -> bool:
    """ "the one with the most ventilation": a comparison over an option the message names."""
    if not (_MORE_WORDS.search(step.text) or _LESS_WORDS.search(step.text)):
        return False
    said = {_stem(w) for w in _words(step.text)}
    return any(said & {_stem(w) for w in _words(key)} for key in _option_values(product.variants))


def _ties(step: Step, variants: list[ShownVariant]) -> dict[str, str]:
    """Option values the message ties to their option by name: "the brown frame" is frame colour brown,
    not lens colour brown; "a 2L capacity". Key -> normalised value."""
    text = " ".join(_words(step.text))
    tied: dict[str, str] = {}
    for key, values in _option_values(variants).items():
        for word in (w for w in _words(key) if len(w) > 3):
            stem = re.escape(_stem(word))
            for value in values:
                said = re.escape(" ".join(_words(value)))
                near = rf"\b{said}\s+(?:\w+\s+)?{stem}\w*\b|\b{stem}\w*\s+(?:in\s+|is\s+|of\s+)?{said}\b"
                if re.search(near, text):
                    tied[key] = _norm(value)
    return tied


def _choose_among(product: ShownProduct, step: Step, among: list[str] | None, named: set[str]) -> Choice:
    variants = [v for v in product.variants if among is None or v.sku in among]
    said_before = dict(n.split("=", 1) for n in named if "=" in n)  # ties implied by earlier words
    named = {n for n in named if "=" not in n}
    tied = {**said_before, **_ties(step, variants)}
    matching = [
        v
        for v in variants
        if named <= {_norm(x) for x in v.options.values()}
        and all(_norm(v.options.get(k, "")) == x for k, x in tied.items())
    ]
    in_stock = [v for v in matching if v.in_stock]
    wanted = [value for key, value in step.slots.items() if key in ("size", "color", "material") and value]
    values = {_norm(x) for v in variants for x in v.options.values()}
    title = {_stem(w) for w in _words(product.title)}
    unknown = [
        w
        for w in wanted
        if _norm(w) not in values
        and _as_size(w) not in {_as_size(x) for x in values}  # "medium" asked, "M" offered
        and not {_stem(x) for x in _words(w)} <= title  # "the fleece jacket": its name, not a wish
        and not any(_norm(w) in _words(x) for x in values)  # "warm white": part of a value named
    ]
    if unknown:
        return Choice(None, [v for v in variants if v.in_stock], missing=" ".join(unknown))
    if len(in_stock) == 1:
        return Choice(in_stock[0].sku, [])
    if not in_stock:
        missing = ", ".join(sorted(named)) or "those options"
        return Choice(None, [v for v in variants if v.in_stock], missing=missing)
    return Choice(None, in_stock)


def _named_values(product: ShownProduct, step: Step) -> set[str]:
    values = {value for v in product.variants for value in v.options.values()}
    pairs = {(key, value) for v in product.variants for key, value in v.options.items()}
    named = {value for key, value in pairs if _says_value(step.text, value, step.slots, key)}
    return named | _named_loosely(product, step, values - named)


_NEGATED = r"(?:not|non|no|without)[\s-]+"


def _named_loosely(product: ShownProduct, step: Step, values: set[str]) -> set[str]:
    """Values said in part or by their option's name: "steel" for the one value with that word ("stainless
    steel"), "the waterproof one" for waterproof: yes ("non-waterproof": no), "the quiet one" for "quiet
    operation"; only when no other value of the product has that word."""
    said = {_stem(w) for w in _words(step.text)}
    text = " ".join(_words(step.text))
    found: set[str] = set()
    for key, choices in _option_values(product.variants).items():
        lowered = {c.lower() for c in choices}
        if lowered <= {"yes", "no", "true", "false"} and key.lower() not in {"yes", "no"}:
            head = next((w for w in _words(key) if len(w) > 3), None)  # "water resistance": water...
            if head is None:
                continue
            if re.search(rf"\b{_NEGATED}{re.escape(head)}", text):
                found |= {c for c in choices if c.lower() in ("no", "false")}
            elif re.search(rf"\b{re.escape(head)}", text):
                found |= {c for c in choices if c.lower() in ("yes", "true")}
            continue
        for value in choices:
            if value not in values or any(c.isdigit() for c in value):  # measures: _flat reads them
                continue
            words = [_stem(w) for w in _words(value) if len(w) > 3]
            own = [
                w for w in words if not any(w in {_stem(x) for x in _words(o)} for o in choices if o != value)
            ]
            if len(_words(value)) > 1 and any(w in said for w in own):
                found.add(value)
    return found


def _option_values(variants: list[ShownVariant]) -> dict[str, list[str]]:
    """Each option's values over ``variants``, in the order they come."""
    keys: dict[str, list[str]] = {}
    for v in variants:
        for key, value in v.options.items():
            if value not in keys.setdefault(key, []):
                keys[key].append(value)
    return keys


def _options_question(title: str, variants: list[ShownVariant]) -> str:
    """ "Which one of the Electric Kettle: capacity 1L, 1.5L or 2L; color black or white?" """
    differing = {k: vals for k, vals in _option_values(variants).items() if len(vals) > 1}
    listed = "; ".join(f"{k} {_or(vals[:MAX_LISTED])}" for k, vals in differing.items())
    return f"Which {title} would you like: {listed}?" if listed else f"Which {title} would you like?"


def _or(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


# --- shopping ----------------------------------------------------------------------------------------


_MEASURE_WORDS = (
    r"(?:l|liters?|litres?|ml|gb|tb|inch|inches|in|ft|feet|foot|cm|mm|m|kg|g|lbs?|pounds?|oz|w|watts?|pieces?|"
    r"pcs?|hours?|h|mah|mp|x|percent|people|person|seater|years?|months?|days?|speed|port|slice|cup)"
)


def _quantity(step: Step, default: int = 1) -> int:
    raw = step.slots.get("quantity", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    kind = step.slots.get("product_type")
    if kind:  # "put in two water bottles": a count just before the kind of product
        head = re.escape(_words(kind)[0][:4])
        count = re.search(
            rf"(?<!size )(?<!sz )\b({COUNT})\s+"
            rf"(?!{_MEASURE_WORDS}\b)(?:[\w-]+\s+){{0,3}}?{head}",
            step.text,
            re.I,
        )
        if count:
            return count_of(count.group(1)) or default
    return default


_OF_THAT = re.compile(
    r"\b(?:of|of\s+the)\s+(?:those|these|them|that|it)\b|\bmore of (?:those|them|it)\b", re.I
)


def _add(step: Step, state: ConversationState) -> Plan:
    added = [line for line in state.cart_lines if line.sku == state.last_sku]
    if added and "quantity" in step.slots and _OF_THAT.search(step.text):  # "I'll need two of those"
        return _call("update_cart_item", sku=added[0].sku, quantity=_quantity(step))
    referred = refer(step, state)
    if not state.shown and step.slots.get("reference") in ("both", "all") and state.cart_lines:
        quantity = _quantity(step)  # "I want two of both": the cart's lines
        return _each("update_cart_item", [{"sku": c.sku, "quantity": quantity} for c in state.cart_lines])
    if not referred.products:
        if not state.shown or step.slots.get("product_type"):
            return _again(_search(step, state, _ADD_WORDS.sub(" ", step.text)))  # "add a yoga mat": find it
        question = Question(intent="add_to_cart", slot="product", args={"quantity": _quantity(step)})
        return _ask("Which one would you like? Say for example 'the first one'.", question)
    if not referred.sure:
        titles = _or([f"{p.position}. {p.title}" for p in referred.products[:MAX_LISTED]])
        question = Question(
            intent="add_to_cart",
            slot="product",
            args={"quantity": _quantity(step), "product_ids": [p.product_id for p in referred.products]},
        )
        return _ask(f"Which one do you mean: {titles}?", question)
    plan = Plan(kind="")
    for product in referred.products:
        part = _add_product(product, step, _quantity(step), state=state, by_price=len(state.shown) <= 1)
        plan = plan.then(part) if plan.kind else part
        state.focus = product.product_id
        if part.question is not None:
            break
    return plan


def _add_product(
    product: ShownProduct,
    step: Step,
    quantity: int,
    among: list[str] | None = None,
    state: ConversationState | None = None,
    *,
    by_price: bool = True,
) -> Plan:
    """Add the variant of ``product`` the message names, or ask which. ``by_price``: "the cheaper one"
    picks among this product's variants (not when it picked the product among several cards)."""
    implied = _implied(product, state)
    choice = choose_variant(product, step, among, implied)
    reference = step.slots.get("reference")
    if choice.sku is None and not choice.missing and by_price and reference in ("cheapest", "priciest"):
        pick = min if reference == "cheapest" else max
        choice = Choice(pick(choice.candidates, key=lambda v: v.price_minor or 0).sku, [])
    if choice.sku is not None:
        return _call("add_to_cart", sku=choice.sku, quantity=quantity)
    skus = [v.sku for v in choice.candidates]
    args = {"product_id": product.product_id, "quantity": quantity, "skus": skus}
    question = Question(intent="add_to_cart", slot="variant", args=args)
    if choice.missing is not None:
        if not choice.candidates:
            return _say(f"Sorry, {product.title} is out of stock at the moment.", "unavailable")
        sold_out = any(
            _norm(choice.missing) in {_norm(x) for x in v.options.values()} for v in product.variants
        )
        lead = (
            f"{product.title} in {choice.missing} is out of stock. "
            if sold_out
            else f"{product.title} isn't available in {choice.missing}. "
        )
        return _ask(lead + _options_question(product.title, choice.candidates), question)
    return _ask(_options_question(product.title, choice.candidates), question)


def _implied(product: ShownProduct, state: ConversationState | None) -> list[str]:
    """Values said earlier about this product: a product question ("the 8GB one?"), or the search that
    found it ("a bookshelf in glass, white, about 6 ft")."""
    if state is None:
        return []
    if state.focus == product.product_id and state.focus_options:
        return state.focus_options
    if state.last_query:
        said = Step(text=state.last_query, intent="search", confidence=1.0, slots={})
        ties = [f"{key}={value}" for key, value in _ties(said, product.variants).items()]
        return sorted(_named_values(product, said)) + ties
    return []


def _answer_choice(step: Step, state: ConversationState, asked: Question) -> Plan | None:
    """The shopper's answer to "which one?" / "which size?"; None when the message is something else."""
    quantity = _quantity(step, int(asked.args.get("quantity", 1)))
    if asked.slot == "variant":
        product = state.product(str(asked.args.get("product_id")))
        if product is None or (
            not _named_values(product, step)
            and not step.slots.get("ordinal")
            and not _ranks_by(step, product)
        ):
            return None
        skus = [str(s) for s in asked.args.get("skus", [])] or None
        if step.slots.get("ordinal") and skus and not _named_values(product, step):
            pick = _nth(skus, step.slots["ordinal"])
            return _call("add_to_cart", sku=pick[0], quantity=quantity) if pick else None
        return _add_product(product, step, quantity, among=skus)
    candidates = [p for p in state.shown if p.product_id in asked.args.get("product_ids", [])] or state.shown
    narrowed = refer(step, state.model_copy(update={"shown": candidates}))
    if len(narrowed.products) != 1:
        return None
    state.focus = narrowed.products[0].product_id
    return _add_product(narrowed.products[0], step, quantity)


_ADD_WORDS = re.compile(
    r"\b(add|put|throw|chuck|pop|get me|grab|buy|i'?ll take|i will take|i'?d like|i want"
    r"|(?:could|can|would) you|to (?:my|the) "
    r"(?:cart|basket|bag)|in(?:to)? (?:my|the) (?:cart|basket|bag)|please|pls|plz)\b",
    re.I,
)


def _add_found(step: Step, state: ConversationState) -> Plan:
    """An add whose product was searched for this turn: the product found, if the search found it;
    otherwise the search's cards stand as the answer."""
    referred = refer(step, state)
    if len(referred.products) == 1 or (referred.products and referred.sure):
        state.focus = referred.products[0].product_id
        plan = _add_product(referred.products[0], step, _quantity(step))
        if plan.question is not None:  # "which size?" about the one product asked for, not a list of cards
            plan.question.instead_of_cards = True
        return plan
    return Plan(kind="tools")


def _choose(step: Step, state: ConversationState) -> Plan:
    """A variant named with no question open ("size 10 please" after the cards): the product talked
    about, or the one shown product that has it."""
    referred = refer(step, state)
    if referred.sure and referred.products:
        return _add_product(referred.products[0], step, _quantity(step), state=state)
    having = [p for p in state.shown if _named_values(p, step)]
    if len(having) == 1:
        state.focus = having[0].product_id
        return _add_product(having[0], step, _quantity(step), state=state)
    if not state.shown or step.slots.get("product_type"):
        return _again(_search(step, state, _ADD_WORDS.sub(" ", step.text)))
    question = Question(intent="add_to_cart", slot="product", args={"quantity": _quantity(step)})
    return _ask("Which product do you mean? Say for example 'the first one'.", question)


def _cart_lines(step: Step, state: ConversationState) -> list[CartLineRef]:
    lines = state.cart_lines
    if not lines:
        return []
    if step.slots.get("reference") in ("both", "all"):
        return list(lines)
    if ordinal := step.slots.get("ordinal"):
        return _nth(lines, ordinal)
    scores = [(_name_score(step.text, line.title, step.slots.get("product_type")), line) for line in lines]
    best = max(score for score, _ in scores)
    if best > 0:
        return [line for score, line in scores if score == best]
    valued = [
        line
        for line in lines
        if any(_says_value(step.text, v, step.slots, k) for k, v in line.options.items())
    ]
    if valued:
        return valued
    last = [line for line in lines if line.sku == state.last_sku]
    if _PRONOUN.search(step.text) and last:
        return last
    return list(lines) if len(lines) == 1 else []


def _nth(items: list[_T], ordinal: str) -> list[_T]:
    """The item an ordinal slot names ("2": the second, "-1": the last), or none if there are fewer."""
    index = int(ordinal.split(",")[0])
    return [items[index - 1 if index > 0 else -1]] if abs(index) <= len(items) else []


def _remove(step: Step, state: ConversationState) -> Plan:
    if not state.cart_lines:
        return _call("view_cart")
    lines = _cart_lines(step, state)
    if not lines:
        return _say(f"Which item should I remove: {_or([line.title for line in state.cart_lines])}?", "ask")
    if len(lines) > 1 and step.slots.get("reference") not in ("both", "all"):
        return _say(f"Which one should I remove: {_or([_line_name(line) for line in lines])}?", "ask")
    if _ONE_OF.search(step.text) and len(lines) == 1 and lines[0].quantity > 1:  # "drop one of the shirts"
        return _call("update_cart_item", sku=lines[0].sku, quantity=lines[0].quantity - 1)
    return _each("remove_from_cart", [{"sku": line.sku} for line in lines])


_ONE_OF = re.compile(r"\b(?:one|1|a single one)\s+of\s+(?:the|those|these|my|them|\w+s)\b", re.I)


def _line_name(line: CartLineRef) -> str:
    options = ", ".join(line.options.values())
    return f"{line.title} ({options})" if options else line.title


_SWAP = re.compile(r"\b(swap|switch|exchange|replace|change)\b|\binstead\b|\bthe other one\b", re.I)


def _swap(step: Step, state: ConversationState, *, looked_up: bool = False) -> Plan | None:
    """ "swap the tshirt for an XL, same colour", "switch it to the other one": the cart line's variant
    changes (remove it, add the new one in the same quantity); None when the message is no such swap."""
    if not state.cart_lines or not _SWAP.search(step.text) or step.intent in ("cancel_order", "policy"):
        return None
    lines = _cart_lines(step, state) or [line for line in state.cart_lines if line.sku == state.last_sku]
    if len(lines) != 1 or not lines[0].product_id:
        return None
    line = lines[0]
    full = next((p for p in state.details if p.product_id == line.product_id), None)
    product = full or state.product(line.product_id)
    if product is None and looked_up:
        return _say(f"Sorry, I couldn't look up the options of {line.title} just now.", "ask")
    if product is None:  # its variants are not known yet: look the product up, then decide
        return _again(_call("get_product", product_id=line.product_id))
    named = {_norm(v) for v in _named_values(product, step)} - {_norm(v) for v in line.options.values()}
    other = re.search(r"\bother\b", step.text, re.I) is not None
    if not named and not other:
        if full is None and not looked_up and re.search(r"\b(?:for|to)\s+(?:the|a|an)\b", step.text, re.I):
            # "swap it for the blue 4-piece": the card showed only the variant asked for; see them all
            return _again(_call("get_product", product_id=line.product_id))
        return None
    others = [v for v in product.variants if v.in_stock and v.sku != line.sku]
    fitting = [v for v in others if named <= {_norm(x) for x in v.options.values()}]
    kept = {k: _norm(v) for k, v in line.options.items() if _norm(v) not in named}
    scored = [(sum(_norm(v.options.get(k, "")) == x for k, x in kept.items()), v) for v in fitting]
    best = max((n for n, _ in scored), default=-1)
    top = [v for n, v in scored if n == best]
    if len(top) != 1:
        what = " ".join(sorted(named)) or "another option"
        return _say(f"I couldn't find exactly one {product.title} in {what} in stock to swap to.", "ask")
    return Plan(
        calls=[
            ToolCallPlan("remove_from_cart", {"sku": line.sku}),
            ToolCallPlan("add_to_cart", {"sku": top[0].sku, "quantity": line.quantity}),
        ]
    )


_MORE = re.compile(r"\b(more|another|extra|additional)\b", re.I)
_ONE = re.compile(
    r"\b(?:the|just|only|a single|single|just the)\s+one\b(?!\s+(?:in|with|that|which)\b)", re.I
)
_A_COUNT = re.compile(
    rf"(?<![\w.$])({COUNT})(?![\w.%])"
    r"(?!\s*(?:\$|dollars?|bucks|euros?|days?|weeks?|years?|months?|hours?|x\b|gb|tb|mm|cm|ml|l\b|kg|w\b))",
    re.I,
)


_NOT_THAT_MANY = re.compile(rf"\b({COUNT})\b(?:\s+[a-z]+)?,?\s+not\s+(?:{COUNT})\b", re.I)


def _said_count(text: str) -> int | None:
    """The quantity a cart edit states without the usual wording: "I just need the one", "2 is enough",
    "three will do", "one bottle not two"; None when it names no single count."""
    if corrected := _NOT_THAT_MANY.search(text):
        return count_of(corrected.group(1))
    if _ONE.search(text):
        return 1
    counts = {n for m in _A_COUNT.finditer(text) if (n := count_of(m.group(1)))}
    return counts.pop() if len(counts) == 1 else None


def _change_quantity(step: Step, state: ConversationState) -> Plan:
    lines = _cart_lines(step, state) or [line for line in state.cart_lines if line.sku == state.last_sku]
    if not state.cart_lines:
        return _say("Your cart is empty, so there is nothing to change yet.", "ask")
    said = _said_count(step.text)
    wanted = _quantity(step) if "quantity" in step.slots else said
    if len(lines) > 1 and step.slots.get("reference") in ("both", "all") and wanted:
        return _each("update_cart_item", [{"sku": line.sku, "quantity": wanted} for line in lines])
    if len(lines) != 1:
        return _say(f"Which item do you mean: {_or([_line_name(line) for line in state.cart_lines])}?", "ask")
    line = lines[0]
    if "quantity" not in step.slots and said is not None and not _MORE.search(step.text):
        return _call("update_cart_item", sku=line.sku, quantity=said)
    if "quantity" not in step.slots and not _MORE.search(step.text):
        return _say(f"How many {line.title} would you like?", "ask")
    quantity = _quantity(step)
    if _MORE.search(step.text):
        quantity = line.quantity + quantity
    return _call("update_cart_item", sku=line.sku, quantity=quantity)


def _search(step: Step, state: ConversationState, text: str | None = None) -> Plan:
    state.focus = None
    query = _query_text(text if text is not None else step.text)
    kind = step.slots.get("product_type")
    if kind and not (many := plural(kind)).startswith(kind):  # "gaming mice": the catalog says mouse
        query = re.sub(rf"\b{re.escape(many)}\b", kind, query, flags=re.I)
    if not query:
        return _say("What are you looking for? For example 'a blue mug under $20'.", "ask")
    return _call("search_products", query=query)


_LEAD_IN = re.compile(
    r"^(?:hi|hello|hey|ok|okay|so|well|um|uh|please)?[,!. ]*"
    r"(?:(?:i'?m|i am|we'?re) (?:looking|searching|shopping) for"
    r"|i (?:want|need|would like|'d like)(?: to buy| to find)?"
    r"|(?:can|could) you (?:show|find|get) me|do you (?:have|sell|carry)"
    r"|show me|find me|looking for|search for|got any|have you got)\s+",
    re.I,
)


_POLITE = re.compile(r"\b(please|pls|plz|thanks|thank you|thx|cheers)\b[!.]*", re.I)


def _query_text(text: str) -> str:
    """What to search for: the request without its lead-in ("do you have") and politeness."""
    kept = _POLITE.sub(" ", _LEAD_IN.sub("", text.strip()))
    return " ".join(kept.split()).strip(" ,?!.") or text.strip()


def _refine(step: Step, state: ConversationState) -> Plan:
    if state.last_query is None:
        return _search(step, state)
    filters = dict(state.last_filters)
    slots = step.slots
    if (
        re.search(r"\b(cheaper|less expensive|lower price|more affordable|budget)\b", step.text, re.I)
        and "max_price" not in slots
    ):
        prices = [p.price_min_minor for p in state.shown if p.price_min_minor]
        if not prices:
            return _say("What is your budget? Say for example 'under $50'.", "ask")
        filters["max_price_minor"] = min(prices) - 1
    for key, name in (("max_price", "max_price_minor"), ("min_price", "min_price_minor")):
        if key in slots:
            filters[name] = round(float(slots[key]) * 100)
    options = dict(filters.get("options") or {})
    for key in ("size", "color", "material"):
        if key in slots:
            options[key] = [slots[key]]
    if options:
        filters["options"] = options
    extra = (
        parse_query(_query_text(step.text)).text if not slots.keys() & {"size", "color", "material"} else ""
    )
    query = state.last_query if not _is_more_words(extra) else f"{state.last_query} {extra}"
    return _call("search_products", query=query, filters=filters)


_FILLER = frozenset(
    "any one ones something in a an the with what about how those them it cheaper only".split()
)


def _is_more_words(extra: str) -> bool:
    """Whether a refinement carries words of its own ("waterproof ones") beyond filler."""
    return any(w not in _FILLER and not w.isdigit() for w in _words(extra))


def _show_more(step: Step, state: ConversationState) -> Plan:
    if state.last_query is None:
        return _say("What would you like to see? For example 'running shoes under $100'.", "ask")
    shown = [p.product_id for p in state.shown]
    return _call("search_products", query=state.last_query, filters={**state.last_filters, "exclude": shown})


def _product_question(step: Step, state: ConversationState) -> Plan:
    referred = refer(step, state)
    if not referred.products or not referred.sure:
        if step.slots.get("product_type") and not state.shown:
            return _search(step, state)
        return _say("Which product do you mean? Say for example 'the first one'.", "ask")
    product = referred.products[0]
    state.focus = product.product_id
    named = _named_values(product, step)
    if named:
        state.focus_options = sorted(named)  # "ok, add that one" then means this variant
        return _say(_availability(product, named), "answer")
    return _call("get_product", product_id=product.product_id)


def _availability(product: ShownProduct, named: set[str]) -> str:
    wanted = {_norm(v) for v in named}
    having = [v for v in product.variants if wanted <= {_norm(x) for x in v.options.values()}]
    said = " ".join(sorted(named))
    if any(v.in_stock for v in having):
        return (
            f"Yes, {product.title} comes in {said} and it is in stock. Say 'add it' to add it to your cart."
        )
    if having:
        return f"{product.title} comes in {said}, but that is out of stock right now."
    return f"Sorry, {product.title} doesn't come in {said}."


def _compare(step: Step, state: ConversationState) -> Plan:
    referred = refer(step, state)
    products = referred.products if len(referred.products) >= 2 else state.shown[:2]
    if len(products) < 2:
        return _say("Which products should I compare? Search first, then say 'compare the first two'.", "ask")
    lines = [f"{p.position}. {p.title}: {_variants_summary(p)}" for p in products]
    return _say("Side by side: " + " | ".join(lines), "answer")


def _variants_summary(product: ShownProduct) -> str:
    values = _option_values(product.variants)
    options = "; ".join(f"{k}: {', '.join(vals[:MAX_LISTED])}" for k, vals in values.items())
    minor, currency = product.price_min_minor, product.currency
    price = f"from {format_amount(minor, currency, symbol=False, grouping=False)}".strip() if minor else ""
    return ", ".join(x for x in (price, options) if x)


# --- orders ------------------------------------------------------------------------------------------


def _order_number(step: Step, state: ConversationState) -> str | None:
    return step.slots.get("order_number", "").upper() or None


# a question about how things work, not a request about one of the shopper's orders
_GENERAL = re.compile(
    r"^\W*(how (do|can|does|would|long)|can (i|you|we|orders?|items?)|could i|is it possible|are|what|when|"
    r"until when|do you|does|am i|if|is there)\b",
    re.I,
)
_MINE = re.compile(r"\b(my|this|that|the) (last |latest |recent )?(order|purchase)s?\b|\b(it|them)\b", re.I)
_OPEN = frozenset({"pending_payment", "paid"})  # orders that can still be cancelled
_RETURNABLE = frozenset({"delivered"})


def _named_order(
    step: Step, state: ConversationState, statuses: frozenset[str] | None = None
) -> OrderRef | None:
    """The order a message names by number or by what is in it ("the yoga mat one")."""
    candidates = [o for o in state.orders if statuses is None or o.status in statuses]
    if number := _order_number(step, state):
        return next((o for o in state.orders if o.number == number), OrderRef(number=number, status=""))
    kind = step.slots.get("product_type")
    scored = [(max((_name_score(step.text, t, kind) for t in o.titles), default=0), o) for o in candidates]
    best = max((score for score, _ in scored), default=0)
    top = [o for score, o in scored if score == best and best > 0]
    if top:
        return top[0] if len(top) == 1 else None
    return _by_recency(step, candidates)


_NEWEST = re.compile(r"\b(?:most recent|latest|newest|newer|last|recent|just (?:made|placed))\b", re.I)
_OLDEST = re.compile(r"\b(?:oldest|older|earlier|earliest)\b", re.I)


def _by_recency(step: Step, orders: list[OrderRef]) -> OrderRef | None:
    """ "the most recent one", "the older one", "the second one": orders are newest first, as listed."""
    if not orders:
        return None
    if _NEWEST.search(step.text):
        return orders[0]
    if _OLDEST.search(step.text):
        return orders[-1]
    picked = _nth(orders, step.slots["ordinal"]) if step.slots.get("ordinal") else []
    return picked[0] if picked else None


def _order_status(step: Step, state: ConversationState) -> Plan:
    named = _named_order(step, state)
    if named is None and len(state.orders) == 1:
        named = state.orders[0]
    return _call("order_status", order_number=named.number) if named else _call("order_status")


def _order_history(step: Step, state: ConversationState) -> Plan:
    recent = re.search(r"\b(just|last|latest|recent|most recent|again)\b", step.text, re.I)
    if (recent or len(state.orders) == 1) and state.orders:
        return _call("order_status", order_number=state.orders[0].number)
    return _call("order_status")


def _irreversible(step: Step, state: ConversationState, tool: str) -> Plan:
    """Cancel or return: the order named, or the one order it can apply to; else ask which."""
    if _GENERAL.match(step.text) and not _order_number(step, state) and not _MINE.search(step.text):
        return _call("store_policy", question=step.text)  # "can I return shoes I wore once?": the rules
    cancel = tool == "cancel_order"
    statuses = _OPEN if cancel else _RETURNABLE
    eligible = [o for o in state.orders if o.status in statuses]
    order = _named_order(step, state, statuses)
    if order is None and len(eligible) == 1:
        order = eligible[0]
    if order is None and not eligible and state.last_order:
        order = OrderRef(number=state.last_order, status="")
    verb = "cancel" if cancel else "return"
    if order is None:
        listed = f" ({_or([f'{o.number}: {_or(o.titles[:3])}' for o in eligible])})" if eligible else ""
        question = Question(
            intent="cancel_order" if cancel else "return_order", slot="order_number", tool=tool
        )
        return _ask(f"Which order would you like to {verb}{listed}? Please give me its number.", question)
    args: dict[str, Any] = (
        {"order_number": order.number} if cancel else {"order_number": order.number, "skus": []}
    )
    text = f"Do you want me to {describe(tool, args)}? Please answer yes or no."
    question = Question(intent=tool, slot="confirmation", tool=tool, args=args)
    return Plan(answer=text, question=question, kind="confirm")


# --- answers to questions ----------------------------------------------------------------------------


def _confirm(step: Step, state: ConversationState) -> Plan:
    if state.pending is not None:
        tool, args = str(state.pending["name"]), dict(state.pending.get("args") or {})
        decision = decide(step.text, args)
        if decision is Decision.YES:
            return _call(tool, **args)
        if decision is Decision.UNCLEAR:
            question = Question(intent="confirm", slot="confirmation", tool=tool, args=args)
            text = f"I need a clear yes or no: do you want me to {describe(tool, args)}?"
            return Plan(answer=text, question=question, kind="confirm")
    return _say("Alright. What can I help you find? For example 'running shoes under $100'.", "ask")


def _deny(step: Step, state: ConversationState) -> Plan:
    if state.pending is not None or state.asked is not None:
        return _say("No problem, I have left it as it is.", "denied")
    return _say("Alright. Anything else I can help with?", "ask")


def _offer_answer(step: Step, asked: Question) -> Plan:
    if step.intent == "deny" or asked.tool is None:
        return _say("Alright. Anything else I can help with?", "denied")
    return _call(asked.tool, **asked.args)


# --- the rest -----------------------------------------------------------------------------------------


# requests answered in words alone: intent -> (answer, kind)
_CANNED = {
    "out_of_scope": (
        "Sorry, I can only help with shopping in this store: finding products, your cart, orders and our "
        "policies. I can also put you through to a person.",
        "refusal",
    ),
    "abuse": ("I can't do that. I can help you find products, manage your cart and track orders.", "refusal"),
    "greeting": (
        "Hi! I can help you find products, manage your cart, check out and track orders.",
        "greeting",
    ),
    "thanks": ("You're welcome! Anything else I can help with?", "thanks"),
    "goodbye": ("Thanks for stopping by. Bye for now!", "goodbye"),
    "help": (
        "Try: 'red running shoes under $80', 'add the second one in size 10', 'show my cart', 'checkout', "
        "'where is my order', 'what is your return policy' or 'talk to a human'.",
        "help",
    ),
}


def _canned(intent: str) -> Callable[[Step, ConversationState], Plan]:
    text, kind = _CANNED[intent]
    return lambda step, state: _say(text, kind)


HANDLERS: dict[str, Callable[[Step, ConversationState], Plan]] = {
    "search": _search,
    "refine_search": _refine,
    "show_more": _show_more,
    "product_question": _product_question,
    "compare": _compare,
    "add_to_cart": _add,
    "choose_variant": _choose,
    "remove_from_cart": _remove,
    "change_quantity": _change_quantity,
    "clear_cart": lambda step, state: _call("clear_cart"),
    "view_cart": lambda step, state: _call("view_cart"),
    "checkout": lambda step, state: _call("checkout"),
    "resend_payment_link": lambda step, state: _call("payment_link", order_number=_order_number(step, state)),
    "order_status": _order_status,
    "order_history": _order_history,
    "cancel_order": lambda step, state: _irreversible(step, state, "cancel_order"),
    "return_order": lambda step, state: _irreversible(step, state, "request_return"),
    "policy": lambda step, state: _call("store_policy", question=step.text),
    "confirm": _confirm,
    "deny": _deny,
    "human_handoff": lambda step, state: _call("handoff_to_human", reason=step.text),
    **{intent: _canned(intent) for intent in _CANNED},
}
