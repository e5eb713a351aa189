"""Slots in ordinary shopper language (issue 13), read by the one price and option parser
(``retrieval.query_parser``): budgets said after the number, values of several words or with units, and,
once the catalog's options are learnt (``NluVocabulary.with_options``), each value with its option."""

from __future__ import annotations

import pytest

from elara_bot.nlu.slots import extract_slots
from elara_bot.nlu.vocabulary import NluVocabulary
from tests.retrieval.test_query_parser import DEMO

BASE_CASES = [
    ("kettle for the stove, 100 tops", {"max_price": "100", "product_type": "kettle"}),
    ("headphones 200 max", {"max_price": "200", "product_type": "headphones"}),
    ("a laptop 800 and up", {"min_price": "800", "product_type": "laptop"}),
    ("backpack, 150 at most", {"max_price": "150", "product_type": "backpack"}),
    ("a jacket, 90 or under", {"max_price": "90", "product_type": "jacket"}),
    ("sneakers 100 and no more", {"max_price": "100", "product_type": "sneaker"}),
    ("coffee maker, 150 is my limit", {"max_price": "150", "product_type": "coffee maker"}),
    ("a watch from 150", {"min_price": "150", "product_type": "watch"}),
    ("a blue one in L, 50 tops", {"max_price": "50", "color": "blue", "size": "L"}),
    ("a 2 litre kettle, 100 max", {"max_price": "100", "product_type": "kettle"}),
    ("add the 100W warm white bulb", {"color": "warm white"}),  # not "white"
    ("navy blue fleece jacket", {"color": "navy", "material": "fleece", "product_type": "fleece jacket"}),
    ("the 1.5 litre one", {}),  # a capacity, not size 1
]

CATALOG_CASES = [
    ("gaming mouse, wireless", {"options": "connectivity=wireless", "product_type": "mouse"}),
    (
        "sunglasses with a brown frame",
        {"color": "brown", "options": "frame color=brown", "product_type": "sunglasses"},
    ),
    ("brown lenses please", {"color": "brown", "options": "lens color=brown"}),
    ("add the 100W warm white bulb", {"options": "brightness=100w equivalent;color temperature=warm white"}),
    ("the 1.5 litre one", {"options": "capacity=1.5 liters|1.5l"}),
    ("500 piece puzzle under 30", {"max_price": "30", "options": "pieces=500", "product_type": "puzzle"}),
    ("the half zip in navy", {"color": "navy", "options": "zipper=half;color=navy"}),
    ("laptop with 16gb ram", {"options": "ram=16gb", "product_type": "laptop"}),
    ("the one with the leather strap", {"material": "leather", "options": "strap material=leather"}),
]


@pytest.mark.parametrize(("text", "expected"), BASE_CASES, ids=[c[0] for c in BASE_CASES])
def test_slots_without_the_catalog(text: str, expected: dict[str, str]) -> None:
    assert extract_slots(text) == expected


@pytest.mark.parametrize(("text", "expected"), CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_slots_with_the_catalogs_options(text: str, expected: dict[str, str]) -> None:
    assert extract_slots(text, NluVocabulary.base().with_options(DEMO)) == expected


def test_the_catalogs_options_survive_learning_product_types() -> None:
    """``with_catalog`` (the catalog's product names) keeps the options learnt before it."""
    vocab = NluVocabulary.base().with_options(DEMO).with_catalog(["gaming mouse"], (), ())
    assert extract_slots("gaming mouse, wireless", vocab)["options"] == "connectivity=wireless"
