"""Search that knows when nothing matches: the relevance floor, relaxed constraints and their alternatives,
through the service, the search API and the chat (offline model)."""

from __future__ import annotations

from pathlib import Path

import httpx

from elara_bot.catalog.schemas import SearchFilters
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from elara_bot.evaluation.retrieval import read_qrels, read_queries
from retrieval.embedding import Embedder

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "bench" / "data" / "retrieval_dev"
OFF_TOPIC = ROOT / "bench" / "data" / "retrieval_offtopic" / "queries.jsonl"
CATALOG = ROOT / "elara_bot" / "data" / "demo" / "catalog.jsonl"
TUNING = SearchSettings(result_cache_s=0)
YOGA_MAT = "4635925001"
RUNNING_SHOES = "6938111410"


def demo_words() -> str:
    """Every word of the demo catalog, lower-cased (titles, categories, descriptions, options)."""
    return CATALOG.read_text(encoding="utf-8").lower()


class TestRelevanceFloor:
    def test_off_topic_list_names_things_the_demo_store_does_not_sell(self) -> None:
        queries = read_queries(OFF_TOPIC)
        assert len(queries) >= 30
        words = demo_words()
        for noun in ("tent", "tyre", "piano", "insurance", "salmon", "diaper", "mortgage", "guitar", "sofa"):
            assert noun not in words

    async def test_most_off_topic_queries_return_nothing(self, conn: Conn, embedder: Embedder) -> None:
        queries = read_queries(OFF_TOPIC)
        empty = []
        for query in queries:
            result = await search_products(conn, embedder, query.text, limit=100, settings=TUNING, log=False)
            if not result.hits:
                empty.append(query.text)
                assert result.constraints.unmatched == [result.query]
                assert result.note
                assert "Nothing in this store matches" in result.note
        assert len(empty) / len(queries) >= 0.75  # measured: 28 of 36; 33 since issue 13's unknown kinds
        assert {"piano lessons", "dog food", "a tent", "insurance", "mortgage rates"} <= set(empty)

    async def test_dev_queries_keep_every_relevant_product(self, conn: Conn, embedder: Embedder) -> None:
        qrels = read_qrels(DEV / "qrels.tsv")
        for query in read_queries(DEV / "queries.jsonl"):
            relevant = {pid for pid, grade in qrels.get(query.id, {}).items() if grade > 0}
            result = await search_products(conn, embedder, query.text, limit=100, settings=TUNING, log=False)
            assert relevant <= {h.product.id for h in result.hits}, query.text

    async def test_generic_wish_browses_instead_of_meeting_the_floor(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        result = await search_products(conn, embedder, "a gift", limit=20, settings=TUNING, log=False)
        assert len(result.hits) == 20

    async def test_floor_off_returns_the_nearest_anyway(self, conn: Conn, embedder: Embedder) -> None:
        off = TUNING.model_copy(update={"min_similarity": -1.0, "item_min_similarity": -1.0})
        assert (await search_products(conn, embedder, "insurance", settings=off, log=False)).hits
        assert not (await search_products(conn, embedder, "insurance", settings=TUNING, log=False)).hits


class TestRelaxedConstraints:
    async def test_price_that_empties_the_result_is_relaxed_to_the_cheapest(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        result = await search_products(conn, embedder, "yoga mat under $50", settings=TUNING, log=False)
        assert result.hits == []
        assert [c.kind for c in result.constraints.relaxed] == ["price"]
        assert result.constraints.relaxed[0].text == "under $50"
        assert result.constraints.relaxed[0].max_price_minor == 5000
        assert result.constraints.applied == []
        first = result.alternatives[0]
        assert first.product.id == YOGA_MAT
        cheapest = min(v.price_minor for v in first.product.variants)
        assert first.matching_variants[0].price_minor == cheapest > 5000
        assert result.note == f"No yoga mat under $50; the cheapest is Yoga Mat at ${cheapest / 100:.2f}."

    async def test_price_parameter_is_named_in_the_store_currency(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        flt = SearchFilters(max_price_minor=5000)
        result = await search_products(
            conn, embedder, "yoga mat", flt, settings=TUNING, log=False, currency="USD"
        )
        relaxed = result.constraints.relaxed[0]
        assert (relaxed.source, relaxed.text) == ("parameter", "under $50.00")
        assert result.alternatives[0].product.id == YOGA_MAT

    async def test_size_not_stocked_offers_the_sizes_in_stock(self, conn: Conn, embedder: Embedder) -> None:
        result = await search_products(conn, embedder, "running shoes size 13", settings=TUNING, log=False)
        assert result.hits == []
        relaxed = result.constraints.relaxed
        assert [(c.kind, c.key, c.values, c.text) for c in relaxed] == [("option", "size", ["13"], "size 13")]
        first = result.alternatives[0]
        assert first.product.id == RUNNING_SHOES
        assert first.matching_variants
        assert all(v.in_stock for v in first.matching_variants)
        sizes = sorted({v.options["size"] for v in first.matching_variants}, key=float)
        assert (
            result.note
            == f"No running shoes in size 13; Running Shoes is in stock in size {', '.join(sizes)}."
        )

    async def test_only_the_constraint_that_empties_it_is_relaxed(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        result = await search_products(
            conn, embedder, "running shoes size 13 under $200", settings=TUNING, log=False
        )
        assert [c.kind for c in result.constraints.relaxed] == ["option"]
        assert [c.kind for c in result.constraints.applied] == ["price"]
        assert all(v.price_minor <= 20000 for h in result.alternatives for v in h.matching_variants)

    async def test_matches_report_their_applied_constraints(self, conn: Conn, embedder: Embedder) -> None:
        result = await search_products(conn, embedder, "hiking boots under $200", settings=TUNING, log=False)
        assert result.hits
        assert result.alternatives == []
        assert result.note is None
        assert [(c.kind, c.text, c.source) for c in result.constraints.applied] == [
            ("price", "under $200", "query")
        ]
        assert result.constraints.relaxed == []
        assert result.constraints.unmatched == []

    async def test_unsold_product_under_a_budget_is_unmatched_not_relaxed(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        result = await search_products(conn, embedder, "a tent under $50", settings=TUNING, log=False)
        assert result.hits == []
        assert result.alternatives == []
        assert result.constraints.unmatched == ["a tent"]
        assert result.note == "Nothing in this store matches “tent”."


class TestSearchApi:
    async def test_relaxed_price_and_alternative_in_the_response(self, service: str) -> None:
        async with httpx.AsyncClient(base_url=service) as client:
            resp = await client.get("/api/v1/products/search", params={"q": "yoga mat under $50"})
        assert resp.status_code == 200
        body = resp.json()
        assert body["hits"] == []
        assert body["filters"]["max_price_minor"] == 5000
        assert body["constraints"]["relaxed"][0]["kind"] == "price"
        assert body["constraints"]["applied"] == []
        assert body["constraints"]["unmatched"] == []
        assert body["alternatives"][0]["product"]["id"] == YOGA_MAT
        assert body["note"].startswith("No yoga mat under $50; the cheapest is Yoga Mat at $")

    async def test_off_topic_query_answers_unmatched(self, service: str) -> None:
        async with httpx.AsyncClient(base_url=service) as client:
            resp = await client.get(
                "/api/v1/products/search", params={"q": "piano lessons", "max_price": "50"}
            )
        body = resp.json()
        assert body["hits"] == []
        assert body["alternatives"] == []
        assert body["constraints"]["unmatched"] == ["piano lessons"]
        assert [c["source"] for c in body["constraints"]["applied"]] == ["parameter"]

    async def test_openapi_documents_the_constraints(self, service: str) -> None:
        async with httpx.AsyncClient(base_url=service) as client:
            schema = (await client.get("/openapi.json")).json()
        response = schema["components"]["schemas"]["SearchResponse"]
        assert {"constraints", "alternatives", "note", "hits", "filters", "query"} <= set(
            response["properties"]
        )
        examples = response["examples"]
        assert any(e["constraints"]["relaxed"] and e["alternatives"] for e in examples)
        assert any(e["constraints"]["unmatched"] for e in examples)


class TestChat:
    def test_offline_model_says_nothing_matched_and_names_the_cheapest(self, service: str) -> None:
        with httpx.Client(base_url=service, timeout=60) as client:
            token = client.post("/api/v1/sessions").json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            reply = client.post("/api/v1/chat", json={"message": "a yoga mat under $50"}, headers=auth)
            assert reply.status_code == 200
            body = reply.json()
            product = client.get(f"/api/v1/products/{YOGA_MAT}").json()
        cheapest = min(v["price_minor"] for v in product["variants"])
        assert "No yoga mat under $50" in body["text"]
        assert f"the cheapest is Yoga Mat at ${cheapest / 100:.2f}" in body["text"]
        assert "Here is what I found" not in body["text"]
        assert not [part for part in body["parts"] if part["type"] == "product_cards"]


class TestNamedProductType:
    """In the chat a query naming a kind of product the catalog has matches only that kind."""

    async def test_only_the_kind_named_is_a_match_and_an_emptied_kind_says_so(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        async def titles(query: str) -> list[str]:
            found = await search_products(
                conn, embedder, query, limit=5, settings=TUNING, log=False, only_named_type=True
            )
            return [hit.product.title for hit in found.hits]

        assert await titles("notebooks?") == ["Notebook"]
        assert sorted(await titles("kettles please")) == ["Electric Kettle", "Tea Kettle"]
        assert await titles("a warm jacket for hiking") == ["Fleece Jacket"]
        emptied = await search_products(
            conn,
            embedder,
            "laptop under 500 dollars",
            limit=5,
            settings=TUNING,
            log=False,
            only_named_type=True,
        )
        assert emptied.hits == []
        assert emptied.note is not None
        assert "laptop" in emptied.note.lower()
        assert [a.product.title for a in emptied.alternatives] == ["Laptop"]

    async def test_the_search_api_ranks_related_kinds_as_before(self, conn: Conn, embedder: Embedder) -> None:
        found = await search_products(conn, embedder, "notebooks?", limit=5, settings=TUNING, log=False)
        assert len(found.hits) > 1  # related products still rank (a search page shows them)

    def test_the_kind_is_the_last_one_named(self) -> None:
        from elara_bot.catalog.service import named_type

        terms = frozenset({"laptop", "backpack", "coffee maker", "coffee"})
        assert named_type("a laptop backpack", terms) == "backpack"
        assert named_type("coffee makers under $100", terms) == "coffee maker"
        assert named_type("something for my desk", terms) is None
        assert named_type("a backpack with a laptop compartment, navy", terms) == "backpack"
        assert named_type("a laptop with a backpack included", terms) == "laptop"
        assert named_type("anything with a laptop sleeve", terms) == "laptop"  # no kind before the "with"
