"""Hybrid product retrieval in one SQL statement per mode.

* vector: HNSW cosine (``hnsw.ef_search`` and ``hnsw.iterative_scan = relaxed_order`` set per transaction,
  so a selective filter still yields ``limit`` rows); when the filter admits few products the planner is
  told to skip the index and scan exactly.
* text: products matching every term first, then those matching any term (``plainto_tsquery`` alone would
  AND them and starve chatty queries), ranked with ``ts_rank``. Each tier ranks at most ``text_match_cap``
  matching rows, so a query of common words costs the same at 50,000 products as at 500 (the vector list
  carries the meaning of such a query anyway).
* hybrid: weighted reciprocal rank fusion, score = sum over retrievers of weight / (k + rank); the text list
  is fetched while the query is still being embedded. Matches of every word and of only some words weigh
  apart; by default only the former count (one common word of a chatty query, "eye" in "keep an eye on the
  house", pulled in sunglasses), so hybrid search does not even fetch the any-word tier.

Every ranked product also carries what the ranking cannot say across queries (RRF scores are ranks): its
cosine similarity to the query when the vector list holds it, and its full-text tier when the text list does,
so a caller can hold a relevance floor (see ``Ranked``).

Filters (price range, category prefix, option values, in stock) run in SQL: price and stock on the
variants, a single option (or none) on the product row, which keeps its active variants' terms and count.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from psycopg import AsyncConnection, sql

from retrieval.options import IRREGULAR_PLURALS

Mode = Literal["hybrid", "vector", "text"]
Conn = AsyncConnection[dict[str, Any]]
_WORD = re.compile(r"[a-z0-9]+", re.I)
EXACT_SCAN_BELOW = 2000  # products admitted by the filter under which an exact scan is cheaper


@dataclass
class Filter:
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    category: str | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    in_stock: bool = False
    # options read from a query's words ("red kettle", "leather wallet"): a product qualifies by offering a
    # value or by naming it (a title, category, brand, option or description word), so one ranking holds
    # both; the caller then keeps the variants of the value (``catalog.service._soft_match``)
    named: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Tuning:
    ef_search: int = 80
    candidates: int = 100
    rrf_k: int = 60
    text_weight: float = 1.0  # RRF weight of full-text matches of every word (the vector list weighs 1)
    text_any_weight: float = 0.0  # and of matches of only some words; 0 skips that tier in hybrid search
    text_match_cap: int = 1000  # matching rows each full-text tier ranks at most
    typo_similarity: float = 0.45  # how near a catalog word must be to stand in for an unknown one; 0: off
    selective_matches: int = 20  # every-word matches at most this many products: a precise match; 0: off
    selective_weight: float = 2.0  # the RRF weight of such a precise match
    # "rrf": weighted reciprocal rank fusion; "minmax" / "zscore": each list's scores (cosine similarity;
    # full-text ts_rank, plus 1 for every word in title, category, brand or options) normalised per query
    # and added with the same weights (see ``fuse_scores``)
    fusion: Literal["rrf", "minmax", "zscore"] = "rrf"


@dataclass(frozen=True)
class Ranked:
    """One ranked product: its fused ``score`` (comparable within one query only), its cosine ``similarity``
    to the query (None when the vector list did not hold it) and its full-text ``text_tier`` (0 every query
    word matched, 1 some, None no match or not searched)."""

    id: str
    score: float
    similarity: float | None = None
    text_tier: int | None = None


def variant_condition(flt: Filter, alias: str = "v") -> tuple[sql.Composable, list[Any]]:
    """SQL over one variant row ``alias``: active and matching every variant-level filter."""
    v = sql.Identifier(alias)
    parts: list[sql.Composable] = [sql.SQL("{}.active").format(v)]
    params: list[Any] = []
    if flt.min_price_minor is not None:
        parts.append(sql.SQL("{}.price_minor >= %s").format(v))
        params.append(flt.min_price_minor)
    if flt.max_price_minor is not None:
        parts.append(sql.SQL("{}.price_minor <= %s").format(v))
        params.append(flt.max_price_minor)
    if flt.in_stock:
        parts.append(sql.SQL("{}.stock > 0").format(v))
    for key, values in flt.options.items():
        # "key=value" terms of the variant (migration 0007): key "color" also matches "frame color"
        parts.append(sql.SQL("{}.option_terms && %s::text[]").format(v))
        params.append(option_terms(key, values))
    for key, values in flt.named.items():  # offered by this variant, or named by its product ``p``
        part, part_params = _offered_or_named(v, key, values)
        parts.append(part)
        params += part_params
    return sql.SQL(" AND ").join(parts), params


def named_tsquery(values: list[str]) -> str:
    """``to_tsquery`` input naming any of ``values``, each by all of its words, matched whole ("red" is not
    "reduced"); empty when no value has a word of two characters or more ("M" is a stop word)."""
    named = [[w for w in _WORD.findall(value.lower()) if len(w) > 1] for value in values]
    return " | ".join(f"({' & '.join(words)})" for words in named if words)


def _offered_or_named(row: sql.Identifier, key: str, values: list[str]) -> tuple[sql.Composable, list[Any]]:
    """``row`` (a product or variant) offers one of ``values`` of option ``key``, or its product names one."""
    offered = sql.SQL("{}.option_terms && %s::text[]").format(row)
    names = named_tsquery(values)
    if not names:
        return offered, [option_terms(key, values)]
    condition = sql.SQL("({} OR p.search_tsv @@ to_tsquery('english', %s))").format(offered)
    return condition, [option_terms(key, values), names]


def product_condition(flt: Filter) -> tuple[sql.Composable, list[Any]]:
    parts: list[sql.Composable] = [sql.SQL("TRUE")]
    params: list[Any] = []
    if flt.category:
        parts.append(sql.SQL("lower(p.category) LIKE %s"))
        params.append(flt.category.lower().replace("%", r"\%").replace("_", r"\_") + "%")
    for key, values in flt.options.items():
        # pre-filter on the product row (the union of its variants' terms), exact test per variant below
        parts.append(sql.SQL("p.option_terms && %s::text[]"))
        params.append(option_terms(key, values))
    for key, values in flt.named.items():
        part, part_params = _offered_or_named(sql.Identifier("p"), key, values)
        parts.append(part)
        params += part_params
    if not _needs_variant_test(flt):
        # the product row decides (migration 0008): it has an active variant, or one with the option
        if not flt.options:
            parts.append(sql.SQL("p.active_variants > 0"))
        return sql.SQL(" AND ").join(parts), params
    variant_sql, variant_params = variant_condition(flt)
    parts.append(
        sql.SQL("EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND {})").format(variant_sql)
    )
    return sql.SQL(" AND ").join(parts), params + variant_params


def _needs_variant_test(flt: Filter) -> bool:
    """Whether one variant must meet several conditions at once (a price, stock, two options), which the
    product row's aggregates cannot tell; a single option is in the product's terms exactly when one of
    its active variants has it."""
    variant_level = flt.min_price_minor is not None or flt.max_price_minor is not None or flt.in_stock
    return variant_level or len(flt.options) + len(flt.named) > 1


def option_terms(key: str, values: list[str]) -> list[str]:
    """The "key=value" terms (migration 0007) that any of ``values`` of option ``key`` matches."""
    return [f"{key.lower()}={value.lower()}" for value in values]


def _term(word: str, weights: str = "") -> str:
    if len(word) >= 3 and word.isalpha():
        return f"{word}:*{weights}"
    return f"{word}:{weights}" if weights else word


def _terms(text: str, fixes: dict[str, str] | None = None, weights: str = "") -> list[str]:
    """Words as tsquery terms: prefix-matched when alphabetic and 3+ letters ("head" finds "headphones");
    numbers and short words match exactly ("5:*" would match every 5, 50 and 500 in the catalog). A word
    with a correction in ``fixes`` matches either ("(spaonges:* | sponges:*)"); ``weights`` ("AB") limits
    the terms to those fields of the tsvector (migration 0001: A title, B category, brand and options)."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text))
    fixes = fixes or {}
    return [
        f"({_term(w, weights)} | {_term(fixes[w], weights)})" if w in fixes else _term(w, weights)
        for w in words
    ]


def or_tsquery(text: str, fixes: dict[str, str] | None = None) -> str:
    """``to_tsquery`` input: every word OR-ed ("a:* | b:*"); empty when no word."""
    return " | ".join(_terms(text, fixes))


def and_tsquery(text: str, fixes: dict[str, str] | None = None, weights: str = "") -> str:
    """``to_tsquery`` input: every word AND-ed ("a:* & b:*"); empty when no word."""
    return " & ".join(_terms(text, fixes, weights))


# each word is probed as written and without a plural "s" ("spaonges" is nearer "sponge" as "spaonge")
_CORRECTIONS = """
SELECT q.word, fix.word AS fix
FROM unnest(%s::text[], %s::text[]) q(word, probe)
CROSS JOIN LATERAL (
    SELECT l.word, greatest(similarity(l.word, q.word), similarity(l.word, q.probe)) AS sim
    FROM search_lexicon l
    WHERE l.word %% q.word OR l.word %% q.probe
    ORDER BY sim DESC, abs(length(l.word) - length(q.word)), l.word
    LIMIT 1
) fix
WHERE NOT EXISTS (SELECT 1 FROM search_lexicon k WHERE k.word IN (q.word, q.probe))
"""


_TRIGRAMS: dict[tuple[str, str], bool] = {}  # (host, database): whether pg_trgm is installed there


async def _has_trigrams(conn: Conn) -> bool:
    """pg_trgm is there (migration 0012 installs it where the server offers it): asked once per database."""
    key = (str(conn.info.host), conn.info.dbname)
    if key not in _TRIGRAMS:
        cur = await conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        _TRIGRAMS[key] = await cur.fetchone() is not None
    return _TRIGRAMS[key]


async def corrections(conn: Conn, text: str, threshold: float) -> dict[str, str]:
    """For each word of ``text`` (letters only, 4+) that no product's title, category, brand or description
    has, the nearest catalog word by trigram similarity (at least ``threshold``; migration 0012), if any."""
    words = [w for w in dict.fromkeys(_WORD.findall(text.lower())) if w.isalpha() and len(w) >= 4]
    if not words or threshold <= 0:
        return {}
    if not await _has_trigrams(conn):
        return {}
    probes = [w[:-1] if w.endswith("s") and len(w) > 4 else w for w in words]
    await conn.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)])
    cur = await conn.execute(_CORRECTIONS, [words, probes])
    return {str(r["word"]): str(r["fix"]) for r in await cur.fetchall()}


def _forms(word: str) -> list[str]:
    """The word as written, singular and plural ("bag", "bags"; "batteries", "battery")."""
    forms = {word, word + "s", word + "es", IRREGULAR_PLURALS.get(word, word)}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    return sorted(forms)


def edits_within(a: str, b: str, limit: int) -> bool:
    """Whether ``a`` becomes ``b`` in at most ``limit`` insertions, deletions, substitutions or swaps of
    neighbours ("cehst" -> "chest": one)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit


def typo_limit(word: str) -> int:
    """Edits a misspelling of a word this long may carry: none under four letters, one to seven, then two
    ("headfones")."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


async def is_unknown_word(conn: Conn, word: str) -> bool:
    """Whether no product's title, category, brand or description has ``word`` (singular or plural) or a
    word it could be a misspelling of (``typo_limit`` edits away, same first letter or same last two): a
    kind of product the catalog does not have ("mattress"), not a typo of one it has ("matress", "kettel")."""
    word = word.lower()
    cur = await conn.execute("SELECT 1 FROM search_lexicon WHERE word = ANY(%s) LIMIT 1", [_forms(word)])
    if await cur.fetchone() is not None:
        return False
    if len(word) >= 7 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]  # a long plural is read as its singular: "ereaders" is one letter from "reader"
    limit = typo_limit(word)
    if limit == 0:
        return True
    cur = await conn.execute(
        "SELECT word FROM search_lexicon WHERE length(word) BETWEEN %s AND %s"
        " AND (left(word, 1) = %s OR right(word, 2) = %s)",
        [len(word) - limit, len(word) + limit, word[:1], word[-2:]],
    )
    return not any(edits_within(word, str(r["word"]), limit) for r in await cur.fetchall())


def _is_selective(flt: Filter) -> bool:
    priced = flt.min_price_minor is not None or flt.max_price_minor is not None
    return bool(flt.category or flt.options or flt.named or priced)


async def _admits_few(conn: Conn, where: sql.Composable, params: list[Any], cap: int) -> bool:
    """Whether fewer than ``cap`` products meet the filter. The planner's estimate settles a filter it
    reckons admits four times as many (at 50,000 products a count of "red", offered or named, took 8-10 ms
    where the estimate takes 0.3-0.6 ms and was 19,201 against 15,800); nearer than that, they are counted."""
    explain = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM products p WHERE {}").format(where)
    plan = await (await conn.execute(explain, params)).fetchone()
    if plan is not None and float(next(iter(plan.values()))[0]["Plan"]["Plan Rows"]) >= 4 * cap:
        return False
    query = sql.SQL("SELECT count(*) AS n FROM (SELECT 1 FROM products p WHERE {} LIMIT %s) s").format(where)
    row = await (await conn.execute(query, [*params, cap])).fetchone()
    return (int(row["n"]) if row else 0) < cap


async def search_ids(
    conn: Conn,
    query_vector: NDArray[np.float32] | Awaitable[NDArray[np.float32]] | None,
    text: str,
    flt: Filter,
    limit: int,
    mode: Mode = "hybrid",
    tuning: Tuning | None = None,
) -> list[tuple[str, float]]:
    """Ranked (product id, score) pairs for the query under the filter (see ``search_ranked``)."""
    ranked = await search_ranked(conn, query_vector, text, flt, limit, mode, tuning)
    return [(r.id, r.score) for r in ranked]


async def search_ranked(
    conn: Conn,
    query_vector: NDArray[np.float32] | Awaitable[NDArray[np.float32]] | None,
    text: str,
    flt: Filter,
    limit: int,
    mode: Mode = "hybrid",
    tuning: Tuning | None = None,
) -> list[Ranked]:
    """The products ranked for the query under the filter, with their similarity and text tier.

    ``query_vector`` may still be on its way (an awaitable): the full-text list is fetched meanwhile, so
    a new query's embedding and its text search overlap.
    """
    tuning = tuning or Tuning()
    where, params = product_condition(flt)
    candidates = max(tuning.candidates, limit)
    use_vector = mode in ("hybrid", "vector") and query_vector is not None
    use_text = mode in ("hybrid", "text") and bool(or_tsquery(text))
    if not use_vector and not use_text:
        return [Ranked(pid, score) for pid, score in await _browse(conn, where, params, limit)]
    lists: dict[str, list[tuple[str, float]]] = {}
    text_scores: dict[str, float] = {}
    tiers: dict[str, int] = {}
    similarity: dict[str, float] = {}
    async with conn.transaction():
        await _set_scan_options(conn, max(tuning.ef_search, candidates))
        if use_text:
            any_word = mode == "text" or tuning.text_any_weight > 0
            fixes = await corrections(conn, text, tuning.typo_similarity)
            matches = await _text_ids(
                conn, where, params, (text, fixes), tuning.text_match_cap, candidates, any_word
            )
            hits = [(product_id, tier) for product_id, tier, _ in matches]
            # alone, the list keeps its SQL order; fused, each tier has its weight
            weights = (1.0, 1.0) if mode == "text" else _text_weights(hits, tuning)
            lists["txt"] = [(product_id, weights[tier]) for product_id, tier in hits]
            text_scores = {product_id: score for product_id, _, score in matches}
            tiers = dict(hits)
        if use_vector:
            vector = await query_vector if inspect.isawaitable(query_vector) else query_vector
            assert vector is not None
            if _is_selective(flt) and await _admits_few(conn, where, params, EXACT_SCAN_BELOW):
                await conn.execute("SELECT set_config('enable_indexscan', 'off', true)")
            similarity = dict(await _vector_ids(conn, where, params, vector, candidates))
            lists["vec"] = [(pid, 1.0) for pid in similarity]
    if tuning.fusion == "rrf" or len(lists) < 2:
        fused = fuse(lists, tuning.rrf_k, limit)
    else:
        raw = {"txt": text_scores, "vec": similarity}
        scored = {
            name: [(pid, weight, raw[name][pid]) for pid, weight in entries]
            for name, entries in lists.items()
        }
        fused = fuse_scores(scored, tuning.fusion, limit)
    return [Ranked(pid, score, similarity.get(pid), tiers.get(pid)) for pid, score in fused]


def _text_weights(hits: list[tuple[str, int]], tuning: Tuning) -> tuple[float, float]:
    """The RRF weights of the full-text tiers. Every query word matching only a few products (a model
    number, a gauge and a length, a rare name) is a precise match, which the vector list cannot see: such a
    tier weighs ``selective_weight`` instead of ``text_weight``."""
    every_word = sum(1 for _, tier in hits if tier == 0)
    selective = 0 < every_word <= tuning.selective_matches and tuning.text_weight > 0  # 0: text is off
    return (max(tuning.text_weight, tuning.selective_weight) if selective else tuning.text_weight), (
        tuning.text_any_weight
    )


_iterative_scans: dict[tuple[str, int, str], bool] = {}


async def _set_scan_options(conn: Conn, ef_search: int) -> None:
    """HNSW's candidate list for this transaction, and iterative scans where pgvector has them (0.8 and
    later: an older one refuses the setting, and the exact scan then covers selective filters)."""
    key = (conn.info.host, conn.info.port, conn.info.dbname)
    if key not in _iterative_scans:
        cur = await conn.execute(
            "SELECT string_to_array(extversion, '.')::int[] >= ARRAY[0, 8] AS iterative"
            " FROM pg_extension WHERE extname = 'vector'"
        )
        row = await cur.fetchone()
        _iterative_scans[key] = bool(row and row["iterative"])
    options = "SELECT set_config('hnsw.ef_search', %s, true)"
    if _iterative_scans[key]:
        options += ", set_config('hnsw.iterative_scan', 'relaxed_order', true)"
    await conn.execute(options, [str(ef_search)])


def fuse(lists: dict[str, list[tuple[str, float]]], rrf_k: int, limit: int) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: score = sum over lists of weight / (k + rank), rank from 1, where
    each entry of a list carries its weight (full-text matches weigh by their tier)."""
    scores: dict[str, float] = {}
    for entries in lists.values():
        for rank, (product_id, weight) in enumerate(entries, 1):
            scores[product_id] = scores.get(product_id, 0.0) + weight / (rrf_k + rank)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit]


def fuse_scores(
    lists: dict[str, list[tuple[str, float, float]]], how: Literal["minmax", "zscore"], limit: int
) -> list[tuple[str, float]]:
    """Score-normalised fusion: each list's raw scores (entries are (product id, weight, raw score)) are
    normalised over that list, min-max to [0, 1] or to z-scores, and a product's fused score is the sum
    of weight x normalised score over the lists holding it. A list missing a product adds its floor (min-max:
    0, as its last entry; z-score: one below its lowest z, so being absent is worse than being last). A list
    whose scores are all equal (one precise match) scores them 1.

    On ``bench/data/retrieval_catalog`` hybrid nDCG@10 was 0.808 with min-max and 0.744 with z-scores,
    against 0.813 with RRF (text weight 1.5): RRF stays the default."""
    scores: dict[str, float] = {}
    missing: dict[str, float] = {}
    for name, entries in lists.items():
        if not entries:
            continue
        raw = np.array([score for _, _, score in entries], dtype=np.float64)
        if how == "minmax":
            span = float(raw.max() - raw.min())
            norm = (raw - raw.min()) / span if span > 0 else np.ones_like(raw)
        else:
            std = float(raw.std())
            norm = (raw - raw.mean()) / std if std > 0 else np.ones_like(raw)
            missing[name] = (float(norm.min()) - 1.0) * max(weight for _, weight, _ in entries)
        for (product_id, weight, _), value in zip(entries, norm.tolist(), strict=True):
            scores[product_id] = scores.get(product_id, 0.0) + weight * value
    if missing:  # z-scores: a product absent from a list gets that list's floor
        held = {name: {pid for pid, _, _ in entries} for name, entries in lists.items()}
        for product_id in scores:
            scores[product_id] += sum(
                floor for name, floor in missing.items() if product_id not in held[name]
            )
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit]


async def _vector_ids(
    conn: Conn, where: sql.Composable, params: list[Any], vector: NDArray[np.float32], candidates: int
) -> list[tuple[str, float]]:
    """(product id, cosine similarity) nearest first."""
    # the vector goes in binary as pgvector's vector; PostgreSQL casts it to the column's halfvec (or keeps
    # it, on a pgvector older than 0.7: migration 0009), and the HNSW index still serves the order
    query = sql.SQL(
        "SELECT p.id, p.embedding <=> %s AS distance FROM products p WHERE p.embedding IS NOT NULL AND {}"
        " ORDER BY distance LIMIT %s"
    ).format(where)
    cur = await conn.execute(query, [vector, *params, candidates])
    return [(str(r["id"]), 1.0 - float(r["distance"])) for r in await cur.fetchall()]


async def _text_ids(
    conn: Conn,
    where: sql.Composable,
    params: list[Any],
    query: tuple[str, dict[str, str]],
    cap: int,
    candidates: int,
    any_word: bool,
) -> list[tuple[str, int, float]]:
    """(product id, tier, score) in rank order: tier 0 matches every word, tier 1 (with ``any_word``) some;
    the score is ``ts_rank`` plus 1 when every word is in the title, category, brand or options (the order
    within a tier). The query is its text and the corrections of its unknown words."""
    text, fixes = query
    strong = and_tsquery(text, fixes, "AB")
    args = [and_tsquery(text, fixes), *params, cap, strong, candidates]
    if any_word:
        args += [or_tsquery(text, fixes), *params, cap, strong, candidates]
    cur = await conn.execute(_text_query(where, any_word), [*args, candidates])
    return [
        (str(r["id"]), int(r["tier"]), float(r["r"]) + (1.0 if r["strong"] else 0.0))
        for r in await cur.fetchall()
    ]


def _text_query(where: sql.Composable, any_word: bool) -> sql.Composed:
    """The full-text list: every-word matches rank above any-word matches; within a tier, products with
    every word in their title, category, brand or options (tsvector weights A and B) rank above those that
    need the description for some word, then by ``ts_rank``. Each tier ranks at most ``cap`` matching rows
    (a bitmap scan stops there) and keeps its best ``candidates``."""
    tier = (
        "(SELECT m.id, {tier} AS tier, m.search_tsv @@ s AS strong, ts_rank(m.search_tsv, m.q) AS r"
        " FROM (SELECT p.id, p.search_tsv, q FROM products p, to_tsquery('english', %s) q"
        " WHERE p.search_tsv @@ q AND {where} LIMIT %s) m, to_tsquery('english', %s) s"
        " ORDER BY strong DESC, r DESC LIMIT %s)"
    )
    tiers = [sql.SQL(tier).format(tier=sql.Literal(0), where=where)]
    if any_word:
        tiers.append(sql.SQL(tier).format(tier=sql.Literal(1), where=where))
    return sql.SQL(
        "SELECT id, tier, strong, r FROM"
        " (SELECT DISTINCT ON (id) id, tier, strong, r FROM ({}) u ORDER BY id, tier) d"
        " ORDER BY tier, strong DESC, r DESC, id LIMIT %s"
    ).format(sql.SQL(" UNION ALL ").join(tiers))


async def _browse(
    conn: Conn, where: sql.Composable, params: list[Any], limit: int
) -> list[tuple[str, float]]:
    query = sql.SQL("SELECT p.id FROM products p WHERE {} ORDER BY p.title, p.id LIMIT %s").format(where)
    cur = await conn.execute(query, [*params, limit])
    return [(str(r["id"]), 0.0) for r in await cur.fetchall()]
