"""Pull shopping constraints out of free text.

Recognised (case-insensitive), removed from the text and returned as filters:

* upper price: "under $50", "below 200", "less than 80", "cheaper than 30", "max $40", "up to 60"
* lower price: "over $50", "above 100", "more than 20", "at least 30", "from $10" (when no "to" follows)
* range: "between 50 and 100", "$50-$100", "50 to 100 dollars"
* "size 10", "size XL"                       -> options {"size": ["10"]}
* colour words the catalog knows (red, navy, space grey ...) -> options {"color": [...]}
* material words the catalog knows (leather, mesh ...)      -> options {"material": [...]}
* "in stock", "available now"                -> in_stock = True

A number with a unit after it ("30-50 lbs", "under 2 kg", "64 GB", "over 1000 mAh") is a measure and
stays in the text. Prices are major units (dollars) and come back as minor units (cents). The option
vocabulary is loaded from the variants table by the caller (:func:`load_vocabulary`) and cached for ten
minutes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from psycopg import AsyncConnection

# A number followed by a unit ("30-50 lbs", "under 2 kg", "over 1000 mAh") is a measure, not a price.
_UNITS = (
    r"lbs?|pounds?|kg|kgs|g|grams?|oz|ounces?|inch(?:es)?|cm|mm|m|ft|feet"
    r"|gb|tb|mb|w|watts?|mah|v|l|ml|hz|mp"
)
_NUM = rf"\$?\s*(\d+(?:[.,]\d{{1,2}})?)(?![\d.,])(?!\s*(?:{_UNITS})\b|\s*[%\"'])\s*(?:dollars|usd|bucks|\$)?"
_RANGE = re.compile(rf"\bbetween\s+{_NUM}\s+and\s+{_NUM}|{_NUM}\s*(?:-|–|to)\s*{_NUM}(?=\s|$)", re.I)
_UPPER = re.compile(
    rf"\b(?:under|below|less\s+than|cheaper\s+than|max(?:imum)?|up\s+to|at\s+most|no\s+more\s+than|<)\s*{_NUM}",
    re.I,
)
_LOWER = re.compile(rf"\b(?:over|above|more\s+than|at\s+least|min(?:imum)?|from|>)\s*{_NUM}", re.I)
_SIZE = re.compile(r"\bsize\s+([a-z0-9.]+)\b", re.I)
_STOCK = re.compile(r"\b(?:in\s+stock|available\s+now|available)\b", re.I)
_VOCAB_TTL_S = 600.0  # a catalog import rarely brings new colours; the query reads every variant


@dataclass
class Vocabulary:
    """Lower-cased option values per filter key ("color", "material")."""

    values: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Parsed:
    text: str
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    in_stock: bool = False


_cache: dict[str, tuple[float, Vocabulary]] = {}


async def load_vocabulary(conn: AsyncConnection[dict[str, object]]) -> Vocabulary:
    """Colour and material values offered by any variant; cached per database for a minute."""
    key = conn.info.dbname
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < _VOCAB_TTL_S:
        return hit[1]
    cur = await conn.execute(
        "SELECT DISTINCT o.key AS key, lower(o.value) AS value FROM variants v, jsonb_each_text(v.options) o"
    )
    vocab = Vocabulary()
    for row in await cur.fetchall():
        name = str(row["key"]).lower()
        for kind in ("color", "material"):
            if name == kind or name.endswith(" " + kind):
                vocab.values.setdefault(kind, set()).add(str(row["value"]))
    _cache[key] = (time.monotonic(), vocab)
    return vocab


def _cents(text: str) -> int:
    return round(float(text.replace(",", ".")) * 100)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def parse_query(text: str, vocab: Vocabulary | None = None) -> Parsed:
    parsed = Parsed(text=text)
    rest = text
    if m := _RANGE.search(rest):
        low, high = [g for g in m.groups() if g is not None]
        parsed.min_price_minor, parsed.max_price_minor = sorted((_cents(low), _cents(high)))
        rest = _cut(rest, m)
    if m := _UPPER.search(rest):
        parsed.max_price_minor = _cents(m.group(1))
        rest = _cut(rest, m)
    if m := _LOWER.search(rest):
        parsed.min_price_minor = _cents(m.group(1))
        rest = _cut(rest, m)
    if m := _SIZE.search(rest):
        parsed.options["size"] = [m.group(1)]
        rest = _cut(rest, m)
    if m := _STOCK.search(rest):
        parsed.in_stock = True
        rest = _cut(rest, m)
    for kind, values in (vocab.values if vocab else {}).items():
        for value in sorted(values, key=len, reverse=True):
            pattern = re.compile(rf"\b{re.escape(value)}\b", re.I)
            if pattern.search(rest):
                parsed.options.setdefault(kind, []).append(value)
                rest = pattern.sub(" ", rest)
    parsed.text = " ".join(rest.split())
    return parsed
