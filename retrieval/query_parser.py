"""Pull shopping constraints out of free text.

**Prices.** A number is a price only with a money cue; everything else (gauges, sizes, dimensions, model
numbers, pack counts) is a word of the query and stays in the text search. The cues, strongest first:

* a currency attached to the number: ``$50``, ``50$``, ``€40``, ``£30``, ``USD 20``, ``20 dollars``,
  ``20 bucks``, ``20 euros``, ``30 quid``, ``$1.2k``, ``fifty bucks`` (a currency is only a cue: the amount
  is read in the store's currency and its code is reported in :attr:`Parsed.currency`; "pounds" is a
  weight, so "£30" or "30 quid");
* a price word before it: ``budget of 60``, ``my budget is 80``, ``price under 50``, ``costs less than 30``,
  ``spend up to 70``, ``cheaper than 30``, ``more expensive than 100``;
* a plain comparative (``under``, ``below``, ``less than``, ``over``, ``above``, ``more than``, ``at least``,
  ``at most``, ``up to``, ``between … and …``) before a *bare* number, only when all of these hold: the
  comparative is a word of its own (``under-sink``), the number stands alone (not ``10-3``, ``3/8``, ``4x4``,
  ``2.375``, ``50ft``), no unit or count follows it (``under 2 kg``, ``over 100 hz``, ``up to 4 people``), and
  the query is not written in hardware notation, which leaves units off measures: a fraction (``1/2``), a
  dimension (``2 x 4``, ``4 in. x 4 in``), a gauge (``12 gauge``, ``14 awg``, ``18 ga``), ``#8`` or a pair
  like ``10-3``. So "boots under 200" is a $200 ceiling; a number *with* its unit elsewhere ("power bank
  20000 mah below 40", "3 drawer dresser under 200") does not block, as a shopper who writes units on
  measures leaves them off prices; but "2x4 stud 8 ft under 10" and "wire 12/2 over 100" get no price: in
  hardware notation a bare number may be a measure, and a missing filter costs less than a wrong one.
* shopping language around a bare number of ten or more, in a query not written in hardware notation: a
  trailing cue closing its clause (``100 tops``, ``200 max``, ``150 at most``, ``90 or under``, ``100 and
  no more``, ``70, not a penny more``, ``150 is my limit``, ``800 and up``, ``100 plus``); ``max``/``min``
  opening a clause ("a kettle, max 60"); ``from``/``starting at`` with the number closing its clause and
  no year ("bookshelves from 50", "from 50 to 120"). Not after a size or a count word ("size 10 tops",
  "pack of 12 max", "need 20 or more"), not with what the number counts after it ("50 or more reviews",
  "10 tops in red");
* never without a currency or a price word otherwise: ``max``/``min`` inside a name ("air max 90",
  "z-max 4"), ``within``, ``around``/``about``, and bare ranges (``50-100``, ``50 to 100``; "the 50-100
  range" has its price word);
* never without a currency: a bare number after a child or a rating ("kids under 10", "rated over 4.5"),
  a number in words under twenty ("at least two").

**Direction.** Maximum: under, below, less than, cheaper than, up to, at most, max, within, and the trailing
forms ``$X or less``, ``$X max``, ``$X tops``, ``$X and under``. Minimum: over, above, more than, at least,
from, starting at, more expensive than, exceed, ``$X or more``, ``$X and up``, ``$X+``. A negation in the
same clause flips a comparative ("nothing above 60 bucks", "can't go over $300", "don't want to spend more
than $80" are ceilings; "not under $20", "nothing cheaper than 20 bucks" are floors). Ranges: ``between $50
and $100``, ``$50-$100``, ``50 to 100 dollars``, ``50-100 bucks``, ``budget 50-80``. ``around``/``about``/
``roughly``/``~`` a price is that price ±20 %. A money amount with no direction ("a 30 dollar gift", "budget
of 60") is a ceiling. Several bounds combine to the narrowest; a reversed pair is read as a range.

**Text.** Only a recognised price phrase (with its negation and price words: "don't want to spend more than
$80") and a stock phrase ("in stock", "available now") leave the text. Option words stay in it.

**Options** (returned in :attr:`Parsed.options` by option key, kept in the text; the search treats them as
soft, see ``elara_bot.catalog.service.search_products``), read as the catalog writes them by
:mod:`retrieval.options`:

* "size 10", "size XL", "size medium" -> {"size": ["10"]}; "t-shirts in M?", "an XL", "M" (an answer) ->
  {"size": ["M"]} where the catalog has that size;
* the catalog's values whole, longest first, tied to their key by the key word next to them or by the
  products named: "the 100W warm white bulb" -> {"brightness": ["100w equivalent"], "color temperature":
  ["warm white"]}; "brown frame" -> {"frame color": ["brown"]}; "gaming mouse, wireless" ->
  {"connectivity": ["wireless"]}; "1.5 litre kettle" -> {"capacity": ["1.5 liters", "1.5l"]};
* not negated ("no leather", "not red", "non-leather");
* "in stock", "available now" -> in_stock = True

:attr:`Parsed.applied` lists the phrases read as constraints, in text order ("brown frame" with the key word
that tied it). Prices come back as minor units (cents). The option vocabulary is loaded from the catalog by
the caller (:func:`load_vocabulary`) and cached for ten minutes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from psycopg import AsyncConnection

from retrieval.options import EXPLICIT_SIZE, OptionIndex, Reading, build_offered_by, kind_of, product_words

Bound = Literal["max", "min", "around", "none"]

# A unit after a number makes it a measure or a count. "in" counts only as "in." or before "x"/the end
# ("4 in x 4 in"), so "under 50 in stock" or "under 40 in red" keep their price.
_UNITS = (
    r"lbs?|pounds?|kgs?|g|grams?|mg|oz|ounces?|tons?|inch(?:es)?|in(?=\.|\s*(?:x|×|by)\b|\s*$)|cm|mm|m|km"
    r"|ft|feet|foot|yds?|yards?|mil|gb|tb|mb|kb|gbps|mbps|ghz|mhz|hz|w|watts?|kw|kwh|wh|mah|ah|v|volts?"
    r"|amps?|ohms?|l|liters?|litres?|ml|gal|gallons?|qts?|quarts?|pints?|cups?|mp|megapixels?|mph|rpm|psi"
    r"|bar|db|lumens?|lm|btu|cc|cfm|gpm|dpi|ppi|fps|pcs?|pieces?|pack|pk|count|ct|sheets?|pages?|sq|gauge"
    r"|ga|awg|ply|tpi|grit|degrees?|hours?|hrs?|h|minutes?|mins?|days?|weeks?|months?|years?|yrs?|people"
    r"|persons?|guests?|players?|seats?|seater|servings?|drawers?|shelves|shelf|tiers?|doors?|burners?"
    r"|speeds?|ports?|outlets?|slots?|bays?|cores?|threads?|stars?|x"
)
# Hardware notation writes measures without units: a query with a fraction, a dimension, a gauge or a
# "10-3" pair gives no bare number the benefit of the doubt.
_MEASURE = re.compile(
    r"\d+/\d+|\d\s*(?:in\.?|[\"”″'’]|ft|mm|cm|m)?\s*(?:x|×|by)\s*\d|\b(?:gauge|awg)\b|\b\d+\s*ga\b|#\d"
    rf"|(?<![\w.$€£])\d+\s?-\s?\d+(?![\d.,]|\s*(?:{_UNITS})(?!\w)|\s*(?:\$|€|£|dollars?|bucks?|euros?|quid))",
    re.I,
)
_CUR_PRE = r"(?:us\$|c\$|a\$|\$|€|£|¥|₹|usd|eur|gbp|cad|aud)"
_CUR_POST = r"(?:\$|€|£|usd|eur|gbp|cad|aud|chf|dollars?|bucks?|euros?|quid|yen|rupees?|dlrs?)"
_CURRENCY_CODES = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD",
    "dlr": "USD", "dlrs": "USD", "c$": "CAD", "cad": "CAD", "a$": "AUD", "aud": "AUD", "€": "EUR",
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "quid": "GBP", "¥": "JPY",
    "yen": "JPY", "₹": "INR", "rupee": "INR", "rupees": "INR", "chf": "CHF",
}  # fmt: skip
_UNIT_WORDS = "one two three four five six seven eight nine".split()
_TEEN_WORDS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_UNITS_RE, _TEENS_RE, _TENS_RE = ("|".join(words) for words in (_UNIT_WORDS, _TEEN_WORDS, _TEN_WORDS))
_BELOW_100 = rf"(?:(?:{_TENS_RE})(?:[\s-](?:{_UNITS_RE}))?|{_TEENS_RE}|{_UNITS_RE})"
_WORDS_NUMBER = (
    rf"(?:(?:a|{_UNITS_RE})\s+hundred(?:\s+(?:and\s+)?{_BELOW_100}(?![\w-]))?|{_BELOW_100})(?![\w-])"
)
_NUMBER = rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?|{_WORDS_NUMBER}"
_GLUED_BEFORE = r"(?<![\w.,/×#:+-])"  # "-10" of "3/8 -10", "8" of "3/8", "5" of "ps5"
_GLUED_AFTER = r"(?![\w/×%°\"'’”″]|[.,]\d|\s*(?:x|×|by)\s*\d)"  # "50ft", "2.375", "4 x 4", 12"
_DASH_AFTER = r"(?!\s*[-–—]\s*\d)"  # "10-3": a pair, read only as a range


def _amount(p: str, first_of_range: bool = False, second_of_range: bool = False) -> str:
    """One amount: an optional currency before, the number ("k" only after a currency), an optional
    currency after; the number stands alone."""
    return (
        ("" if second_of_range else _GLUED_BEFORE)
        + rf"(?:(?P<{p}pre>{_CUR_PRE})\s?)?(?P<{p}num>{_NUMBER})(?:(?<=\d)(?P<{p}k>k)(?![\w]))?"
        + rf"(?:\s?(?P<{p}post>{_CUR_POST})(?!\w))?"
        + _GLUED_AFTER
        + ("" if first_of_range else _DASH_AFTER)
    )


_UNIT_AFTER = re.compile(rf"\s*(?:{_UNITS})(?!\w)", re.I)
_NEG = (
    r"(?:(?:(?:do|does|did|will|would|could|should|must)\s+)?not|no|nothing|never|none|without|cannot|can\s+not"
    r"|(?:do|does|did|can|could|wo|would|should|is|are|ca)n[’']?t)"
)
# words that may stand between a negation and its comparative ("don't want to spend more than")
_FILLER = (
    r"(?:i|we|want(?:s|ed)?|wanna|to|spend(?:ing)?|pay(?:ing)?|go(?:ing)?|do|be|really|even|anything|something"
    r"|stuff|items?|a|willing|able|afford|looking|plan(?:ning)?|like|need|it|that|cost(?:s|ing)?|priced"
    r"|gonna|much|way|my|budget|can|should|too|any|show|me|anymore|that's|thats|is|are|being|at|all|and|just)"
)
_PRICE_WORD = (
    r"(?:budget(?:ed)?|price[ds]?|pric(?:e|ing)\s+range|costs?|costing|spend(?:ing)?|pay(?:ing)?|afford)"
)
_MAX_WORDS = (
    r"under|below|beneath|less\s+than|lower\s+than|up\s+to|at\s+most|at\s+the\s+most|max(?:imum)?|within"
    r"|cheaper\s+than|less\s+expensive\s+than|lower\s+priced\s+than"
)
_MIN_WORDS = (
    r"over|above|beyond|more\s+than|greater\s+than|higher\s+than|at\s+least|min(?:imum)?|exceed(?:s|ing)?"
    r"|from|starting\s+(?:at|from)|more\s+expensive\s+than|pricier\s+than|dearer\s+than"
)
_AROUND_WORDS = r"around|about|approximately|approx\.?|roughly|close\s+to|near|circa"
_SYMBOLS = {"<": "max", "<=": "max", "≤": "max", ">": "min", ">=": "min", "≥": "min", "~": "around"}
_PRICE_CMP = re.compile(r"cheaper|less\s+expensive|lower\s+priced|more\s+expensive|pricier|dearer", re.I)
# product names use these ("air max 90", "z-max 4"): a price only with a currency or price word
_CUE_ONLY = re.compile(rf"(?:from|starting|within|max|min|{_AROUND_WORDS}|~)", re.I)
# What may stand just before an amount: [negation fillers] [my budget is] [comparative] [of]
_LEFT = re.compile(
    rf"(?:(?P<neg>(?<![\w-]){_NEG}(?:\s+{_FILLER}){{0,7}}\s+))?"
    rf"(?:(?:\b(?:my|our|the|a|total|max|maximum)\s+)?(?P<pw>(?<![\w-]){_PRICE_WORD})\b"
    rf"(?:\s*[:=]|\s+(?:is|of|at|should\s+be|would\s+be|be|limit(?:\s+is)?|range(?:\s+is)?))?"
    rf"\s*)?(?:(?P<cmp>(?<![\w-])(?:{_MAX_WORDS}|{_MIN_WORDS}|{_AROUND_WORDS})(?![\w-])|[<>]=?|[≤≥~])\.?"
    rf"(?:\s+(?:of|about|around|roughly))?)?\s*(?:an?\s+)?$",
    re.I,
)
_RIGHT = re.compile(
    r"(?P<dir>\s*(?:or|and)\s+(?:less|under|below|cheaper|lower|so|more|up|upwards|over|above|higher|greater)"
    r"|\s*,?\s+(?:max(?:imum)?|tops|at\s+(?:the\s+(?:very\s+)?)?most|at\s+(?:the\s+(?:very\s+)?)?least"
    r"|min(?:imum)?|or\s+thereabouts|upwards|plus)"
    r"|\s*,?\s*(?:(?:and|but)\s+)?(?:no|nothing|not\s+(?:a|one)\s+(?:penny|cent|dollar|buck))\s+more"
    r"|\s+is\s+(?:my|our|the)\s+(?:absolute\s+)?(?:max(?:imum)?|limit|top|ceiling|cap|budget|min(?:imum)?)"
    r"|\s*\+|\s*-?ish)(?!\w)(?!\s*(?:\$|€|£)?\s*\d)",  # not "under $50 or under $60"
    re.I,
)
# What may follow a trailing cue of a bare number ("100 tops", "50 and up"): the clause ends there. "10 tops
# in red" (garments), "50 or more reviews", "4 or more people" go on with what the number counts.
_CLAUSE_END = re.compile(
    r"\s*(?:$|[,.;:!?)]|(?:please|pls|plz|thanks|thank\s+you|thx|but|and|for|if|though|ok|okay)\b)", re.I
)
# a number after these is a size or a count, not a price: "size 10 tops", "need 20 or more", "pack of 12 max"
_NOT_PRICE_BEFORE = re.compile(
    r"(?:\b(?:sizes?|sz|sized|of|pack|need|want|buy|get|order|take|add|x)|#)\s*(?:from\s+)?$", re.I
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_BARE_FLOOR = 10  # a bare number under this with only a trailing cue is a count ("4 or more")
_RANGE = re.compile(
    rf"(?:(?<![\w-])(?P<between>between)\s+|(?<![\w-])(?P<from>from)\s+)?{_amount('a', first_of_range=True)}"
    rf"\s*(?P<joiner>-|–|—|to|and|until|till)\s*{_amount('b', second_of_range=True)}",
    re.I,
)
# "toys for kids under 10": an age; "at least two": a count
_PERSON = re.compile(
    r"\b(?:kids?|children|child|boys?|girls?|toddlers?|bab(?:y|ies)|teens?|teenagers?|infants?|ages?|aged)\s*$",
    re.I,
)
_RATING = re.compile(r"\b(?:rated|ratings?|reviews?|scored?|stars?)\s*$", re.I)
_RANGE_WORD = re.compile(r"\s+(?:price\s+)?range\b", re.I)
_LEAD = re.compile(r"(?<![\w-])(?:at|for)\s+$", re.I)
_SINGLE = re.compile(_amount(""), re.I)
_CLAUSE_BREAK = re.compile(r"[,;.!?]\s|\b(?:but|though|although)\b", re.I)
_STOCK = re.compile(r"\b(?:in\s+stock|available\s+now|available)\b", re.I)
_OPTION_NEGATION = re.compile(rf"(?:(?<![\w-]){_NEG}\s+(?:\w+\s+)?|\bnon-?\s*)$", re.I)
_VOCAB_TTL_S = 600.0  # a catalog import rarely brings new colours; the query reads every variant
_AROUND = 0.2  # "around $50" is $40 to $60
_LEFT_WINDOW = 60  # characters before a number that may belong to its phrase (bounds the work per number)


@dataclass
class Vocabulary:
    """The catalog's option values, lower-cased, per option key ("color", "frame color", "capacity"), and
    where known the product words of the products offering each (key, value) (``offered_by``: the last two
    words of their titles and their category's last level, singular). Read whole by
    :mod:`retrieval.options`; not changed after its first parse (the arranged index is kept)."""

    values: dict[str, set[str]] = field(default_factory=dict)
    offered_by: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()  # words naming kinds of product: titles' last words, category leaves
    _index: OptionIndex | None = field(default=None, init=False, repr=False, compare=False)

    def index(self) -> OptionIndex:
        if self._index is None:
            self._index = OptionIndex(self.values, self.offered_by, self.kinds)
        return self._index

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str]]) -> Vocabulary:
        """From (option key, value, product words, kind words) rows, one per value and the products offering
        it: the last two words of their titles and their category's last level, and of those the words
        that name a kind of product (the title's last word, the category's)."""
        kept = list(rows)
        values: dict[str, set[str]] = {}
        kinds: set[str] = set()
        for key, value, _, kind_words in kept:
            values.setdefault(" ".join(key.lower().split()), set()).add(" ".join(value.lower().split()))
            kinds |= product_words(kind_words)
        return cls(values, build_offered_by((k, v, w) for k, v, w, _ in kept), frozenset(kinds))


@dataclass
class Parsed:
    text: str
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    in_stock: bool = False
    applied: list[str] = field(default_factory=list)  # the phrases read as constraints, in text order
    currency: str | None = None  # ISO code of the currency named with a price, if one was


class VocabularyCache:
    """Vocabularies by database, each kept for ``ttl`` seconds; owned by whoever runs searches (the
    runtime's ``SearchCaches``), never shared by the process."""

    def __init__(self, ttl: float = _VOCAB_TTL_S) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, Vocabulary]] = {}

    def get(self, key: str) -> Vocabulary | None:
        hit = self._items.get(key)
        return hit[1] if hit and time.monotonic() - hit[0] < self.ttl else None

    def put(self, key: str, vocab: Vocabulary) -> None:
        self._items[key] = (time.monotonic(), vocab)

    def clear(self) -> None:
        self._items.clear()


# the option values each product offers (its "key=value" terms, migration 0007: those of its active variants)
# with the words naming it: the last two words of its title ("Gaming Mouse"; words with digits, model numbers,
# left out first), its category's last level ("Computer Accessories"), and of those the kind of product (the
# title's last word, the category's); products alike in these are read once
_VOCABULARY_SQL = r"""
WITH p AS MATERIALIZED (
    SELECT option_terms,
           ARRAY(
               SELECT w FROM unnest(string_to_array(lower(title), ' ')) w
               WHERE w <> '' AND translate(w, '0123456789', '') = w
           ) AS t,
           lower(regexp_replace(coalesce(category, ''), '^.*>\s*', '')) AS leaf
    FROM products
    WHERE cardinality(option_terms) > 0
)
SELECT DISTINCT option_terms AS terms,
       array_to_string(t[greatest(cardinality(t) - 1, 1):], ' ') || ' ' || leaf AS words,
       coalesce(t[cardinality(t)], '') || ' ' || leaf AS kinds
FROM p
"""


def _offered(terms: list[str]) -> list[tuple[str, str]]:
    """A product's (key, value) pairs from its terms, without those its keys' last words made ("color=brown"
    beside "frame color=brown")."""
    found = [(term.split("=", 1)[0], term.split("=", 1)[1]) for term in terms if "=" in term]
    return [
        (key, value)
        for key, value in found
        if " " in key or not any(k.endswith(" " + key) and v == value for k, v in found)
    ]


async def load_vocabulary(
    conn: AsyncConnection[dict[str, object]], cache: VocabularyCache | None = None
) -> Vocabulary:
    """Every option value offered by an active variant and the products offering it; kept per database by
    ``cache`` if one is given."""
    key = conn.info.dbname
    if cache is not None and (kept := cache.get(key)) is not None:
        return kept
    cur = await conn.execute(_VOCABULARY_SQL)
    rows = []
    for r in await cur.fetchall():
        terms = r["terms"]
        words, kinds = str(r["words"] or ""), str(r["kinds"] or "")
        if isinstance(terms, list):
            rows += [(key, value, words, kinds) for key, value in _offered([str(t) for t in terms])]
    vocab = Vocabulary.from_rows(rows)
    if cache is not None:
        cache.put(key, vocab)
    return vocab


@dataclass
class _Price:
    start: int
    end: int
    low: int | None
    high: int | None
    currency: str | None


def _word_value(words: str) -> int:
    """ "fifty" -> 50, "twenty-five" -> 25, "a hundred and ten" -> 110."""
    value = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "hundred":
            value = max(value, 1) * 100
        elif word in _UNIT_WORDS:
            value += _UNIT_WORDS.index(word) + 1
        elif word in _TEEN_WORDS:
            value += _TEEN_WORDS.index(word) + 10
        elif word in _TEN_WORDS:
            value += (_TEN_WORDS.index(word) + 2) * 10
    return value


def _minor(number: str, thousands: str | None) -> int:
    if number[0].isalpha():
        return _word_value(number) * 100
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", number):
        number = number.replace(",", "")
    value = float(number.replace(",", "."))
    return round(value * (1000 if thousands else 1) * 100)


def _currency(*marks: str | None) -> str | None:
    for mark in marks:
        if mark:
            return _CURRENCY_CODES.get(mark.lower())
    return None


def _direction(cmp: str | None, negated: bool, right: str | None) -> Bound:
    """Which bound a comparative (flipped by a negation) or a trailing "or less"/"and up" sets."""
    if cmp:
        word = " ".join(cmp.lower().split())
        if word in _SYMBOLS:
            found = _SYMBOLS[word]
            bound: Bound = "around" if found == "around" else "max" if found == "max" else "min"
        elif re.fullmatch(_AROUND_WORDS, word):
            return "around"
        else:
            bound = "max" if re.fullmatch(_MAX_WORDS, word) else "min"
        if negated and bound != "around":
            bound = "min" if bound == "max" else "max"
        return bound
    if right:
        words = right.strip().lower()
        if re.search(r"\b(?:no|nothing|not)\b", words):  # "and no more", "not a penny more"
            return "max"
        if re.search(r"more|up|over|above|higher|greater|least|min|plus|\+", words):
            return "min"
        if re.search(r"so|thereabouts|ish", words):
            return "around"
        return "max"
    return "none"


def _bounds(bound: Bound, value: int) -> tuple[int | None, int | None]:
    if bound == "min":
        return value, None
    if bound == "around":
        return round(value * (1 - _AROUND)), round(value * (1 + _AROUND))
    return None, value  # "max", and an amount without direction: a budget


@dataclass
class _Left:
    """The words before an amount that bear on it."""

    start: int  # where the price phrase begins (its negation, price word or comparative)
    cmp: str | None
    price_word: bool
    negated: bool


class _Reader:
    """One query's price phrases, found left to right: ranges first, then single amounts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.measured = _MEASURE.search(text) is not None
        self.prices: list[_Price] = []

    def _free(self, start: int, end: int) -> bool:
        return all(end <= p.start or start >= p.end for p in self.prices)

    def _left(self, start: int) -> _Left:
        begin = max(0, start - _LEFT_WINDOW)
        for brk in _CLAUSE_BREAK.finditer(self.text, begin, start):
            begin = brk.end()
        m = _LEFT.search(self.text, begin, start)
        if m is None or not (m.group("cmp") or m.group("pw")):
            lead = _LEAD.search(self.text, begin, start)  # "at $25 or under", "for 30 dollars"
            return _Left(lead.start() if lead else start, None, False, False)
        negated = m.group("neg") is not None and m.group("cmp") is not None
        phrase_start = m.start() if negated else m.start() + len(m.group("neg") or "")
        return _Left(phrase_start, m.group("cmp"), m.group("pw") is not None, negated)

    def _is_price(self, cued: bool, left: _Left, unit_after: bool, between: bool = False) -> bool:
        """The rule of the module docstring: a currency, a price word, or a plain comparative before a
        bare, unit-less number in a query without hardware measures."""
        if cued or left.price_word or (left.cmp and _PRICE_CMP.match(left.cmp)):
            return True
        if unit_after or (left.cmp is None and not between):
            return False
        if left.cmp is not None and _CUE_ONLY.match(left.cmp):
            return False
        return not self.measured

    def _counted(self, start: int) -> bool:
        """The number at ``start`` follows a size or a count word ("size 10", "pack of 12", "need 20")."""
        return _NOT_PRICE_BEFORE.search(self.text, max(0, start - _LEFT_WINDOW), start) is not None

    def _bare_cue(
        self, m: re.Match[str], value: int, left: _Left, right: re.Match[str] | None
    ) -> Literal["right", "left", "floor"] | None:
        """How a bare number is a price in shopping language without a currency or a price word, if it is:
        a trailing cue closing its clause ("100 tops", "200 max", "50 and up", "100 or less", "100 and no
        more", "80 is my limit": ``right``); ``max``/``min`` opening a clause ("kettle, max 100": ``left``);
        ``from``/``starting at`` with the number closing its clause ("bookshelves from 50": ``floor``).
        Never in hardware notation, after a size or a count word ("size 10 tops", "pack of 12 max"), for a
        number under ten ("4 or more") or with a unit ("50 or more watts")."""
        if self.measured or left.price_word or value < _BARE_FLOOR * 100 or m.group("num")[0].isalpha():
            return None
        if _UNIT_AFTER.match(self.text, m.end()) or self._counted(left.start if left.cmp else m.start()):
            return None
        if left.cmp is None:
            if right is None or _direction(None, False, right.group("dir")) == "around":
                return None
            if _UNIT_AFTER.match(self.text, right.end()) or not _CLAUSE_END.match(self.text, right.end()):
                return None
            return "right"
        word = " ".join(left.cmp.lower().split())
        if word in ("max", "maximum", "min", "minimum"):
            opening = re.search(r"(?:^|[,;:(]|\b(?:and|but))\s*$", self.text[: left.start]) is not None
            return "left" if opening else None
        upward = right is not None and _direction(None, False, right.group("dir")) == "min"
        closing = upward or _CLAUSE_END.match(self.text, m.end()) is not None
        if word.startswith(("from", "starting")) and closing and not _YEAR.fullmatch(m.group("num")):
            return "floor"
        return None  # a plain comparative (the usual rule reads it), "within", "around"

    def _count_or_age(self, number: str, value: int, left: _Left, cued: bool) -> bool:
        """A bare small number in words ("at least two"), after a child ("kids under 10") or a rating ("rated
        over 4.5") is no price."""
        if cued or left.price_word:
            return False
        if number[0].isalpha() and value < 2000:
            return True
        before = max(0, left.start - _LEFT_WINDOW)
        if _RATING.search(self.text, before, left.start):
            return True  # "rated over 4.5"
        return value <= 1800 and _PERSON.search(self.text, before, left.start) is not None

    def ranges(self) -> None:
        for m in _RANGE.finditer(self.text):
            between = m.group("between") is not None
            if not self._free(m.start(), m.end()) or (m.group("joiner").lower() == "and") != between:
                continue  # "50 and 100" without "between"
            left = self._left(m.start())
            if left.cmp is not None and not between:
                continue  # "under 50-100"
            cued = any(m.group(g) for g in ("apre", "apost", "bpre", "bpost"))
            unit = _UNIT_AFTER.match(self.text, m.end()) is not None
            ranged = _RANGE_WORD.match(self.text, m.end())  # "the 50-100 range"
            if ranged:
                left.price_word = True
            low, high = sorted(
                (_minor(m.group("anum"), m.group("ak")), _minor(m.group("bnum"), m.group("bk")))
            )
            # "from 50 to 100": a range as "between" is one, when nothing says the numbers are sizes or counts
            spanned = m.group("from") is not None and not cued and not left.price_word
            if spanned and (high < _BARE_FLOOR * 100 or self._counted(m.start())):
                continue
            if not self._is_price(cued, left, unit, between or spanned) or not (
                cued or between or spanned or left.price_word
            ):
                continue
            if self._count_or_age(m.group("anum"), low, left, cued):
                continue
            start = left.start if left.price_word else m.start()
            cur = _currency(m.group("apre"), m.group("bpre"), m.group("apost"), m.group("bpost"))
            self._add(start, ranged.end() if ranged else m.end(), low, high, cur)

    def singles(self) -> None:
        for m in _SINGLE.finditer(self.text):
            cued = bool(m.group("pre") or m.group("post"))
            if not self._free(m.start(), m.end()) or (m.group("k") and not cued):
                continue  # "4k tv"
            left = self._left(m.start())
            right = _RIGHT.match(self.text, m.end())
            unit = right is None and _UNIT_AFTER.match(self.text, m.end()) is not None
            value = _minor(m.group("num"), m.group("k"))
            bare = None if cued else self._bare_cue(m, value, left, right)
            if bare is None and not self._is_price(cued, left, unit):
                continue
            trailing = right.group("dir") if right and (cued or left.price_word or bare) else None
            bound = _direction(left.cmp, left.negated, trailing)
            if self._count_or_age(m.group("num"), value, left, cued):
                continue
            low, high = _bounds(bound, value)
            end = right.end() if trailing and right else m.end()
            self._add(left.start, end, low, high, _currency(m.group("pre"), m.group("post")))

    def _add(self, start: int, end: int, low: int | None, high: int | None, cur: str | None) -> None:
        while start < end and self.text[start].isspace():
            start += 1
        self.prices.append(_Price(start, end, low, high, cur))


def _combine(parsed: Parsed, prices: list[_Price]) -> None:
    """The narrowest bounds of all price phrases; a reversed pair ("over $100 under $50") is a range."""
    lows = [p.low for p in prices if p.low is not None]
    highs = [p.high for p in prices if p.high is not None]
    low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    if low is not None and high is not None and low > high:
        low, high = high, low
    parsed.min_price_minor, parsed.max_price_minor = low, high
    parsed.currency = next((p.currency for p in prices if p.currency), None)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and end > s for s, e in spans)


def _options(text: str, vocab: Vocabulary | None, taken: list[tuple[int, int]]) -> list[Reading]:
    """The option readings of ``text`` outside ``taken`` (see :mod:`retrieval.options`); without a
    vocabulary only "size ..." is read. A negated value ("no leather", "non-leather", "not red") is no
    wish; a negated size still names the size asked about."""
    used = bytearray(len(text))
    for start, end in taken:
        used[start:end] = b"\x01" * (end - start)
    if vocab is None:
        readings = [
            Reading(m.start(), m.end(), "size", (_shown_size(m.group("size")),))
            for m in EXPLICIT_SIZE.finditer(text)
            if not any(used[m.start() : m.end()])
        ]
    else:
        readings = vocab.index().read(text, used)
    return [
        r
        for r in readings
        if kind_of(r.key) == "size"
        or not _OPTION_NEGATION.search(text, max(0, r.start - _LEFT_WINDOW), r.start)
    ]


def _shown_size(said: str) -> str:
    return said.upper() if re.fullmatch(r"[2-4]?x{0,4}[sml]", said, re.I) else said


_GRAND = re.compile(r"\b(a|one|two|three|four|five|\d+(?:\.\d+)?)\s+grand\b", re.I)
_K_AFTER_CUE = re.compile(
    rf"\b((?:{_MAX_WORDS}|{_MIN_WORDS}|{_AROUND_WORDS}|budget(?:\s+is)?|spend)\s+)(\d+(?:\.\d+)?)k\b", re.I
)
_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _thousands(text: str) -> str:
    """ "under a grand", "2 grand max", "under 1.5k": thousands written as shoppers write them (a "4k" with
    no price word before it stays a resolution)."""
    text = _GRAND.sub(lambda m: f"{float(_SMALL.get(m.group(1).lower(), 0) or m.group(1)) * 1000:g}", text)
    return _K_AFTER_CUE.sub(lambda m: f"{m.group(1)}{float(m.group(2)) * 1000:g}", text)


def parse_query(text: str, vocab: Vocabulary | None = None) -> Parsed:
    """The constraints of ``text`` and the text left for the search (see the module docstring)."""
    text = _thousands(text)
    reader = _Reader(text)
    reader.ranges()
    reader.singles()
    parsed = Parsed(text=text)
    _combine(parsed, reader.prices)
    cut = [(p.start, p.end) for p in reader.prices]
    for m in _STOCK.finditer(text):
        if not _overlaps(m.start(), m.end(), cut):
            parsed.in_stock = True
            cut.append((m.start(), m.end()))
    phrases = list(cut)
    for reading in _options(text, vocab, cut):
        values = parsed.options.setdefault(reading.key, [])
        values += [v for v in reading.values if v not in values]
        phrases.append((reading.start, reading.end))
    parsed.applied = [text[s:e].strip() for s, e in sorted(phrases)]
    rest = text
    for start, end in sorted(cut, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    parsed.text = _tidy(rest) if cut else " ".join(rest.split())
    return parsed


def _tidy(rest: str) -> str:
    """The text around cut phrases without the punctuation they leave ("boots ( )", "lamp," at the end)."""
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", rest)
    words = [w for w in rest.split() if re.search(r"\w", w)]
    if words:
        words[-1] = words[-1].rstrip(",;:-–—")
    return " ".join(words)
