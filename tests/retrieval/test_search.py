"""Hybrid search against the demo catalog (real PostgreSQL + pgvector, real MiniLM)."""

from __future__ import annotations

from pathlib import Path

from elara_bot.catalog.cache import SearchCaches
from elara_bot.catalog.schemas import SearchFilters
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from retrieval.embedding import Embedder

HIKING_BOOTS = "7363354090"
DEV = Path(__file__).resolve().parents[2] / "bench" / "data" / "retrieval_dev"

TUNING = SearchSettings()  # the defaults of ELARA_SEARCH__*, passed as every caller must


async def test_acceptance_waterproof_boots_under_200(conn: Conn, embedder: Embedder) -> None:
    result = await search_products(conn, embedder, "waterproof boots under 200", settings=TUNING)
    assert result.filters.max_price_minor == 20000
    assert result.hits[0].product.title == "Hiking Boots"
    assert result.hits[0].matching_variants
    assert all(v.price_minor <= 20000 for v in result.hits[0].matching_variants)
    for hit in result.hits:
        assert hit.product.price_min_minor <= 20000


async def test_each_mode_finds_espresso(conn: Conn, embedder: Embedder) -> None:
    for mode in ("hybrid", "vector", "text"):
        result = await search_products(
            conn, embedder, "espresso machine", mode=mode, log=False, settings=TUNING
        )
        assert "Espresso Machine" in [h.product.title for h in result.hits[:3]], mode


async def test_price_filters(conn: Conn, embedder: Embedder) -> None:
    flt = SearchFilters(min_price_minor=10000, max_price_minor=30000)
    result = await search_products(conn, embedder, "gift", flt, limit=20, settings=TUNING)
    assert result.hits
    for hit in result.hits:
        assert hit.matching_variants
        assert all(10000 <= v.price_minor <= 30000 for v in hit.matching_variants)


async def test_category_and_stock_filters(conn: Conn, embedder: Embedder) -> None:
    flt = SearchFilters(category="electronics > audio", in_stock=True)
    result = await search_products(conn, embedder, "music", flt, limit=10, settings=TUNING)
    titles = {h.product.title for h in result.hits}
    assert titles <= {"Bluetooth Speaker", "Wireless Earbuds", "Headphones"}
    assert titles
    for hit in result.hits:
        assert all(v.in_stock for v in hit.matching_variants)


async def test_option_filter_via_parsed_colour_and_size(conn: Conn, embedder: Embedder) -> None:
    result = await search_products(conn, embedder, "blue t-shirt size M", settings=TUNING)
    assert result.filters.options == {"size": ["M"], "color": ["blue"]}
    assert result.hits[0].product.title == "T-Shirt"
    for hit in result.hits:
        assert hit.matching_variants
        for v in hit.matching_variants:
            assert v.options["size"] == "M"
            assert "blue" in [value for key, value in v.options.items() if key.endswith("color")]


async def test_combination_nobody_offers_returns_nothing(conn: Conn, embedder: Embedder) -> None:
    # The demo catalog has no red T-shirt in XL (nor any other red XL variant).
    result = await search_products(conn, embedder, "red t-shirt size XL", settings=TUNING)
    assert result.hits == []


async def test_selective_filter_still_returns_limit(conn: Conn, embedder: Embedder) -> None:
    # Only a handful of products have variants under $60: an HNSW scan alone would starve.
    cur = await conn.execute("SELECT count(DISTINCT product_id) AS n FROM variants WHERE price_minor <= 6000")
    row = await cur.fetchone()
    assert row is not None
    available = int(row["n"])
    assert 3 <= available < 20
    no_floor = TUNING.model_copy(update={"min_similarity": -1.0, "item_min_similarity": -1.0})
    result = await search_products(
        conn, embedder, "laptop", SearchFilters(max_price_minor=6000), limit=available, settings=no_floor
    )
    assert len(result.hits) == available  # (with the relevance floor: none, a laptop costs more)


async def test_search_is_logged(conn: Conn, embedder: Embedder) -> None:
    result = await search_products(conn, embedder, "yoga mat in stock", settings=TUNING)
    cur = await conn.execute(
        "SELECT query, filters, result_ids, in_stock_ids FROM search_log ORDER BY id DESC LIMIT 1"
    )
    row = await cur.fetchone()
    assert row is not None
    assert row["query"] == "yoga mat in stock"
    assert row["filters"] == {"in_stock": True}
    assert row["result_ids"] == [h.product.id for h in result.hits]


async def test_a_remembered_ranking_still_shows_current_stock_and_prices(
    conn: Conn, embedder: Embedder
) -> None:
    """With the ranking cache on (the search API's setting), a repeated query reuses the ranking but reads
    products afresh: a variant sold out since is no longer offered under an in-stock filter, a new price
    shows at once, and a catalog import forgets every ranking."""
    caches = SearchCaches()
    cached = SearchSettings(result_cache_s=60)
    flt = SearchFilters(in_stock=True)
    first = await search_products(conn, embedder, "headphones", flt, limit=5, settings=cached, caches=caches)
    top = first.hits[0]
    sold_out = [v.sku for v in top.matching_variants]
    await conn.execute("UPDATE variants SET stock = 0 WHERE sku = ANY(%s)", [sold_out])
    await conn.execute(
        "UPDATE variants SET price_minor = price_minor + 100 WHERE product_id = %s", [top.product.id]
    )
    again = await search_products(conn, embedder, "headphones", flt, limit=5, settings=cached, caches=caches)
    assert top.product.id not in [h.product.id for h in again.hits]  # nothing of it is in stock now
    assert [h.product.id for h in again.hits] == [
        h.product.id for h in first.hits[1:]
    ]  # the remembered order
    everything = await search_products(conn, embedder, "headphones", limit=5, settings=cached, caches=caches)
    fresh = {v.sku: v.price_minor for h in everything.hits for v in h.product.variants}
    assert all(fresh[v.sku] == v.price_minor + 100 for v in top.product.variants if v.sku in fresh)
    caches.clear()  # what an import does: the next search ranks in SQL, where the filter excludes it too
    ranked_again = await search_products(
        conn, embedder, "headphones", flt, limit=5, settings=cached, caches=caches
    )
    assert top.product.id not in [h.product.id for h in ranked_again.hits]


async def test_one_option_is_decided_on_the_product_row(conn: Conn, embedder: Embedder) -> None:
    """A single option needs no per-variant test in SQL (the product keeps its variants' terms), yet every
    hit still offers it, in each of the three modes."""
    for mode in ("hybrid", "vector", "text"):
        result = await search_products(
            conn,
            embedder,
            "shirt",
            SearchFilters(options={"color": ["red"]}),
            limit=20,
            mode=mode,
            log=False,
            settings=TUNING,
        )
        assert result.hits, mode
        for hit in result.hits:
            assert hit.matching_variants
            assert all(
                "red" in [value.lower() for key, value in v.options.items() if key.endswith("color")]
                for v in hit.matching_variants
            )


async def test_a_product_without_active_variants_is_not_found(conn: Conn, embedder: Embedder) -> None:
    before = await search_products(conn, embedder, "hiking boots", limit=5, log=False, settings=TUNING)
    assert before.hits[0].product.id == HIKING_BOOTS
    await conn.execute("UPDATE variants SET active = false WHERE product_id = %s", [HIKING_BOOTS])
    await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit would run: the count drops to 0
    for mode in ("hybrid", "vector", "text"):
        after = await search_products(
            conn, embedder, "hiking boots", limit=5, mode=mode, log=False, settings=TUNING
        )
        assert HIKING_BOOTS not in [h.product.id for h in after.hits], mode
        assert after.hits, mode


async def test_evaluation_searches_with_the_given_settings(conn: Conn, embedder: Embedder) -> None:
    """`elara eval retrieval` scores the operator's tuning: weighing any-word matches changes rankings."""
    from elara_bot.config import SearchSettings
    from elara_bot.evaluation.retrieval import evaluate, read_qrels, read_queries

    queries, qrels = read_queries(DEV / "queries.jsonl"), read_qrels(DEV / "qrels.tsv")
    default = await evaluate(conn, embedder, queries, qrels, "hybrid")
    weighted = await evaluate(
        conn, embedder, queries, qrels, "hybrid", settings=SearchSettings(text_any_weight=0.3)
    )
    assert default.ndcg_at_10 > weighted.ndcg_at_10


FLEECE_JACKET = "8560156827"
PET_BED = "2747247837"


async def test_an_option_word_in_a_title_does_not_filter_the_product_away(
    conn: Conn, embedder: Embedder
) -> None:
    """Fleece is a material of the pet bed and the name of the jacket (which has no material option): the
    word stays in the text and the jacket is found, whole; products offering fleece keep only those."""
    result = await search_products(conn, embedder, "fleece jacket", log=False, settings=TUNING)
    assert result.query == "fleece jacket"
    assert result.filters.options == {"material": ["fleece"]}
    top = result.hits[0]
    assert top.product.id == FLEECE_JACKET
    assert {v.sku for v in top.matching_variants} == {v.sku for v in top.product.variants}
    for hit in result.hits:
        if any("material" in v.options for v in hit.product.variants):
            assert hit.matching_variants
            assert all(v.options["material"] == "fleece" for v in hit.matching_variants)


async def test_an_option_word_still_narrows_the_products_that_offer_it(
    conn: Conn, embedder: Embedder
) -> None:
    bed = await search_products(conn, embedder, "fleece pet bed", log=False, settings=TUNING)
    assert bed.hits[0].product.id == PET_BED
    assert bed.hits[0].matching_variants
    assert all(v.options["material"] == "fleece" for v in bed.hits[0].matching_variants)
    red = await search_products(conn, embedder, "red fleece jacket", log=False, settings=TUNING)
    assert red.hits[0].product.id == FLEECE_JACKET
    assert red.hits[0].matching_variants
    assert all(v.options["color"] == "red" for v in red.hits[0].matching_variants)


async def test_a_number_without_a_money_cue_is_a_search_word(conn: Conn, embedder: Embedder) -> None:
    """The "500-1000" (puzzle pieces) once became a $500-$1000 filter that no puzzle passed."""
    result = await search_products(conn, embedder, "jigsaw puzzle 500-1000", log=False, settings=TUNING)
    assert result.filters.min_price_minor is None
    assert result.filters.max_price_minor is None
    assert result.query == "jigsaw puzzle 500-1000"
    assert result.hits[0].product.title == "Jigsaw Puzzle"


async def test_a_negated_floor_is_a_ceiling(conn: Conn, embedder: Embedder) -> None:
    result = await search_products(
        conn, embedder, "headphones, I can't go over 350 bucks", log=False, settings=TUNING
    )
    assert (result.filters.min_price_minor, result.filters.max_price_minor) == (None, 35000)
    assert result.hits[0].product.title == "Headphones"
    for hit in result.hits:
        assert hit.matching_variants
        assert all(v.price_minor <= 35000 for v in hit.matching_variants)


async def test_a_word_that_is_a_colour_and_a_material_filters_neither(conn: Conn, embedder: Embedder) -> None:
    """Stainless steel is the coffee maker's colour and the water bottle's material: read alone as either, it
    would rule out the products that offer it as the other. With the product named, it is that product's
    option (issue 13: "stainless steel kettle" is a kettle's material)."""
    for query, title in (("stainless steel", "Water Bottle"), ("wood", "Bookshelf")):
        result = await search_products(conn, embedder, query, limit=20, log=False, settings=TUNING)
        assert result.filters.options == {}, query
        assert title in [h.product.title for h in result.hits], query
    for query, title, option in (
        ("stainless steel water bottle", "Water Bottle", {"material": ["stainless steel"]}),
        ("wood bookshelf", "Bookshelf", {"material": ["wood"]}),
    ):
        result = await search_products(conn, embedder, query, log=False, settings=TUNING)
        assert result.filters.options == option, query
        assert result.hits[0].product.title == title, query
