"""Catalog services: search, lookups and similar products. Take a connection, never commit."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Literal

from elara_bot.catalog import repository as repo
from elara_bot.catalog.cache import Rankings, SearchCaches
from elara_bot.catalog.relax import alternatives, read_constraints, relaxed_note, unmatched_note, without
from elara_bot.catalog.schemas import (
    Constraint,
    ProductInfo,
    ProductPublic,
    SearchFilters,
    SearchHit,
    SearchResult,
    VariantPublic,
)
from elara_bot.catalog.validation import safe_image_url
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from elara_bot.errors import InvalidInput, NotFound
from elara_bot.observability import observe_search
from retrieval.embedding import Embedder, embed_query_async
from retrieval.options import kind_of
from retrieval.query_parser import Vocabulary, load_vocabulary, parse_query
from retrieval.search import Filter, Ranked, Tuning, is_unknown_word, search_ranked

MAX_LIMIT = 100


def _product(info: ProductInfo, variants: list[VariantPublic]) -> ProductPublic:
    prices = [v.price_minor for v in variants] or [0]
    return ProductPublic(
        **info.model_dump(exclude={"image_url"}),
        image_url=safe_image_url(info.image_url),  # a row stored before import checked URLs
        price_min_minor=min(prices),
        price_max_minor=max(prices),
        currency=variants[0].currency if variants else "USD",
        variants=variants,
    )


async def load_products(
    conn: Conn, ids: list[str], rows: dict[str, ProductInfo] | None = None
) -> list[ProductPublic]:
    """Products in the order of ``ids`` (unknown ids are left out); ``rows``: their rows, already read."""
    rows = rows if rows is not None else await repo.fetch_products(conn, ids)
    by_product: dict[str, list[VariantPublic]] = {}
    for variant in await repo.fetch_variants(conn, ids):
        by_product.setdefault(variant.product_id, []).append(variant)
    return [_product(rows[i], by_product.get(i, [])) for i in ids if i in rows]


def _matches(variant: VariantPublic, flt: SearchFilters) -> bool:
    if flt.min_price_minor is not None and variant.price_minor < flt.min_price_minor:
        return False
    if flt.max_price_minor is not None and variant.price_minor > flt.max_price_minor:
        return False
    if flt.in_stock and not variant.in_stock:
        return False
    for key, values in flt.options.items():
        wanted = {v.lower() for v in values}
        names = [
            k for k in variant.options if k.lower() == key.lower() or k.lower().endswith(" " + key.lower())
        ]
        if not any(variant.options[k].lower() in wanted for k in names):
            return False
    return True


def _option_values(variant: VariantPublic, key: str) -> set[str]:
    """The variant's values of option ``key`` ("color" also reads "frame color", as the SQL filter does)."""
    key = key.lower()
    return {
        v.lower() for k, v in variant.options.items() if k.lower() == key or k.lower().endswith(" " + key)
    }


def _mentions(text: str, values: set[str]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text, re.I) for value in values)


def _soft_match(
    product: ProductPublic, soft: dict[str, list[str]], variants: list[VariantPublic]
) -> list[VariantPublic] | None:
    """The variants left by the option words read from a query, or None when they rule the product out.

    An option word also names products ("fleece jacket", "leather wallet", "wool socks"), so it is soft: a
    product offering the value keeps only those variants; one that does not is still kept, whole, when its
    title has the word, or when it has no such option at all and its description has the word (a wallet
    "made of leather" with no material choice). Anything else is ruled out, as a filter would. An option of
    another kind than colour, material or size ("connectivity", "capacity", "zipper") chooses among the
    variants of the products that have it and leaves the others as they are ("wireless" keeps the mouse's
    wireless variants and the earbuds, which have no such choice; it rules out a bulb that is only
    Bluetooth or Wi-Fi).
    """
    for key, values in soft.items():
        wanted = {v.lower() for v in values}
        chosen = [v for v in variants if _option_values(v, key) & wanted]
        if chosen:
            variants = chosen
            continue
        if _mentions(product.title, wanted):
            continue
        offered = any(_option_values(v, key) for v in product.variants)
        if not offered and not filters_products(key):
            continue
        words = {w for w in wanted if sum(c.isalpha() for c in w) >= 3}  # not "10" or "M" of a size
        if offered or not _mentions(product.description, words):
            return None
    return variants


def filters_products(key: str) -> bool:
    """Whether an option read from a query narrows the products (colour, material, size: a product offering
    or naming it) or only the variants of those that have it (every other kind)."""
    return kind_of(key) in ("color", "material", "size")


# Words that ask for no kind of product ("a gift", "something nice", "any deals?"): a query of these alone
# is near nothing in particular, so it browses instead of meeting the relevance floor.
_GENERIC = re.compile(
    r"(?:gifts?|presents?|ideas?|something|anything|stuff|things?|items?|products?|nice|cool|good|great|best"
    r"|popular|new|cheap|deals?|sales?|offers?|recommend\w*|suggest\w*|show|me|my|us|you|your|what|do|have"
    r"|sell|got|for|a|an|the|some|any|of|to|with|please|i|want|need|looking|birthday|christmas|him|her|them"
    r"|mom|mum|dad|friend|kids?|men|women|everything|all|store|shop|catalog(?:ue)?)",
    re.I,
)


def is_generic(text: str) -> bool:
    """Whether ``text`` names no kind of product, only that the shopper wants something."""
    return all(_GENERIC.fullmatch(word) for word in re.findall(r"[\w']+", text))


# How a request opens before the thing asked for ("I'm looking for", "do you have", "can you show me")
_ASKING = re.compile(
    r"^(?:(?:hi|hello|hey|ok|okay|so|well|um|uh|please)\b[\s,!.]*)*"
    r"(?:(?:(?:i'?m|i\s+am|we'?re|we\s+are)\s+)?(?:looking|searching|shopping|hunting)\s+for"
    r"|(?:i|we)\s+(?:want|need|would\s+like|'d\s+like)(?:\s+to\s+(?:buy|get|find|order))?"
    r"|(?:can|could)\s+(?:you|i)\s+(?:show|find|get|see|buy)(?:\s+me)?"
    r"|do\s+you\s+(?:have|sell|carry|stock)|show\s+me|find\s+me|get\s+me|got\s+any|have\s+you\s+got"
    r"|is\s+there|are\s+there)\s+",
    re.I,
)
# Determiners and praise before it ("a", "some good", "a pair of")
_DETERMINERS = re.compile(
    r"^(?:(?:a|an|the|some|any|new|good|nice|cheap|cheaper|best|great|decent|pair\s+of|set\s+of|couple\s+of"
    r"|kind\s+of|sort\s+of)\s+)+",
    re.I,
)
# Where the thing asked for ends: a preposition, a clause ("a mattress | for a queen size bed", "a water
# bottle | I can take to the gym")
_HEAD_END = re.compile(
    r"[,;:.!?()]|\s(?:for|with|without|to|that|which|who|in|on|under|over|from|by|at|near|like|so|because"
    r"|when|while|if|but|or|and|made|of|please|i|you|we|it|is|are|can|will|would|should)(?=\s|$)",
    re.I,
)
# A phrase with these is a sentence about the shopper ("protect my head", "keep an eye on", "my kid just
# started skating", "block out noise"), not the name of a product: its last word is no kind of product.
_NOT_A_NAME = re.compile(
    r"\b(?:my|our|your|his|her|their|its|a|an|the|this|that|these|those|i|we|you|he|she|they|me|us|him|them"
    r"|is|are|am|was|were|be|been|has|have|had|do|does|did|just|out|up|off|down|away|back)\b",
    re.I,
)
_NO_HEAD = frozenset(
    "something anything stuff thing things item items product products gift gifts present presents idea ideas"
    " one ones option options recommendation recommendations suggestion suggestions deal deals sale sales"
    " somewhere someplace way ways hello hi hey yes no yeah yep nope thanks thank ok okay please".split()
)
# a phrase opening with these asks or says something else ("can I return shoes", "where is my order")
_NOT_A_REQUEST = re.compile(
    r"^(?:can|could|would|will|should|do|does|did|is|are|was|what|what's|whats|how|when|where|why|who|which)\b",
    re.I,
)


def head_noun(text: str) -> tuple[str, str] | None:
    """The kind of product a query names by a noun phrase, and what the query says after that phrase: the
    phrase's last word ("a mattress for a queen size bed" -> ("mattress", "for a queen size bed"); "queen
    size mattresses" -> ("mattresses", "")); None for a sentence ("protect my head when biking"), a
    question, a generic wish ("something for my dog") or a phrase ending in a number or a code."""
    rest = _DETERMINERS.sub("", _ASKING.sub("", text.strip(), count=1))
    end = _HEAD_END.search(rest)
    phrase = rest[: end.start()] if end else rest
    words = re.findall(r"[\w'’-]+", phrase.lower())
    if not words or len(words) > 4 or _NOT_A_NAME.search(phrase) or _NOT_A_REQUEST.match(phrase):
        return None
    if any(w in _NO_HEAD for w in words):
        return None
    last = words[-1]
    return (last, rest[end.start() :].strip() if end else "") if re.fullmatch(r"[a-z]{3,}", last) else None


def above_floor(ranked: list[Ranked], settings: SearchSettings) -> list[Ranked]:
    """The relevance floor. RRF scores are ranks, so any query has a "best" product; the cosine similarity
    and a full-text match of every query word mean the same in every query. Nothing passes when neither the
    best similarity reaches ``min_similarity`` nor any product matches every word; then each product below
    ``item_min_similarity`` without such a match drops. A ranking without similarities (text-only search,
    a browse) has no floor."""
    sims = [r.similarity for r in ranked if r.similarity is not None]
    if not sims:
        return ranked
    if max(sims) < settings.min_similarity and not any(r.text_tier == 0 for r in ranked):
        return []
    floor = settings.item_min_similarity
    return [r for r in ranked if r.text_tier == 0 or r.similarity is None or r.similarity >= floor]


def merge_filters(explicit: SearchFilters, parsed: SearchFilters) -> SearchFilters:
    """Explicit values win; parsed ones fill the gaps."""
    return SearchFilters(
        min_price_minor=explicit.min_price_minor
        if explicit.min_price_minor is not None
        else parsed.min_price_minor,
        max_price_minor=explicit.max_price_minor
        if explicit.max_price_minor is not None
        else parsed.max_price_minor,
        category=explicit.category or parsed.category,
        options={**parsed.options, **explicit.options},
        in_stock=explicit.in_stock or parsed.in_stock,
    )


@dataclass
class _Finder:
    """One query's searches: the asked one, and the relaxed ones when it finds nothing."""

    conn: Conn
    embedder: Embedder
    text: str
    limit: int
    mode: Literal["hybrid", "vector", "text"]
    settings: SearchSettings
    rankings: Rankings | None
    similarity: dict[str, float] = field(default_factory=dict)
    product_type: str | None = None  # the kind of product the query names: nothing else matches

    async def hits(self, flt: SearchFilters, soft: dict[str, list[str]]) -> list[SearchHit]:
        """The products above the relevance floor meeting ``flt`` (``soft``: its options read from text)."""
        strict = flt.model_copy(update={"options": {k: v for k, v in flt.options.items() if k not in soft}})
        # one ranking holds the products offering the option words' values and those naming them
        ranked = await self._rank(strict, soft)
        if not is_generic(self.text):
            ranked = above_floor(ranked, self.settings)
        self.similarity.update({r.id: r.similarity for r in ranked if r.similarity is not None})
        products = await self._load([r.id for r in ranked])
        scores = {r.id: r.score for r in ranked}
        hits = []
        for p in products:
            variants = _soft_match(p, soft, [v for v in p.variants if _matches(v, strict)])
            if variants is not None:
                hits.append(SearchHit(product=p, score=scores[p.id], matching_variants=variants))
        if flt != SearchFilters():  # a remembered ranking: drop what no longer matches (sold out, repriced)
            hits = [h for h in hits if h.matching_variants]
        return hits[: self.limit]

    async def _load(self, ids: list[str]) -> list[ProductPublic]:
        """The ranked products, prices and stock always current; with a product kind, only that kind's,
        judged on their rows before their variants are read (most of the kind's pool of 60 is not)."""
        if self.product_type is None:
            return await load_products(self.conn, ids)
        rows = await repo.fetch_products(self.conn, ids)
        kind = self.product_type
        rows = {i: r for i, r in rows.items() if is_of_type(r.title, r.category or "", kind)}
        return await load_products(self.conn, [i for i in ids if i in rows], rows)

    async def _rank(self, flt: SearchFilters, soft: dict[str, list[str]]) -> list[Ranked]:
        # room for the kind's ones, and for the products naming an option word only in their description
        limit = max(self.limit, TYPE_POOL) if self.product_type else self.limit * (2 if soft else 1)
        return await _rank_cached(
            self.conn, self.embedder, self.text, (flt, soft), limit, self.mode, self.settings, self.rankings
        )


async def search_products(
    conn: Conn,
    embedder: Embedder,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 10,
    *,
    parse: bool = True,
    settings: SearchSettings,
    caches: SearchCaches | None = None,
    mode: Literal["hybrid", "vector", "text"] = "hybrid",
    log: bool = True,
    lazy_log: bool = False,
    currency: str | None = None,
    only_named_type: bool = False,
) -> SearchResult:
    """Rank with ``settings`` (``ELARA_SEARCH__*``, required: every caller honours the tuning). With
    ``caches`` (the runtime's), a query's ranking is reused for ``settings.result_cache_s`` seconds and the
    option vocabulary for ten minutes; without, both are read afresh.

    Products below the relevance floor (``above_floor``) are no matches. When nothing matches, the result
    says why: the constraints that emptied it are ``relaxed`` and the nearest products without them are the
    ``alternatives``; a query nothing in the catalog is near is ``unmatched``. ``currency`` (the store's)
    writes the prices of parameters in the constraints' text.

    With ``only_named_type`` (the chat, where "the cheaper one" means one of the products asked for), a
    query naming a kind of product the catalog has ("laptop", "kettles") matches only products of that
    kind: "a laptop under $500" finds no laptop and says so instead of showing backpacks. The search API
    and the evaluation rank as before (related kinds are relevant there: boots for "hiking shoes")."""
    started = time.perf_counter()
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    explicit = filters or SearchFilters()
    flt, text, soft, parsed, vocabulary = explicit, query.strip(), {}, None, None
    if parse and text:
        vocabulary = await load_vocabulary(conn, caches.vocabulary if caches is not None else None)
        parsed = parse_query(text, vocabulary)
        text = parsed.text
        soft = {key: values for key, values in parsed.options.items() if key not in explicit.options}
        flt = merge_filters(
            explicit,
            SearchFilters(
                min_price_minor=parsed.min_price_minor,
                max_price_minor=parsed.max_price_minor,
                options=parsed.options,
                in_stock=parsed.in_stock,
            ),
        )
    if (
        flt.min_price_minor is not None
        and flt.max_price_minor is not None
        and flt.min_price_minor > flt.max_price_minor
    ):
        raise InvalidInput("min_price must not exceed max_price")
    rankings = caches.rankings if caches is not None else None
    finder = _Finder(conn, embedder, text, limit, mode, settings, rankings)
    if only_named_type and settings.type_gate and text and not is_generic(text):
        finder.product_type = named_type(text, await _type_terms(conn, caches))
    hits = await finder.hits(flt, soft)
    judged = (
        parsed is not None and settings.unknown_kind and settings.min_similarity > -1
    )  # off with the floor
    phrases = parsed.applied if parsed else []
    unsold = (
        judged
        and bool(hits)
        and await _asks_for_an_unsold_kind(conn, text, phrases, hits, vocabulary, finder, caches)
    )
    if unsold:
        hits = []
    result = SearchResult(query=text, filters=flt, hits=hits)
    constraints = read_constraints(explicit, flt, phrases, currency or _currency(hits), vocabulary)
    result.constraints.applied = constraints
    if unsold:  # nothing of the kind asked for; its modifiers' products ("a pet bed") are no alternative
        result.constraints.unmatched = [result.query]
        result.note = unmatched_note(result.query)
    elif not hits and text:
        await relax(finder, result, soft, constraints)
    if log:
        await repo.log_search(
            conn,
            query,
            flt.model_dump(exclude_defaults=True),
            [h.product.id for h in hits],
            [h.product.id for h in hits if any(v.in_stock for v in h.matching_variants)],
            lazy=lazy_log,
        )
    observe_search(time.perf_counter() - started)
    return result


_FOR = re.compile(
    r"^(?:for|to\s+go\s+with|that\s+goes\s+with|to\s+use\s+with|to\s+fit)\s+(?:(?:my|our|your|his|her|their)\s+)?",
    re.I,
)
FOR_KIND_HITS = (
    3  # the top hits looked at: one of the kind the query's "for ..." names gives the ranking away
)


async def _asks_for_an_unsold_kind(
    conn: Conn,
    text: str,
    phrases: list[str],
    hits: list[SearchHit],
    vocabulary: Vocabulary | None,
    finder: _Finder,
    caches: SearchCaches | None,
) -> bool:
    """Whether the hits are no answer because the query asks for a kind of product the catalog does not
    have: it is for something the catalog has (``_found_what_it_is_for``), or it is that noun alone and
    no product is near enough in meaning (``SearchSettings.unknown_kind_similarity``: "a mattress", not
    "a headset")."""
    found = head_noun(text)
    if found is None:
        return False
    head, modifiers = found
    option_words = {
        w for values in (vocabulary.values if vocabulary else {}).values() for v in values for w in v.split()
    }
    said = {w for phrase in phrases for w in re.findall(r"[a-z]+", phrase.lower())}
    if head in option_words or head in said:  # "full zip", "brown lenses": an option and its key word
        return False
    kinds = {w for term in await _type_terms(conn, caches) for w in term.split()}
    if _normal(head) in kinds:  # "ereaders", "tshirts": the lexicon has "e" and "reader", "t" and "shirt"
        return False
    if not modifiers:
        best = max(finder.similarity.values(), default=1.0)
        return best < finder.settings.unknown_kind_similarity and await is_unknown_word(conn, head)
    return await _found_what_it_is_for(conn, head, modifiers, hits, finder)


async def _found_what_it_is_for(
    conn: Conn, head: str, modifiers: str, hits: list[SearchHit], finder: _Finder
) -> bool:
    """Whether the search found what the asked-for product is for instead of the product: the query asks
    for "X for Y", X (``head_noun``) is no word of the catalog's products or options nor a misspelling of
    one (``is_unknown_word``), and a top hit is a Y by its title ("a mattress for a queen size bed": Pet
    Bed; "a duvet for the bed", "a stand for my laptop" in a store selling neither), or the chat's kind
    gate kept Ys only ("a hammock for the patio": the patio umbrella). A synonym of a catalog word is no
    such case: "a tap for the kitchen sink" finds faucets, not sinks."""
    purpose = _FOR.match(modifiers)
    target = head_noun(modifiers[purpose.end() :]) if purpose else None
    if target is None:
        return False
    kind = _normal(target[0])
    gated = finder.product_type is not None and finder.product_type.split()[-1] == kind
    if not gated and not any(_kind_word(hit.product.title) == kind for hit in hits[:FOR_KIND_HITS]):
        return False
    return await is_unknown_word(conn, head)


def _kind_word(title: str) -> str:
    """The kind of product a title names: its last word ("Pet Bed" -> "bed")."""
    words = _normal(title).split()
    return words[-1] if words else ""


async def relax(
    finder: _Finder, result: SearchResult, soft: dict[str, list[str]], constraints: list[Constraint]
) -> None:
    """Nothing met the query: find which constraints emptied it and the nearest products without them.
    One constraint at a time first (the price, then each option, stock, category), then all of them; a
    query nothing is near even so is unmatched."""
    unconstrained = await finder.hits(SearchFilters(), {}) if constraints else []
    if not unconstrained:
        result.constraints.unmatched = [result.query]
        result.note = unmatched_note(result.query)
        return
    relaxed, hits = constraints, unconstrained
    for constraint in constraints if len(constraints) > 1 else []:
        flt, kept_soft = without(constraint, result.filters, soft)
        found = await finder.hits(flt, kept_soft)
        if found:
            relaxed, hits = [constraint], found
            break
    result.constraints.applied = [c for c in constraints if c not in relaxed]
    result.constraints.relaxed = relaxed
    result.alternatives = alternatives(hits, relaxed, finder.similarity)
    result.note = relaxed_note(result.query, relaxed, result.alternatives)


async def _rank_cached(
    conn: Conn,
    embedder: Embedder,
    text: str,
    filters: tuple[SearchFilters, dict[str, list[str]]],
    limit: int,
    mode: Literal["hybrid", "vector", "text"],
    tuning: SearchSettings,
    rankings: Rankings | None,
) -> list[Ranked]:
    if rankings is None:
        return await _rank(conn, embedder, text, filters, limit, mode, tuning)
    flt, soft = filters
    key = (conn.info.dbname, text, flt.model_dump_json(), repr(sorted(soft.items())), limit, mode)
    ranked = rankings.get(key, tuning.result_cache_s)
    if ranked is None:
        ranked = await _rank(conn, embedder, text, filters, limit, mode, tuning)
        rankings.put(key, ranked, tuning.result_cache_s)
    return ranked


async def _rank(
    conn: Conn,
    embedder: Embedder,
    text: str,
    filters: tuple[SearchFilters, dict[str, list[str]]],
    limit: int,
    mode: Literal["hybrid", "vector", "text"],
    tuning: SearchSettings,
) -> list[Ranked]:
    """Embed the query on a worker thread while the full-text list is fetched, then rank under the
    filters and the options read from the query's words (offered or named)."""
    flt, soft = filters
    embedding = asyncio.ensure_future(embed_query_async(embedder, text)) if text and mode != "text" else None
    try:
        return await search_ranked(
            conn,
            embedding,
            text,
            Filter(**flt.model_dump(), named={k: v for k, v in soft.items() if filters_products(k)}),
            limit,
            mode,
            Tuning(
                ef_search=tuning.ef_search,
                candidates=tuning.candidates,
                rrf_k=tuning.rrf_k,
                text_weight=tuning.text_weight,
                text_any_weight=tuning.text_any_weight,
                text_match_cap=tuning.text_match_cap,
            ),
        )
    finally:
        if embedding is not None and not embedding.done():
            embedding.cancel()


def _currency(hits: list[SearchHit]) -> str:
    return hits[0].product.currency if hits else "USD"


async def get_product(conn: Conn, product_id: str) -> ProductPublic:
    found = await load_products(conn, [product_id])
    if not found:
        raise NotFound(f"no product with id {product_id!r}")
    return found[0]


async def get_variant(conn: Conn, sku: str) -> VariantPublic:
    variant = await repo.fetch_variant(conn, sku)
    if variant is None:
        raise NotFound(f"no variant with SKU {sku!r}")
    return variant


async def similar_products(conn: Conn, product_id: str, limit: int = 5) -> list[ProductPublic]:
    if not await repo.product_exists(conn, product_id):
        raise NotFound(f"no product with id {product_id!r}")
    return await load_products(conn, await repo.nearest_ids(conn, product_id, limit))


async def best_sellers(conn: Conn, *, days: int = 90, limit: int = 5) -> list[ProductPublic]:
    """The products shoppers bought most (units, paid orders of the last ``days`` days), in stock."""
    return await load_products(conn, await repo.best_seller_ids(conn, days, limit))


async def list_products(
    conn: Conn, *, category: str | None = None, limit: int = 24, offset: int = 0
) -> tuple[list[ProductPublic], int]:
    """One page of the catalog (ordered by category, title) and the total count."""
    ids, total = await repo.list_product_ids(conn, category, limit, offset)
    return await load_products(conn, ids), total


_TYPE_WORD = re.compile(r"^[a-z][a-z-]{2,}$")


async def product_type_terms(conn: Conn) -> list[str]:
    """The names shoppers call the catalog's products by: short titles whole ("espresso machine"), the
    last word of every title ("camera"), and category leaves ("kettles")."""
    terms: set[str] = set()
    for title, category in await repo.titles_and_categories(conn):
        words = title.lower().split()
        if 0 < len(words) <= 3:
            terms.add(" ".join(words))
        if words and _TYPE_WORD.match(words[-1]):
            terms.add(words[-1])
        leaf = category.split(">")[-1].strip().lower()
        if leaf and len(leaf.split()) <= 3:
            terms.add(leaf)
    return sorted(terms)


TYPE_POOL = 60  # ranked candidates a query naming a kind of product is narrowed from


def _normal(text: str) -> str:
    """Lower case, words singular ("kettles" = "kettle", "t-shirts" = "t-shirt"), one space."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())
    return " ".join(_singular(w.replace("-", "")) for w in words)  # "t-shirts" = "tshirts" = "tshirt"


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


async def _type_terms(conn: Conn, caches: SearchCaches | None) -> frozenset[str]:
    key = conn.info.dbname
    if caches is not None and (kept := caches.types.get(key)) is not None:
        return kept
    terms = frozenset(_normal(t) for t in await product_type_terms(conn)) - {""}
    if caches is not None:
        caches.types.put(key, terms)
    return terms


def named_type(text: str, terms: frozenset[str]) -> str | None:
    """The kind of product ``text`` asks for: of the catalog's product-type terms it contains, the one that
    ends last (English puts the head noun last: "laptop backpack" is a backpack), the longest on a tie;
    before a "for" or a "with" when one is named there ("a charger for my phone")."""
    head = re.split(
        r"\s(?:for|to go with|that goes with|to use with|with|that has|having|which has)\s",
        text,
        maxsplit=1,
        flags=re.I,
    )[0]
    if head != text and (found := named_type(head, terms)) is not None:
        return found  # "a charger for my phone" is a charger, "a backpack with a laptop sleeve" a backpack
    words = _normal(text).split()
    # two words written apart name a one-word kind too ("t shirts" is a t-shirt), ending where the second does
    joined = {
        i + 2: _normal(a + b) for i, (a, b) in enumerate(zip(_words(text), _words(text)[1:], strict=False))
    }
    best: tuple[int, int, str] | None = None
    for term in terms:
        parts = term.split()
        ends = [i + len(parts) for i in range(len(words)) if words[i : i + len(parts)] == parts]
        ends += [end for end, word in joined.items() if word == term]
        if ends:
            candidate = (max(ends), len(term), term)
            best = candidate if best is None or candidate > best else best
    return best[2] if best else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())


def is_of_type(title: str, category: str, term: str) -> bool:
    return f" {term} " in f" {_normal(title)} " or f" {term} " in f" {_normal(category)} "
