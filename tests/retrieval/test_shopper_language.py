"""Ordinary shopper language in the search (issue 13): budgets said after the number ("100 tops"), letter
sizes ("t-shirts in M?"), the catalog's own option values read whole and tied to their key ("the 100W warm
white bulb", "brown frame", "wireless" for a mouse), and a product the store does not sell asked for by what
it is for ("a mattress for a queen size bed" is no pet bed). Through ``search_products`` on the demo store,
as the chat (``only_named_type``) and the search API ask."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from retrieval.embedding import Embedder
from retrieval.options import catalog_measure, kind_of
from retrieval.query_parser import load_vocabulary, parse_query
from tests.retrieval.test_query_parser import DEMO, DEMO_CATALOG

TUNING = SearchSettings(result_cache_s=0)


async def _chat(conn: Conn, embedder: Embedder, query: str, **kwargs: Any) -> Any:
    return await search_products(
        conn, embedder, query, limit=5, settings=TUNING, log=False, only_named_type=True, **kwargs
    )


def _demo_products() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO_CATALOG.read_text(encoding="utf-8").splitlines()]


def _values(variant: Any, key: str) -> set[str]:
    return {
        v.lower() for k, v in variant.options.items() if k.lower() == key or k.lower().endswith(" " + key)
    }


async def test_the_vocabulary_read_from_the_database_is_the_catalogs(conn: Conn) -> None:
    """What the search reads from PostgreSQL is what the table's demo rows are read with: every option
    key and value, the products offering each, and the words naming kinds of product."""
    loaded = await load_vocabulary(conn)
    assert loaded.values == DEMO.values
    assert loaded.offered_by == DEMO.offered_by
    assert loaded.kinds == DEMO.kinds
    assert {"frame color", "lens color", "color temperature", "connectivity", "pieces"} <= set(loaded.values)


def test_every_option_of_the_store_said_with_its_key_is_read_as_that_option() -> None:
    """Each value of each option of the demo store, said with its key ("Sunglasses, frame color brown",
    "LED Light Bulb, brightness 100W equivalent", "Jigsaw Puzzle, 1000 pieces"), is read as that key's."""
    missed = []
    for product in _demo_products():
        said: set[tuple[str, str]] = set()
        for variant in product["variants"]:
            for key, value in variant["options"].items():
                if (key, value) in said or value.lower() in ("none", "no", "yes"):
                    continue  # "no"/"yes"/"none" are no wish of their own
                said.add((key, value))
                unit = re.fullmatch(r"\d+", value) and catalog_measure(key, value)
                text = f"{product['title']}, {value} {key}" if unit else f"{product['title']}, {key} {value}"
                options = {k: [v.lower() for v in vs] for k, vs in parse_query(text, DEMO).options.items()}
                if value.lower() not in options.get(key.lower(), []):
                    missed.append((text, options))
    assert not missed
    assert len(said) > 5


def test_every_option_value_named_with_its_product_is_read_as_that_products() -> None:
    """Each value of a product's options said before its name ("wireless gaming mouse", "polarized
    sunglasses", "rgb mechanical keyboard") is read as that product's option (its key, or the kind its keys
    share: "brown" sunglasses, frame or lenses). One letter is a size only with a cue ("in M")."""
    missed = []
    for product in _demo_products():
        keys: dict[str, set[str]] = {}
        for variant in product["variants"]:
            for key, value in variant["options"].items():
                keys.setdefault(value.lower(), set()).add(key.lower())
        for value, owners in keys.items():
            if value in ("none", "no", "yes") or re.fullmatch(r"\d+|[sml]", value):
                continue
            text = f"{value} {product['title'].lower()}"
            options = parse_query(text, DEMO).options
            read = [k for k, vs in options.items() if value in [v.lower() for v in vs]]
            if not any(k in owners or all(kind_of(o) == k for o in owners) for k in read):
                missed.append((text, owners, options))
    assert not missed


class TestBudgetsSaidAfterTheNumber:
    @pytest.mark.parametrize(
        ("query", "low", "high", "title"),
        [
            ("kettle for the stove, 100 tops", None, 10000, "Tea Kettle"),
            ("a water bottle, 50 max", None, 5000, "Water Bottle"),
            ("t-shirt 50 or under", None, 5000, "T-Shirt"),
            ("desk lamp 150 at the most", None, 15000, "Desk Lamp"),
            ("running shoes, 150 and no more", None, 15000, "Running Shoes"),
            ("a tea kettle, 100 is my limit", None, 10000, "Tea Kettle"),
            ("headphones 350 and up", 35000, None, "Headphones"),
            ("a backpack from 200", 20000, None, "Backpack"),
            ("sunglasses, max 290", None, 29000, "Sunglasses"),
        ],
    )
    async def test_the_bound_filters_the_variants(
        self, conn: Conn, embedder: Embedder, query: str, low: int | None, high: int | None, title: str
    ) -> None:
        result = await _chat(conn, embedder, query)
        assert (result.filters.min_price_minor, result.filters.max_price_minor) == (low, high)
        assert [hit.product.title for hit in result.hits] == [title]
        for variant in result.hits[0].matching_variants:
            assert (low or 0) <= variant.price_minor <= (high or 10**9)


class TestOptionsInTheShoppersWords:
    @pytest.mark.parametrize(
        ("query", "title", "wanted"),
        [
            ("t shirts in M?", "T-Shirt", {"size": "m"}),
            ("a tshirt in L please", "T-Shirt", {"size": "l"}),
            ("fleece jacket in m", "Fleece Jacket", {"size": "m"}),
            ("an XL fleece jacket", "Fleece Jacket", {"size": "xl"}),
            ("a medium t-shirt", "T-Shirt", {"size": "m"}),
            ("a large backpack", "Backpack", {"size": "large"}),
            ("add the 100W warm white bulb", "LED Light Bulb", {"brightness": "100w equivalent"}),
            ("a warm white light bulb", "LED Light Bulb", {"color temperature": "warm white"}),
            ("sunglasses with a brown frame", "Sunglasses", {"frame color": "brown"}),
            ("sunglasses with brown lenses", "Sunglasses", {"lens color": "brown"}),
            ("a 1.5 litre electric kettle", "Electric Kettle", {"capacity": "1.5l"}),
            ("2 liter tea kettle", "Tea Kettle", {"capacity": "2 liters"}),
            ("500 piece jigsaw puzzle", "Jigsaw Puzzle", {"pieces": "500"}),
            ("a half-zip fleece jacket", "Fleece Jacket", {"zipper": "half"}),
            ("laptop with 16gb ram", "Laptop", {"ram": "16gb"}),
            ("a wristwatch with a leather strap", "Wristwatch", {"strap material": "leather"}),
            ("gaming mouse, wireless", "Gaming Mouse", {"connectivity": "wireless"}),
            ("a wireless gaming mouse", "Gaming Mouse", {"connectivity": "wireless"}),
            ("headphones, wireless please", "Headphones", {"connectivity": "wireless"}),
            ("wired headphones", "Headphones", {"connectivity": "wired"}),
            ("a stainless steel tea kettle", "Tea Kettle", {"material": "stainless steel"}),
        ],
    )
    async def test_the_value_chooses_the_variants(
        self, conn: Conn, embedder: Embedder, query: str, title: str, wanted: dict[str, str]
    ) -> None:
        result = await _chat(conn, embedder, query)
        assert [hit.product.title for hit in result.hits] == [title]
        variants = result.hits[0].matching_variants
        assert variants
        for key, value in wanted.items():
            assert all(value in _values(v, key) for v in variants), (key, value)

    async def test_an_option_of_another_kind_chooses_only_among_the_products_that_have_it(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        """ "wireless" (connectivity) keeps the wireless headphones and the speaker and earbuds, which have no
        such choice, whole; a 1.5 litre wish rules out the water bottle, whose capacities are others."""
        result = await search_products(
            conn, embedder, "a wireless speaker or headphones", limit=10, settings=TUNING, log=False
        )
        assert result.filters.options == {"connectivity": ["wireless"]}
        by_title = {hit.product.title: hit for hit in result.hits}
        assert {v.options["connectivity"] for v in by_title["Headphones"].matching_variants} == {"wireless"}
        speaker = by_title["Bluetooth Speaker"]
        assert len(speaker.matching_variants) == len(speaker.product.variants)
        assert "Wireless Earbuds" in by_title
        assert "LED Light Bulb" not in by_title  # Bluetooth, Wi-Fi or none
        litres = await search_products(
            conn, embedder, "a 1.5 litre kettle", limit=20, settings=TUNING, log=False
        )
        titles = [hit.product.title for hit in litres.hits]
        assert {"Electric Kettle", "Tea Kettle"} <= set(titles[:3])
        assert "Water Bottle" not in titles

    async def test_warm_white_is_no_white(self, conn: Conn, embedder: Embedder) -> None:
        """ "white" inside "warm white" is no colour: the bulb, which has no colour option, is found by its
        colour temperature and the chosen variants are all 100W warm white ones."""
        result = await _chat(conn, embedder, "add the 100W warm white bulb")
        assert "color" not in result.filters.options
        assert result.filters.options == {
            "brightness": ["100w equivalent"],
            "color temperature": ["warm white"],
        }
        for variant in result.hits[0].matching_variants:
            assert variant.options["brightness"] == "100W equivalent"
            assert variant.options["color temperature"] == "warm white"

    async def test_the_brown_frame_is_not_the_brown_lenses(self, conn: Conn, embedder: Embedder) -> None:
        frame = await _chat(conn, embedder, "sunglasses with a brown frame")
        lenses = await _chat(conn, embedder, "sunglasses with brown lenses")
        framed = {v.sku for v in frame.hits[0].matching_variants}
        lensed = {v.sku for v in lenses.hits[0].matching_variants}
        assert framed != lensed
        assert all(v.options["lens color"] == "brown" for v in lenses.hits[0].matching_variants)

    async def test_a_size_letter_is_no_litre_and_no_size_of_a_kettle(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        litres = await _chat(conn, embedder, "kettle in 1.5 L")
        assert "size" not in litres.filters.options
        assert {h.product.title for h in litres.hits} == {"Electric Kettle", "Tea Kettle"}
        assert all("1.5" in v.options["capacity"] for h in litres.hits for v in h.matching_variants)
        large = await _chat(conn, embedder, "a large kettle")
        assert large.filters.options == {}
        assert {h.product.title for h in large.hits} == {"Electric Kettle", "Tea Kettle"}


class TestWhatItIsForIsNoMatch:
    @pytest.mark.parametrize(
        ("unsold", "sold", "title"),
        [
            ("a mattress for a queen size bed", "a bed for my dog", "Pet Bed"),
            ("mattress for a queen size bed", "a pet bed for a large dog", "Pet Bed"),
            ("a duvet for the bed", "a charger for my phone", "Portable Charger"),
            ("a stand for my laptop", "a backpack for my laptop", "Backpack"),
            ("a leash for my dog bed", "a bag for my laptop on the commute", "Backpack"),
            ("matress for my bed", "shoes for jogging", "Running Shoes"),
            ("I need a mattress for my bed", "a kettle for the stove", "Tea Kettle"),
        ],
    )
    async def test_the_unsold_product_matches_nothing_and_says_so(
        self, conn: Conn, embedder: Embedder, unsold: str, sold: str, title: str
    ) -> None:
        for only_named_type in (True, False):  # the chat and the search API
            result = await search_products(
                conn, embedder, unsold, settings=TUNING, log=False, only_named_type=only_named_type
            )
            assert result.hits == [], (unsold, only_named_type)
            assert result.alternatives == []
            assert result.constraints.unmatched == [result.query]
            assert result.note is not None
            assert result.note.startswith("Nothing in this store matches “")
            found = await search_products(
                conn, embedder, sold, settings=TUNING, log=False, only_named_type=only_named_type
            )
            assert title in [hit.product.title for hit in found.hits][:3], (sold, only_named_type)

    @pytest.mark.parametrize("sold", ["ereaders", "e-readers", "tshirts", "hedphones", "skateboards"])
    async def test_a_plural_or_a_typo_of_a_kind_the_store_sells_is_no_unknown_noun(
        self, conn: Conn, embedder: Embedder, sold: str
    ) -> None:
        """ "show me ereaders" found nothing: the plural's last two letters missed "reader"."""
        found = await search_products(conn, embedder, sold, settings=TUNING, log=False, only_named_type=True)
        assert found.hits, sold

    @pytest.mark.parametrize(
        ("unsold", "synonym", "title"),
        [
            ("a mattress", "a headset", "Headphones"),
            ("socks", "a kindle", "E-Reader"),
            ("a mug", "a notepad", "Notebook"),
            ("jeans", "a webcam", "Indoor Security Camera"),
            ("a microwave", "a bbq", "Grill"),
            ("queen size mattresses", "a cellphone", "Smartphone"),
            ("a new printer", "a camcorder", "Digital Camera"),
        ],
    )
    async def test_a_noun_the_store_does_not_sell_matches_nothing_unless_its_meaning_is_near(
        self, conn: Conn, embedder: Embedder, unsold: str, synonym: str, title: str
    ) -> None:
        """A query that is only a noun no product has must be near a product in meaning: a synonym is ("a
        headset" finds the headphones), a kind the store does not sell is not ("a mattress" found the pet
        bed, "socks" the sneakers)."""
        for only_named_type in (True, False):
            result = await search_products(
                conn, embedder, unsold, settings=TUNING, log=False, only_named_type=only_named_type
            )
            assert result.hits == [], (unsold, only_named_type)
            assert result.constraints.unmatched == [result.query]
            found = await search_products(
                conn, embedder, synonym, settings=TUNING, log=False, only_named_type=only_named_type
            )
            assert [h.product.title for h in found.hits][:1] == [title], (synonym, only_named_type)

    async def test_in_the_chat_the_kind_gate_keeps_no_modifier(self, conn: Conn, embedder: Embedder) -> None:
        """The chat keeps only products of the kind a query names; a hammock "for the garden patio" named
        only the patio umbrella's kind."""
        result = await _chat(conn, embedder, "a hammock for the garden patio")
        assert result.hits == []
        assert result.constraints.unmatched == [result.query]
