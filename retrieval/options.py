"""Option values in a shopper's words, read as the catalog writes them (the query parser's options).

The catalog's options are key/value pairs per variant ("color": "black", "frame color": "brown", "capacity":
"1.5L", "pieces": "1000"). A query names a value:

* whole, longest first: "warm white" is one value (a bulb's colour temperature), not the colour "white";
  "rose gold" before "gold"; two colours in a row that the catalog does not have together are one shade, the
  first word the specific one ("navy blue" is navy);
* as a measure, in any spelling: "100W", "100 watt" are "100W equivalent"; "1.5 litre", "1.5 l", "1.5L" are
  "1.5L" and "1.5 liters"; "500 piece", "500-piece" are pieces "500" (a key that is a unit); litres and
  millilitres, gigabytes and terabytes compare after conversion;
* as a size: after "size" always ("size 13", "size XL"); a letter or size word after "in" or "a"/"an", a
  two-letter one anywhere ("XL", "2XL"), or a message that is only a size (an answer), when the catalog has
  that size. One letter is a size written as a capital or closing its clause ("t-shirts in M?", "in m."),
  never after "a" in lower case, never inside a measure ("1.5 L" is litres); "small", "medium", "large"
  and the letters name each other ("a medium t-shirt" is M where the t-shirt comes in M).

Which option a value belongs to: a key word next to it ties it ("brown frame", "frame in brown" -> frame
color; "brown lenses" -> lens color; "half zip" -> zipper; "8GB RAM" -> ram); else the products the query
names ("gaming mouse, wireless" -> connectivity, as mice have it; "stainless steel kettle" -> a kettle's
material, not a thermostat's colour); else the kind all its keys share ("brown" -> any "... color"); a
colour or a material goes before another kind ("white" is a colour, not a keyboard's backlight). What
cannot be settled stays a word of the text only.

A single word of another kind ("wireless", "large", "laptop", "gas") is an option only when its key word
ties it or a product the query names offers it: "a large kettle" has no size (the kettles have none), "a
large pet bed" has; "laptop" is a laptop, "laptop backpack" a backpack's compartment. Colours, materials,
values of several words and measures stand alone. A size read from "in"/"a" or a bare letter is dropped when
the query names products none of which comes in it ("kettle in L").
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

Pair = tuple[str, str]  # (option key, value), lower case

_NO_VALUE = frozenset({"none", "no", "yes", "n/a", "na", "other", "not applicable"})
_PREFERRED = ("color", "material")  # kinds a bare value is read as first
_KIND_ALIASES = {"colour": "color", "colours": "color", "colors": "color", "zip": "zipper"}
# connectors between a value and its key word: "frame in brown", "8GB of RAM"
_CONNECTORS = frozenset({"in", "with", "of", "a", "an", "the", "and"})

_UNIT_NAMES: dict[str, tuple[str, float]] = {
    "w": ("w", 1), "watt": ("w", 1), "watts": ("w", 1),
    "l": ("l", 1), "ltr": ("l", 1), "liter": ("l", 1), "liters": ("l", 1), "litre": ("l", 1),
    "litres": ("l", 1), "ml": ("l", 0.001), "milliliter": ("l", 0.001), "milliliters": ("l", 0.001),
    "millilitre": ("l", 0.001), "millilitres": ("l", 0.001),
    "mah": ("mah", 1), "gb": ("gb", 1), "tb": ("gb", 1000), "mp": ("mp", 1), "megapixel": ("mp", 1),
    "megapixels": ("mp", 1), "inch": ("in", 1), "inches": ("in", 1), '"': ("in", 1), "″": ("in", 1),
    "ft": ("ft", 1), "feet": ("ft", 1), "foot": ("ft", 1), "mm": ("mm", 1), "cm": ("mm", 10),
    "h": ("h", 1), "hr": ("h", 1), "hrs": ("h", 1), "hour": ("h", 1), "hours": ("h", 1),
    "bar": ("bar", 1), "degree": ("deg", 1), "degrees": ("deg", 1), "°": ("deg", 1),
    "cup": ("cup", 1), "cups": ("cup", 1), "piece": ("piece", 1), "pieces": ("piece", 1),
    "pc": ("piece", 1), "pcs": ("piece", 1), "x": ("x", 1), "lb": ("lb", 1), "lbs": ("lb", 1),
    "pound": ("lb", 1), "pounds": ("lb", 1), "oz": ("oz", 1), "kg": ("kg", 1),
}  # fmt: skip
_UNIT_ALTERNATION = "|".join(re.escape(u) for u in sorted(_UNIT_NAMES, key=lambda u: (-len(u), u)))
_MEASURE_IN_TEXT = re.compile(
    rf"(?<![\w.,/-])(?P<num>\d+(?:\.\d+)?)(?P<sep>\s?-\s?|\s?)(?P<unit>{_UNIT_ALTERNATION})(?![\w])", re.I
)
_MEASURE_VALUE = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?)\s?-?\s?(?P<unit>{_UNIT_ALTERNATION})(?:\s+(?P<rest>.+))?", re.I
)

_SIZE_NAMES = {
    "xxs": "XXS", "2xs": "XXS", "xx-small": "XXS", "xs": "XS", "x-small": "XS", "extra small": "XS",
    "extra-small": "XS", "s": "S", "small": "S", "m": "M", "medium": "M", "l": "L", "large": "L", "xl": "XL",
    "x-large": "XL", "extra large": "XL", "extra-large": "XL", "xxl": "XXL", "2xl": "XXL", "xx-large": "XXL",
    "xxxl": "XXXL", "3xl": "XXXL", "xxx-large": "XXXL", "xxxxl": "XXXXL", "4xl": "XXXXL",
}  # fmt: skip
_SIZE_WORD = (
    r"xxxxl|xxxl|xxl|xxs|xs|xl|[2-4]xl|2xs|xx?x?-(?:small|large)|x-small|x-large|extra[\s-](?:small|large)"
    r"|small|medium|large|[sml]"
)
# "size 10", "size XL", "size medium": a size whatever the catalog has
EXPLICIT_SIZE = re.compile(
    rf"\b(?:size|sized|sz)\s*:?\s+(?P<size>\d+(?:\.5)?|{_SIZE_WORD})(?![\w'’%-])(?!\.\d)"
    rf"(?!\s?(?:{_UNIT_ALTERNATION})(?!\w))",  # "size 60%", "size 6 ft", "size 5.8-inch": a value, read whole
    re.I,
)
# "M size", "XL size"; "t-shirt, M": a letter before "size", or a capital letter that is its own clause
_SIZE_BEFORE = re.compile(r"(?<![\w-])(?P<size>xxxxl|xxxl|xxl|xxs|xs|xl|[2-4]xl|2xs|[sml])\s+size\b", re.I)
_SIZE_CLAUSE = re.compile(r"(?:^|[,;:(])\s*(?P<size>[SML])(?=\s*(?:$|[,.;:!?)]|(?:please|pls|thanks)\b))")
_SIZE_CUE = re.compile(rf"(?<![\w-])(?P<cue>in|an?)\s+(?P<size>{_SIZE_WORD})(?![\w'’-])(?!\.\d)", re.I)
_SIZE_ANYWHERE = re.compile(r"(?<![\w-])(?P<size>xxxxl|xxxl|xxl|xxs|xs|xl|[2-4]xl|2xs)(?![\w-])", re.I)
_SIZE_ALONE = re.compile(
    rf"^\W*(?:(?:uh|um|ok|okay)\W+)?(?:size\s+)?(?P<size>{_SIZE_WORD})\W*(?:please|pls|plz|thanks|thx)?\W*$",
    re.I,
)
_CLAUSE_END = re.compile(r"\s*(?:$|[,.;:!?)]|(?:please|pls|plz|thanks|thx|and|or|one|size)\b)", re.I)
_TOKEN = re.compile(r"[a-z]+", re.I)
_CLAUSE_MARK = re.compile(r"[,;:.!?()]")
_LETTER_SIZE = re.compile(r"[2-4]?x{0,4}[sml]", re.I)


@functools.lru_cache(maxsize=32)
def _alternation(values: frozenset[str]) -> re.Pattern[str]:
    """One pattern of the values, longest first ("rose gold" before "gold"), each a whole word (a hyphen
    may follow: "half-zip"), a space and a hyphen inside one the same ("warm-white", "v neck")."""
    ordered = sorted(values, key=lambda v: (-len(v), v))
    forms = [re.sub(r"\\[ -]", r"[\\s-]", re.escape(v)) for v in ordered]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(forms)})(?!\w|-(?!\w))", re.I)


def _form(value: str) -> str:
    """A value with its spaces and hyphens alike ("warm-white" = "warm white")."""
    return re.sub(r"[\s-]+", " ", value.lower())


class _Token(NamedTuple):
    start: int
    end: int
    word: str
    clause: int  # how many punctuation marks come before it


@dataclass(frozen=True)
class Reading:
    """An option read from the query: its span (the value and the key word tying it) and its values."""

    start: int
    end: int
    key: str
    values: tuple[str, ...]


@dataclass
class _Candidate:
    start: int
    end: int
    pairs: list[Pair]
    stands_alone: bool  # a colour or material, several words, a measure: no key word or product needed
    size: str | None = None  # a size's name as said ("M", "medium", "10") when read as a size
    explicit: bool = False  # "size ...": a size whatever the catalog says
    needs_product: bool = False  # "a large ...": only where the product named comes in it


def measure_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` gives a measure, a number with its unit ("1.5 litre", "100W", "500-piece"; not "3x", a
    count): no size, no quantity."""
    return [
        (m.start(), m.end())
        for m in _MEASURE_IN_TEXT.finditer(text)
        if _UNIT_NAMES[m.group("unit").lower()][0] != "x"
    ]


def kind_of(key: str) -> str:
    """The kind of an option key: its last word ("frame color" -> color)."""
    last = key.lower().split()[-1] if key.split() else key.lower()
    return _KIND_ALIASES.get(last, last)


IRREGULAR_PLURALS = {"mice": "mouse", "knives": "knife", "shelves": "shelf", "leaves": "leaf", "feet": "foot"}


def word_form(word: str) -> str:
    """A product word compared across spellings: lower case, no hyphen, singular ("T-Shirts" = "tshirt",
    "mice" = "mouse")."""
    word = re.sub(r"[-'’]", "", word.lower())
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def size_name(value: str) -> str | None:
    """The canonical letter size of a value ("medium" -> "M", "2XL" -> "XXL"), None for other values."""
    return _SIZE_NAMES.get(" ".join(value.lower().split()))


def catalog_measure(key: str, value: str) -> tuple[str, float, str] | None:
    """(unit, amount, words after) of a value that is a measure ("100W equivalent" -> ("w", 100.0,
    "equivalent")); a bare number of a key that is a unit counts too (pieces "500")."""
    found = _MEASURE_VALUE.fullmatch(value.strip())
    if found:
        unit, factor = _UNIT_NAMES[found.group("unit").lower()]
        return unit, round(float(found.group("num")) * factor, 6), (found.group("rest") or "").lower()
    unit_key = _UNIT_NAMES.get(key.lower().split()[-1]) if key.split() else None
    if unit_key and re.fullmatch(r"\d+(?:\.\d+)?", value.strip()):
        return unit_key[0], round(float(value) * unit_key[1], 6), ""
    return None


class OptionIndex:
    """A catalog's option values arranged for reading queries; built once per vocabulary."""

    def __init__(
        self,
        values: Mapping[str, Iterable[str]],
        offered_by: Mapping[Pair, frozenset[str]],
        kinds: frozenset[str] = frozenset(),
    ) -> None:
        self.offered_by = offered_by
        self.kinds = kinds  # words that are kinds of product: "laptop", "camera" (not "wireless", "gaming")
        self.product_words: frozenset[str] = (
            frozenset().union(*offered_by.values()) if offered_by else frozenset()
        )
        self.keys_of: dict[str, set[str]] = {}  # plain value -> its keys
        self.measures: dict[tuple[str, float], list[tuple[Pair, str]]] = {}
        self.sizes: dict[str, list[Pair]] = {}  # canonical size -> the size values naming it
        self.key_words: dict[str, tuple[str, ...]] = {}
        for raw_key, raw_values in values.items():
            key = " ".join(raw_key.lower().split())
            self.key_words[key] = tuple(w for w in re.split(r"[\s/]+", key) if w)
            for raw in raw_values:
                value = " ".join(raw.lower().split())
                if not value or value in _NO_VALUE:
                    continue
                measure = catalog_measure(key, value)
                if measure is not None:
                    unit, amount, rest = measure
                    self.measures.setdefault((unit, amount), []).append(((key, value), rest))
                    continue
                canonical = size_name(value)
                if kind_of(key) == "size" and canonical:
                    self.sizes.setdefault(canonical, []).append((key, value))
                if len(value) >= 2 and not re.fullmatch(r"[\d.,]+", value):  # "80%", not "500"
                    self.keys_of.setdefault(value, set()).add(key)
        self.pattern = _alternation(frozenset(self.keys_of)) if self.keys_of else None
        self.forms = {_form(v): v for v in sorted(self.keys_of)}  # as written in a query -> as in the catalog

    def read(self, text: str, used: bytearray) -> list[Reading]:
        """The options of ``text`` outside the spans marked in ``used`` (marked in turn)."""
        marks = [m.start() for m in _CLAUSE_MARK.finditer(text)]
        tokens = [
            _Token(m.start(), m.end(), m.group(0).lower(), bisect.bisect(marks, m.start()))
            for m in _TOKEN.finditer(text)
            if not any(used[m.start() : m.end()])  # a price's words ("100 tops") name no product
        ]
        found: list[tuple[_Candidate, Reading]] = []
        for candidate in self._candidates(text):
            if any(used[candidate.start : candidate.end]):
                continue
            free = [t for t in tokens if not any(used[t.start : t.end])]
            reading = self._resolve(candidate, free, marks)
            if reading is None:
                continue
            used[reading.start : reading.end] = b"\x01" * (reading.end - reading.start)
            found.append((candidate, reading))
        return _shades(text, found)

    def _candidates(self, text: str) -> Iterable[_Candidate]:
        """Sizes, then measures, then plain values (longest first), in text order within each."""
        for m in EXPLICIT_SIZE.finditer(text):
            said = m.group("size")
            yield _Candidate(m.start(), m.end(), self._size_pairs(said), True, said, explicit=True)
        for m in _SIZE_CUE.finditer(text):
            said, after_in = m.group("size"), m.group("cue").lower() == "in"
            if len(said) == 1 and not said.isupper() and not (after_in and _closes(text, m.end())):
                continue  # "in m3", "a m": a letter, not a size
            if pairs := self._size_pairs(said):
                word = not _LETTER_SIZE.fullmatch(said)  # "a large ...": only where the product has it
                yield _Candidate(
                    m.start("size"), m.end(), pairs, True, said, needs_product=word and not after_in
                )
        for pattern in (_SIZE_BEFORE, _SIZE_CLAUSE):
            for m in pattern.finditer(text):
                if pairs := self._size_pairs(m.group("size")):
                    yield _Candidate(m.start("size"), m.end(), pairs, True, m.group("size"))
        for m in _SIZE_ANYWHERE.finditer(text):
            if pairs := self._size_pairs(m.group("size")):
                yield _Candidate(m.start(), m.end(), pairs, True, m.group("size"))
        if (whole := _SIZE_ALONE.match(text)) and (pairs := self._size_pairs(whole.group("size"))):
            yield _Candidate(whole.start("size"), whole.end("size"), pairs, True, whole.group("size"))
        for m in _MEASURE_IN_TEXT.finditer(text):
            unit, factor = _UNIT_NAMES[m.group("unit").lower()]
            if unit == "x" and m.group("sep"):
                continue  # "2 x 4": a dimension
            entries = self.measures.get((unit, round(float(m.group("num")) * factor, 6)), [])
            if not entries:
                continue
            end = m.end()
            for _, rest in entries:  # "100W equivalent": the value's own words after the measure
                after = re.match(rf"\s+{re.escape(rest)}(?![\w-])", text[end:], re.I) if rest else None
                if after:
                    end += after.end()
                    break
            yield _Candidate(m.start(), end, [pair for pair, _ in entries], unit != "x")
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                value = self.forms.get(_form(m.group(0)), m.group(0).lower())
                keys = self.keys_of.get(value, set())
                if not keys:
                    continue
                alone = bool(re.search(r"[\s-]", value)) or any(kind_of(k) in _PREFERRED for k in keys)
                yield _Candidate(m.start(), m.end(), [(k, value) for k in sorted(keys)], alone)

    def _size_pairs(self, said: str) -> list[Pair]:
        canonical = size_name(said)
        return list(self.sizes.get(canonical, [])) if canonical else []

    def _resolve(self, candidate: _Candidate, tokens: list[_Token], marks: list[int]) -> Reading | None:
        pairs = candidate.pairs
        start, end = candidate.start, candidate.end
        tied = False
        if pairs and not candidate.size:
            scores, spans = self._ties(candidate, tokens, marks)
            best = max(scores.values(), default=0)
            if best > 0:
                tied = True
                pairs = [p for p in pairs if scores.get(p[0], 0) == best]
                for tied_key in {k for k, _ in pairs}:
                    for s, e in spans.get(tied_key, []):
                        start, end = min(start, s), max(end, e)
        named = _named_products(tokens, candidate.start, candidate.end)
        if not tied and self._names_a_product(candidate):
            # a value that is a kind of product itself ("laptop", "camera") describes only the product it
            # stands before: "laptop backpack" is a backpack's compartment, "a bag for my laptop" is not
            following = [t.word for t in tokens if t.start >= candidate.end][:2]
            named = frozenset(
                word_form(w) for w in (following[:1] + ["".join(following)] if following else [])
            )
        # the values offered by the products named, those matching most of their words first ("cycling
        # helmet size S": the helmet's S, not the bicycle's small frame, though both are "cycling")
        overlap = {p: len(self.offered_by.get(p, frozenset()) & named) for p in pairs}
        most = max(overlap.values(), default=0)
        supported = most > 0
        if supported:
            pairs = [p for p in pairs if overlap[p] == most]
        elif candidate.size and not candidate.explicit and named & self.product_words:
            return None  # "kettle in L": the product named comes in no such size
        if candidate.needs_product and not supported:
            return None  # "a large kettle"
        if candidate.size is not None:
            return _size_reading(candidate, pairs)
        key = _one_key({k for k, _ in pairs})
        if key is None:
            return None
        if not (tied or supported or candidate.stands_alone or kind_of(key) in _PREFERRED):
            return None
        if len({k for k, _ in pairs}) > 1 and kind_of(key) in _PREFERRED:
            pairs = [p for p in pairs if kind_of(p[0]) == kind_of(key)]
        return Reading(start, end, key, tuple(sorted({v for _, v in pairs})))

    def _names_a_product(self, candidate: _Candidate) -> bool:
        values = {v for _, v in candidate.pairs}
        return candidate.size is None and len(values) == 1 and word_form(values.pop()) in self.kinds

    def _ties(
        self, candidate: _Candidate, tokens: list[_Token], marks: list[int]
    ) -> tuple[dict[str, int], dict[str, list[tuple[int, int]]]]:
        """For each candidate key, how many of its words stand next to the value (up to two words before it,
        one after, connectors skipped), and where they stand."""
        clause = bisect.bisect(marks, candidate.start)  # "frame in brown, lenses green": two clauses
        before = [t for t in tokens if t.end <= candidate.start and t.clause == clause][::-1]
        after = [t for t in tokens if t.start >= candidate.end and t.clause == clause]
        around = _content(before, 2, 3) + _content(after, 1, 2)
        scores: dict[str, int] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        for key in {k for k, _ in candidate.pairs}:
            for s, e, word, _ in around:
                if any(_ties(word, kw) for kw in self.key_words.get(key, ())):
                    scores[key] = scores.get(key, 0) + 1
                    spans.setdefault(key, []).append((s, e))
        return scores, spans


def _content(tokens: list[_Token], wanted: int, window: int) -> list[_Token]:
    """Up to ``wanted`` words of the first ``window`` that are not connectors."""
    return [t for t in tokens[:window] if t.word not in _CONNECTORS][:wanted]


def _ties(word: str, key_word: str) -> bool:
    """Whether a word of the query is a key's word: the same, its plural, or a short form ("zip" of "zipper",
    "lenses" of "lens", "temp" of "temperature")."""
    word = _KIND_ALIASES.get(word, word)
    key_word = _KIND_ALIASES.get(key_word, key_word)
    if len(key_word) < 2 or len(word) < 2:
        return False
    if word == key_word or word_form(word) == key_word:
        return True
    return len(word) >= 3 and len(key_word) >= 3 and (key_word.startswith(word) or word.startswith(key_word))


def _closes(text: str, at: int) -> bool:
    return _CLAUSE_END.match(text, at) is not None


def _named_products(tokens: list[_Token], start: int, end: int) -> frozenset[str]:
    """The product words of the query outside the value ("t shirts" is "tshirt" too)."""
    outside = [t.word for t in tokens if t.end <= start or t.start >= end]
    words = {word_form(w) for w in outside}
    words |= {word_form(a + b) for a, b in zip(outside, outside[1:], strict=False)}
    return frozenset(words)


def _one_key(keys: set[str]) -> str | None:
    """One key for the candidate keys: the key itself, or the kind they share ("frame color" and "lens
    color": "color", which the search matches in both); a colour or material before other kinds."""
    if len(keys) == 1:
        return next(iter(keys))
    kinds = {kind_of(k) for k in keys}
    if len(kinds) > 1:
        kinds &= set(_PREFERRED)
    return next(iter(kinds)) if len(kinds) == 1 else None


def _size_reading(candidate: _Candidate, pairs: list[Pair]) -> Reading:
    """A size: as said (a letter as a capital: "M", "XL"; "10", "medium" as they are), then the catalog's
    names of it ("medium" where backpacks say so), only those of the products named when they have it."""
    said = candidate.size or ""
    values: list[str] = [_shown_size(said)]
    for _, value in pairs:
        shown = _shown_size(value)
        if shown.lower() not in {v.lower() for v in values}:
            values.append(shown)
    keys = {k for k, _ in pairs}
    key = keys.pop() if len(keys) == 1 else "size"
    return Reading(candidate.start, candidate.end, key, tuple(values))


def _shown_size(value: str) -> str:
    return value.upper() if _LETTER_SIZE.fullmatch(value) else value


def _shades(text: str, found: list[tuple[_Candidate, Reading]]) -> list[Reading]:
    """Two colours in a row ("navy blue") are one shade: the first, the more specific, stands for both. Only
    bare values: "black frame brown lenses" is two colours of two parts."""
    readings: list[Reading] = []
    bare: list[bool] = []
    for candidate, reading in sorted(found, key=lambda item: item[1].start):
        alone = (reading.start, reading.end) == (candidate.start, candidate.end) and candidate.size is None
        last = readings[-1] if readings else None
        if (
            last is not None
            and bare[-1]
            and alone
            and kind_of(last.key) == "color" == kind_of(reading.key)
            and re.fullmatch(r"[\s-]*", text[last.end : reading.start])
        ):
            readings[-1] = Reading(last.start, reading.end, last.key, last.values)
            bare[-1] = False
            continue
        readings.append(reading)
        bare.append(alone)
    return readings


_PRODUCT_WORD = re.compile(r"[a-z]+(?:[-'’][a-z]+)*", re.I)


def product_words(words: str) -> set[str]:
    """The product words of a text, compared as ``word_form`` does ("T-Shirt" -> "tshirt")."""
    return {word_form(w) for w in _PRODUCT_WORD.findall(words) if len(w) >= 3}


def build_offered_by(rows: Iterable[tuple[str, str, str]]) -> dict[Pair, frozenset[str]]:
    """(key, value) -> the product words of the products offering it, from (key, value, product words) rows
    (the last two words of the title and the category's last level: "Gaming Mouse", "Computer
    Accessories")."""
    found: dict[Pair, set[str]] = {}
    for key, value, words in rows:
        pair = (" ".join(key.lower().split()), " ".join(value.lower().split()))
        found.setdefault(pair, set()).update(product_words(words))
    return {pair: frozenset(words) for pair, words in found.items()}
