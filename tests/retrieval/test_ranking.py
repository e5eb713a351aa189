"""Ranking on a hardware-store slice (issue 14): typos, field weights, product type over a shared modifier,
and the evaluation's BM25 column. Real PostgreSQL (pg_trgm, migration 0012), real MiniLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from elara_bot.catalog.importer import import_catalog
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from elara_bot.evaluation.retrieval import Bm25Baseline, Query, evaluate, evaluate_bm25
from retrieval.embedding import Embedder
from retrieval.search import corrections

TUNING = SearchSettings()


def _product(pid: str, title: str, category: str, description: str, **attributes: str) -> dict[str, Any]:
    return {
        "id": pid,
        "title": title,
        "description": description,
        "brand": title.split()[0],
        "category": category,
        "attributes": attributes,
        "variants": [{"sku": f"{pid}-1", "price_minor": 2500, "stock": 5}],
    }


SLICE = [
    _product(
        "hw-sponge",
        "Scotch-Brite Heavy Duty Scrub Sponge (12-Pack)",
        "Cleaning > Sponges & Scrubbers",
        "Tough on baked-on food. Great in the kitchen or the garage.",
    ),
    _product(
        "hw-swing",
        "Gorilla Playsets Wood Swing Set with Slide",
        "Outdoor > Playground > Swing Sets",
        "Two belt swings, a slide and a sandbox for the backyard.",
    ),
    _product(
        "hw-bath-sconce",
        "Kichler Bathroom Matte Black Wall Sconce KI-204-03",
        "Lighting > Wall Lights",
        "A 1-light sconce with a frosted glass shade.",
        model="KI-204-03",
    ),
    _product(
        "hw-porch-lantern",
        "Hampton Bay Outdoor Wall Lantern HA4521B",
        "Lighting > Wall Lights",
        "Outdoor wall light. Not only for the porch: a bathroom wall light look, bathroom wall light style"
        " for any bathroom, any wall, with a bright light.",
        model="HA4521B",
    ),
    _product(
        "hw-wire",
        "Southwire 50 ft. 10/3 Solid Copper NM-B Wire",
        "Electrical > Wire",
        "Indoor building wire for 30 amp circuits.",
        model="SO6599SS",
    ),
]


async def _load(conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "slice.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in SLICE))
    report = await import_catalog(conn, embedder, path, progress=False)
    assert report.loaded == len(SLICE)


async def _ids(conn: Conn, embedder: Embedder, text: str, mode: str = "hybrid") -> list[str]:
    result = await search_products(conn, embedder, text, mode=mode, log=False, settings=TUNING)  # type: ignore[arg-type]
    return [h.product.id for h in result.hits]


class TestTypos:
    async def test_an_unknown_word_is_read_as_the_nearest_catalog_word(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        await _load(conn, embedder, tmp_path)
        fixes = await corrections(conn, "heavy duty spaonges", 0.45)
        assert list(fixes) == ["spaonges"]  # "heavy" and "duty" are catalog words
        assert fixes["spaonges"] in ("sponge", "sponges")  # the slice's title, or a demo product's

    async def test_a_misspelled_product_finds_it_not_a_swing(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        await _load(conn, embedder, tmp_path)
        for mode in ("hybrid", "text"):
            ids = await _ids(conn, embedder, "spaonges", mode)
            assert ids, mode
            assert ids[0] == "hw-sponge", mode

    async def test_known_words_and_numbers_are_left_alone(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        await _load(conn, embedder, tmp_path)
        assert await corrections(conn, "10/3 wire 50 ft SO6599SS", 0.45) == {}
        assert await corrections(conn, "spaonges", 0) == {}


class TestFieldWeights:
    async def test_the_title_outranks_a_description_repeating_the_words(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        # both match every word; the lantern says "bathroom wall light" four times, only in its description
        await _load(conn, embedder, tmp_path)
        ids = await _ids(conn, embedder, "bathroom wall light", "text")
        assert ids.index("hw-bath-sconce") < ids.index("hw-porch-lantern")

    async def test_hybrid_puts_the_bathroom_light_first(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        await _load(conn, embedder, tmp_path)
        assert (await _ids(conn, embedder, "bathroom wall light"))[0] == "hw-bath-sconce"


class TestAttributes:
    async def test_a_model_number_kept_only_in_the_attributes_is_found(
        self, conn: Conn, embedder: Embedder, tmp_path: Path
    ) -> None:
        # the wire's title and description do not name its model: migration 0013 indexes attribute values
        await _load(conn, embedder, tmp_path)
        for mode in ("text", "hybrid"):
            assert (await _ids(conn, embedder, "SO6599SS", mode))[:1] == ["hw-wire"], mode


class TestEvaluationColumns:
    async def test_bm25_and_hybrid_side_by_side(self, conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
        await _load(conn, embedder, tmp_path)
        queries = [
            Query(id="m1", text="HA4521B", kind="model-number"),
            Query(id="k1", text="wall sconce", kind="keyword"),
            Query(id="t1", text="spaonges", kind="misspelled"),
        ]
        qrels = {
            "m1": {"hw-porch-lantern": 2},
            "k1": {"hw-bath-sconce": 2, "hw-porch-lantern": 1},
            "t1": {"hw-sponge": 2},
        }
        bm25 = evaluate_bm25(Bm25Baseline(SLICE), queries, qrels)
        hybrid = await evaluate(conn, embedder, queries, qrels, "hybrid", settings=TUNING)
        assert (bm25.mode, bm25.queries, hybrid.queries) == ("bm25", 3, 3)
        assert set(bm25.ndcg_by_kind) == set(hybrid.ndcg_by_kind) == {"model-number", "keyword", "misspelled"}
        # BM25 matches the model number and the name, but has no word for a typo; hybrid has all three
        assert bm25.ndcg_by_kind["model-number"] == 1.0
        assert bm25.ndcg_by_kind["misspelled"] == 0.0
        assert hybrid.ndcg_by_kind["misspelled"] == 1.0
        assert hybrid.ndcg_at_10 > bm25.ndcg_at_10
