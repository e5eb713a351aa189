"""Slot extraction: the values a shopper's sentence carries, each read once, by one reader.

Prices (and the currency named with them) come from `retrieval.query_parser.parse_query`, the one price
parser; colours and materials from the same parser's vocabulary matching (base lists plus the catalog's).
The rest is read here: order numbers (``EL-XXXXXX``), sizes, ordinals and references, quantities,
product types (the vocabulary's longest match, plural or singular), a policy topic and a country.

Values are strings (the corpus's format): prices in major units ("60"), quantities and ordinals as digits
("2"; the last one is "-1"; several ordinals are joined with ","), sizes canonical ("M", "XL", "10").

With the catalog's options learnt (``NluVocabulary.with_options``), ``options`` holds every option value read
with its key as the catalog writes them, ``key=value`` joined by ";" and a key's several values by "|":
"add the 100W warm white bulb" -> "brightness=100w equivalent;color temperature=warm white"; "sunglasses
with a brown frame" -> "frame color=brown" (and color "brown"); "gaming mouse, wireless" ->
"connectivity=wireless"; "the 1.5 litre one" -> "capacity=1.5 liters|1.5l". Sizes stay in ``size``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from elara_bot.nlu.vocabulary import COUNTRIES, NluVocabulary
from retrieval.options import kind_of, measure_spans
from retrieval.query_parser import parse_query

Span = tuple[int, int]

ORDER_NUMBER = re.compile(r"(?<![\w-])EL-[A-Z0-9]{6}(?![\w-])", re.I)
# Opaque identifiers a shopper may paste (a customer id, an email, a card or phone number, a token): their
# characters say nothing about the request, and read as words they swayed it ("my customer id is <uuid>,
# show my orders" went to a person for some uuids), so the classifier reads only their kind.
_IDENTIFIERS = [
    (re.compile(r"(?<![\w-])[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?![\w-])", re.I), "id"),
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "email"),
    (re.compile(r"(?<![\w-])\+?\d[\d -]{7,}\d(?![\w-])"), "number"),
    (re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,}(?![\w-])", re.I), "code"),
]
_NUM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12, "dozen": 12, "a pair": 2, "pair": 2,
    "a couple": 2, "couple": 2,
}  # fmt: skip
_ORDINAL_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
    "5th": 5, "sixth": 6, "6th": 6, "last": -1,
}  # fmt: skip
_ORDINAL = re.compile(
    rf"\bthe\s+(?:very\s+)?({'|'.join(_ORDINAL_WORDS)})\b(?!\s+(?:order|orders|time|month|week|year|day|purchase))"
    r"|\b(?:number|no\.?|option|item|product|#)\s*(\d{1,2})\b(?!\s*(?:\$|dollars|bucks|euros|%))"
    r"|(?<![\w#])#(\d{1,2})\b"
    rf"|\b({'|'.join(w for w in _ORDINAL_WORDS if w != 'last')})\s+one\b",
    re.I,
)
_REFERENCES = (
    ("cheapest", r"the\s+(?:cheaper|cheapest|less\s+expensive|least\s+expensive|cheap)(?:\s+one)?"),
    ("priciest", r"the\s+(?:more\s+expensive|most\s+expensive|pricier|priciest|expensive)(?:\s+one)?"),
    ("both", r"both(?:\s+of\s+them)?|the\s+two\s+of\s+them"),
    ("all", r"all\s+of\s+them|all\s+(?:three|four|five)"),
    ("that", r"(?:that|this)\s+one"),
)
_REFERENCE = [(value, re.compile(rf"(?<![\w-]){p}(?![\w-])", re.I)) for value, p in _REFERENCES]
_LETTER_SIZES = {
    "xxs": "XXS", "xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "xxl": "XXL", "xxxl": "XXXL",
    "2xl": "XXL", "3xl": "XXXL", "small": "S", "medium": "M", "large": "L", "extra large": "XL",
    "x-large": "XL", "extra small": "XS", "x-small": "XS",
}  # fmt: skip
_SIZE_WORD = (
    r"extra\s+large|extra\s+small|x-large|x-small|small|medium|large|xxs|xxxl|xxl|xs|xl|2xl|3xl|s|m|l"
)
_SIZE_AFTER = r"(?=\s*(?:$|[,.!?;)]|please\b|pls\b|plz\b|thanks\b|thx\b|one\b|in\b|and\b|for\b|i\b|then\b))"
_SIZES = (
    # size 10, size XL, size medium
    re.compile(rf"\bsize\s*(?::\s*)?(\d{{1,2}}(?:\.5)?|{_SIZE_WORD})\b", re.I),
    # unambiguous letter sizes anywhere
    re.compile(r"(?<![\w-])(xxs|xs|xl|xxl|xxxl|2xl|3xl)(?![\w-])", re.I),
    # "in medium", "a large", "wear an 8.5", "the M", "go with L" (not "a large tent")
    re.compile(
        rf"\b(?:in|a|an|wear|the|is|go\s+with|i'?m)\s+({_SIZE_WORD}|\d{{1,2}}(?:\.5)?){_SIZE_AFTER}", re.I
    ),
)
_BARE = re.compile(r"^\W*(?:uh|um|hmm|ok|okay)?\W*(\S+?)\W*(?:please|pls|plz|thanks|thx)?\W*$", re.I)
_QTY_TOKEN = (
    r"a\s+couple(?:\s+of)?|couple\s+of|a\s+pair(?:\s+of)?|a\s+dozen|\d{1,2}|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve"
)
_QTY_TRIGGER = (
    r"make\s+(?:it|that)|to|qty|quantity|need|want|take|get|have|add|buy|order|just|only|do|put|like|grab"
    r"|meant|actually|instead|of"
)
_NOT_A_COUNT = (
    r"more|less|year|years|yr|day|days|week|weeks|month|months|people|person|persons|hour|hours|minutes"
    r"|%|percent|stars?|\$|dollars?|bucks|euros?|quid|\+|x\s*\d|inch|inches|cm|mm|kg|lbs?|ft"
)
_QUANTITY = (
    re.compile(r"(?<![\w.])(\d{1,2})\s*x(?![\w])|(?<![\w])x\s*(\d{1,2})(?![\w.])", re.I),  # 3x, x3
    re.compile(
        rf"\b(?:{_QTY_TRIGGER})\s+(?:it\s+)?({_QTY_TOKEN})(?![\w.])(?!\s*(?:{_NOT_A_COUNT})\b)(?!\s+one\b)",
        re.I,
    ),
    re.compile(
        rf"(?<![\w.])({_QTY_TOKEN})(?![\w.])(?=\s+(?:of\s+)?(?:the|those|these|them|pcs|units|items|pieces)\b)",
        re.I,
    ),
)
_TOPICS = (
    ("returns", r"return|refund|send\s+(?:it\s+)?back|shipping\s+back|exchange|doesn'?t\s+fit|don'?t\s+fit"),
    ("warranty", r"warrant|guarantee|breaks?\b|broken"),
    ("discounts", r"discount|promo|coupon|voucher|price\s+match|sale\b|code"),
    ("sizing", r"size|sizing|run(?:s)?\s+(?:small|large|big)|true\s+to\s+size|\bfit"),
    (
        "payment",
        r"\bpay|paypal|card|apple\s+pay|google\s+pay|klarna|afterpay|installment|crypto|bitcoin|invoice",
    ),
    ("shipping", r"ship|deliver|arriv|express|international|postage|courier|get\s+to\s+me|gets\s+to\s+me"),
)
_TOPIC = [(topic, re.compile(p, re.I)) for topic, p in _TOPICS]


@functools.lru_cache(maxsize=16)
def _alternation(words: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(words, key=lambda w: (-len(w), w))
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(w) for w in ordered)})(?![\w-])", re.I)


class _Text:
    """The sentence with the spans already read (a number read as a price is no quantity)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken: list[Span] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.taken)

    def take(self, start: int, end: int) -> None:
        self.taken.append((start, end))

    def matches(self, pattern: re.Pattern[str]) -> Iterable[re.Match[str]]:
        for m in pattern.finditer(self.text):
            if self.free(m.start(), m.end()):
                yield m


def _major(minor: int) -> str:
    return str(minor // 100) if minor % 100 == 0 else f"{minor / 100:.2f}"


def _prices(t: _Text, vocab: NluVocabulary, slots: dict[str, str]) -> None:
    parsed = parse_query(t.text, vocab.parser_vocabulary)
    if parsed.max_price_minor is not None:
        slots["max_price"] = _major(parsed.max_price_minor)
    if parsed.min_price_minor is not None:
        slots["min_price"] = _major(parsed.min_price_minor)
    if parsed.currency and ("max_price" in slots or "min_price" in slots):
        slots["currency"] = parsed.currency
    for kind in ("color", "material"):  # "brown frame" is a colour too, of the frame
        values = [v for key, found in parsed.options.items() if kind_of(key) == kind for v in found]
        if values:
            slots[kind] = ",".join(dict.fromkeys(values))
    if vocab.options is not None and (named := [(k, v) for k, v in parsed.options.items() if k != "size"]):
        slots["options"] = ";".join(f"{key}={'|'.join(values)}" for key, values in named)
    for start, end in measure_spans(t.text):  # "the 1.5 litre one": a capacity, not size 1
        t.take(start, end)
    for phrase in parsed.applied:  # keep the price phrases' numbers from other readers
        at = t.text.find(phrase)
        if at >= 0 and re.search(r"\d", phrase) and not phrase.lower().startswith("size"):
            t.take(at, at + len(phrase))


def _order_number(t: _Text, slots: dict[str, str]) -> None:
    for m in t.matches(ORDER_NUMBER):
        slots.setdefault("order_number", m.group(0).upper())
        t.take(m.start(), m.end())


def _size_value(raw: str) -> str:
    key = " ".join(raw.lower().replace("-", "-").split())
    return _LETTER_SIZES.get(key, raw.upper())


def _sizes(t: _Text, slots: dict[str, str], expecting: str | None) -> None:
    for pattern in _SIZES:
        for m in t.matches(pattern):
            raw = m.group(1)
            if raw.lower() in ("s", "m", "l") and not (raw.isupper() or pattern is _SIZES[0]):
                continue  # "in m"? only a written capital or "size m"
            slots.setdefault("size", _size_value(raw))
            t.take(m.start(1), m.end(1))
    bare = _BARE.match(t.text)
    if "size" in slots or bare is None or not t.free(bare.start(1), bare.end(1)):
        return
    word = bare.group(1)
    if word.lower() in _LETTER_SIZES and (len(word) > 1 or word.isupper() or expecting == "size"):
        slots["size"] = _size_value(word)
    elif re.fullmatch(r"\d{1,2}(?:\.5)?", word) and (expecting == "size" or 5 <= float(word) <= 50):
        if expecting != "quantity":
            slots["size"] = word
            t.take(bare.start(1), bare.end(1))


def _ordinals(t: _Text, slots: dict[str, str]) -> None:
    found: list[str] = []
    for m in t.matches(_ORDINAL):
        word = next(g for g in m.groups() if g)
        value = _ORDINAL_WORDS.get(word.lower()) if not word.isdigit() else int(word)
        if value is not None and str(value) not in found:
            found.append(str(value))
            t.take(m.start(), m.end())
    if found:
        slots["ordinal"] = ",".join(found)


def _references(t: _Text, slots: dict[str, str]) -> None:
    for value, pattern in _REFERENCE:
        for m in t.matches(pattern):
            slots.setdefault("reference", value)
            t.take(m.start(), m.end())


COUNT = _QTY_TOKEN  # a count as shoppers write it: "2", "two", "a pair of", "a dozen"


def count_of(raw: str) -> int | None:
    """The number a COUNT match says ("a couple of" -> 2), None for anything else."""
    key = " ".join(raw.lower().split()).removesuffix(" of")
    if key.isdigit():
        return int(key)
    return _NUM_WORDS.get(key)


def _quantity(t: _Text, slots: dict[str, str]) -> None:
    for pattern in _QUANTITY:
        for m in t.matches(pattern):
            group = 1 if m.group(1) else 2
            value = count_of(m.group(group))
            if value is not None and 0 < value <= 99:
                slots.setdefault("quantity", str(value))
                t.take(m.start(group), m.end(group))
                return


def _product_type(t: _Text, vocab: NluVocabulary, slots: dict[str, str]) -> None:
    if not vocab.product_types:
        return
    for m in t.matches(_alternation(frozenset(vocab.product_types))):
        slots["product_type"] = vocab.product_types[m.group(0).lower()]
        t.take(m.start(), m.end())
        return


def _country(t: _Text, slots: dict[str, str]) -> None:
    for m in t.matches(_alternation(frozenset(COUNTRIES))):
        slots["country"] = m.group(0)
        return


def topic_of(text: str) -> str | None:
    """The policy a question is about (returns first: "who pays for return shipping" is about returns)."""
    for topic, pattern in _TOPIC:
        if pattern.search(text):
            return topic
    return None


def extract_slots(
    text: str, vocab: NluVocabulary | None = None, *, expecting: str | None = None
) -> dict[str, str]:
    """The slot values of ``text``. ``expecting`` names the slot the assistant just asked for ("size",
    "quantity"): a bare "10" then answers that question."""
    vocab = vocab or NluVocabulary.base()
    t = _Text(text)
    slots: dict[str, str] = {}
    _order_number(t, slots)
    _prices(t, vocab, slots)
    _ordinals(t, slots)
    _references(t, slots)
    _sizes(t, slots, expecting)
    _quantity(t, slots)
    if expecting == "quantity" and "quantity" not in slots:
        bare = _BARE.match(text)
        if bare and (value := count_of(bare.group(1))) is not None:
            slots["quantity"] = str(value)
    _product_type(t, vocab, slots)
    _country(t, slots)
    return slots


def mask_identifiers(text: str) -> str:
    """``text`` with pasted identifiers (uuids, emails, long numbers, tokens) replaced by their kind."""
    for pattern, kind in _IDENTIFIERS:
        text = pattern.sub(kind, text)
    return text


def delexicalise(text: str, vocab: NluVocabulary | None = None) -> str:
    """``text`` with its slot values replaced by their kind ("remove the teal kettle" -> "remove the
    colour product"): the classifier then learns the wording of a request, not its fillers."""
    vocab = vocab or NluVocabulary.base()
    out = ORDER_NUMBER.sub("order number", mask_identifiers(text))
    out = _alternation(frozenset(vocab.product_types)).sub("product", out)
    out = _alternation(vocab.colors).sub("colour", out)
    out = _alternation(vocab.materials).sub("material", out)
    return " ".join(out.lower().split())
