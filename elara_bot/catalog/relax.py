"""What a search held its results to, and what to offer when that left nothing.

The constraints of a search are its price range, each option (size, colour, material), in stock and the
category, each from the query's words or from a parameter. When together they leave no product, the search
service drops them one at a time (then all) and offers the nearest products without them; this module names
the constraints, removes one, orders the alternatives and says it in one sentence.
"""

from __future__ import annotations

import re

from elara_bot.catalog.schemas import Constraint, SearchFilters, SearchHit, VariantPublic
from elara_bot.money import format_amount
from retrieval.query_parser import Vocabulary, parse_query

ALTERNATIVES = 3  # products offered when nothing matched
SAME_KIND = 0.1  # an alternative this close in similarity to the nearest one is the same kind of product
_ARTICLE = re.compile(r"^(?:an?|the|some|any)\s+", re.I)
_LEAD = re.compile(r"^(?:i\s+|we\s+)?(?:need|want|would like|'d like|am looking for|looking for)\s+", re.I)
_DANGLING = re.compile(r"[\s,]*\b(?:in|a|an|the|of|with|for|and|or|at|size)\s*$", re.I)


def read_constraints(
    explicit: SearchFilters,
    flt: SearchFilters,
    phrases: list[str],
    currency: str,
    vocabulary: Vocabulary | None = None,
) -> list[Constraint]:
    """The constraints of ``flt`` (``explicit``'s from parameters, the rest from the query's ``phrases``):
    price, then options, stock, category."""
    kinds = _phrase_kinds(phrases, vocabulary)
    found: list[Constraint] = []
    if flt.min_price_minor is not None or flt.max_price_minor is not None:
        by_parameter = explicit.min_price_minor is not None or explicit.max_price_minor is not None
        found.append(
            Constraint(
                kind="price",
                text=_price_text(flt, currency) if by_parameter else ", ".join(kinds.get("price", [])),
                source="parameter" if by_parameter else "query",
                min_price_minor=flt.min_price_minor,
                max_price_minor=flt.max_price_minor,
            )
        )
    for key, values in flt.options.items():
        by_parameter = key in explicit.options
        said = kinds.get(f"option:{key}", [])
        text = f"{key} {' or '.join(values)}" if by_parameter or not said else " or ".join(said)
        source = "parameter" if by_parameter else "query"
        found.append(Constraint(kind="option", text=text, source=source, key=key, values=list(values)))
    if flt.in_stock:
        source = "parameter" if explicit.in_stock else "query"
        found.append(Constraint(kind="in_stock", text="in stock", source=source))
    if flt.category:
        found.append(Constraint(kind="category", text=f"in {flt.category}", source="parameter"))
    return [c if c.text else c.model_copy(update={"text": _price_text(flt, currency)}) for c in found]


def _phrase_kinds(phrases: list[str], vocabulary: Vocabulary | None) -> dict[str, list[str]]:
    """Each phrase the query parser read as a constraint, by what it constrains."""
    kinds: dict[str, list[str]] = {}
    for phrase in phrases:
        alone = parse_query(phrase, vocabulary)
        if alone.min_price_minor is not None or alone.max_price_minor is not None:
            kinds.setdefault("price", []).append(phrase)
        for key in alone.options:
            kinds.setdefault(f"option:{key}", []).append(phrase)
    return kinds


def _price_text(flt: SearchFilters, currency: str) -> str:
    low, high = flt.min_price_minor, flt.max_price_minor
    if low is not None and high is not None:
        return f"between {format_amount(low, currency)} and {format_amount(high, currency)}"
    if high is not None:
        return f"under {format_amount(high, currency)}"
    return f"over {format_amount(low or 0, currency)}"


def without(
    constraint: Constraint, flt: SearchFilters, soft: dict[str, list[str]]
) -> tuple[SearchFilters, dict[str, list[str]]]:
    """``flt`` and its text-read options ``soft`` without ``constraint``."""
    if constraint.kind == "price":
        return flt.model_copy(update={"min_price_minor": None, "max_price_minor": None}), soft
    if constraint.kind == "in_stock":
        return flt.model_copy(update={"in_stock": False}), soft
    if constraint.kind == "category":
        return flt.model_copy(update={"category": None}), soft
    options = {k: v for k, v in flt.options.items() if k != constraint.key}
    return flt.model_copy(update={"options": options}), {k: v for k, v in soft.items() if k != constraint.key}


def alternatives(
    hits: list[SearchHit], relaxed: list[Constraint], similarity: dict[str, float]
) -> list[SearchHit]:
    """The nearest of ``hits`` (found without the ``relaxed`` constraints): with a price relaxed, the
    products as near as the nearest one, cheapest first (dearest first for a minimum); with an option
    relaxed, their variants in stock."""
    price = next((c for c in relaxed if c.kind == "price"), None)
    if price is not None and hits:
        top = max((similarity.get(h.product.id, 0.0) for h in hits), default=0.0)
        hits = [h for h in hits if similarity.get(h.product.id, top) >= top - SAME_KIND]
        below = price.max_price_minor is not None
        hits = sorted(hits, key=lambda h: _lowest(h) if below else -_highest(h))
    if any(c.kind == "option" for c in relaxed):
        hits = [h.model_copy(update={"matching_variants": _in_stock_first(h)}) for h in hits]
    return [
        h.model_copy(update={"matching_variants": sorted(h.matching_variants, key=lambda v: v.price_minor)})
        for h in hits[:ALTERNATIVES]
    ]


def _lowest(hit: SearchHit) -> int:
    return min((v.price_minor for v in hit.matching_variants), default=hit.product.price_min_minor)


def _highest(hit: SearchHit) -> int:
    return max((v.price_minor for v in hit.matching_variants), default=hit.product.price_max_minor)


def _in_stock_first(hit: SearchHit) -> list[VariantPublic]:
    stocked = [v for v in hit.matching_variants if v.in_stock]
    return stocked or hit.matching_variants


def _subject(query: str, said: list[Constraint] | None = None) -> str:
    """What was asked for: the query without its article and the option words ``said`` names apart."""
    for constraint in said or []:
        if constraint.source == "query":  # option words stay in the query's text ("size 13", "red")
            query = re.sub(rf"(?<![\w-]){re.escape(constraint.text)}(?![\w-])", " ", query, flags=re.I)
    subject = _LEAD.sub("", " ".join(query.split()).strip(" ,.?!"))
    while (shorter := _DANGLING.sub("", subject)) != subject:  # "boots in a [size 13]": "boots"
        subject = shorter
    return _ARTICLE.sub("", subject) or "products"


def unmatched_note(query: str) -> str:
    return f"Nothing in this store matches “{_subject(query)}”."


def relaxed_note(query: str, relaxed: list[Constraint], offered: list[SearchHit]) -> str | None:
    """'No yoga mat under $50; the cheapest is Yoga Mat at $92.53.' (None when nothing is offered)."""
    if not offered:
        return None
    first = offered[0]
    said = f"No {_subject(query, relaxed)} {' '.join(_as_said(c) for c in relaxed)}".strip()
    if len(relaxed) == 1 and relaxed[0].kind == "option" and relaxed[0].key:
        key = relaxed[0].key
        variants = first.matching_variants
        values = {v.options[k] for v in variants for k in v.options if _is_key(k, key)}
        if values:
            listed = ", ".join(sorted(values, key=_value_order)[:8])
            where = "is in stock" if all(v.in_stock for v in variants) else "comes"
            return f"{said}; {first.product.title} {where} in {key} {listed}."
    if len(relaxed) == 1 and relaxed[0].kind == "price":
        cheapest = relaxed[0].max_price_minor is not None
        bound = "cheapest" if cheapest else "most expensive"
        price = _lowest(first) if cheapest else _highest(first)
        amount = format_amount(price, first.product.currency)
        return f"{said}; the {bound} is {first.product.title} at {amount}."
    amount = format_amount(_lowest(first), first.product.currency)
    return f"{said}; the nearest is {first.product.title} from {amount}."


def _as_said(constraint: Constraint) -> str:
    """'under $50', 'in size 13', 'in red', 'in stock'."""
    return f"in {constraint.text}" if constraint.kind == "option" else constraint.text


def _value_order(value: str) -> tuple[int, float, str]:
    """Sizes in order: numbers by value, then letters as written."""
    try:
        return 0, float(value), value
    except ValueError:
        return 1, 0.0, value


def _is_key(name: str, key: str) -> bool:
    name, key = name.lower(), key.lower()
    return name == key or name.endswith(" " + key)
