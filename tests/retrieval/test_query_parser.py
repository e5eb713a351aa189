"""The shopping-constraint parser: a table of queries (query_parser_cases.jsonl) and the finer points.

Each row of the table gives the query, the price bounds it must yield (minor units, null for none), the
text left for the search and, where given, the options and the stock flag. Hardware and electronics queries
(gauges, fractions, dimensions, model numbers, sizes, packs) must yield no price and keep every word. A row
with ``"vocab": "demo"`` is read with the demo store's own options (every key, the products offering each
value), as the search reads them from its database; the others with a few colours and materials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrieval.query_parser import Vocabulary, parse_query

VOCAB = Vocabulary(
    values={
        "color": {"red", "black", "white", "blue", "navy", "grey", "space grey", "gold", "rose gold"},
        "material": {"leather", "mesh", "wool", "fleece", "cotton"},
    }
)
CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "query_parser_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
DEMO_CATALOG = Path(__file__).resolve().parents[2] / "elara_bot" / "data" / "demo" / "catalog.jsonl"


def demo_vocabulary() -> Vocabulary:
    """The demo store's options as ``load_vocabulary`` reads them from its database (the search's own
    vocabulary; tests/retrieval/test_shopper_language.py checks the two agree): every value of every key,
    with the last two words of the titles offering it (model numbers left out) and their category's last
    level."""
    rows = []
    for line in DEMO_CATALOG.read_text(encoding="utf-8").splitlines():
        product = json.loads(line)
        title = [w for w in product["title"].lower().split() if not any(c.isdigit() for c in w)]
        leaf = product["category"].split(">")[-1].strip().lower()
        for variant in product["variants"]:
            for key, value in variant["options"].items():
                rows.append((key, value, f"{' '.join(title[-2:])} {leaf}", f"{title[-1]} {leaf}"))
    return Vocabulary.from_rows(rows)


DEMO = demo_vocabulary()


def test_the_table_is_wide() -> None:
    assert len(CASES) >= 120
    assert sum(1 for c in CASES if c["min"] is None and c["max"] is None) >= 60  # no money cue
    assert sum(1 for c in CASES if c["min"] is not None and c["max"] is not None) >= 15  # ranges
    demo = [c for c in CASES if c.get("vocab") == "demo"]
    assert len(demo) >= 50  # the store's own options: sizes, values of several words, measures, key words
    assert sum(1 for c in demo if len(c["options"]) >= 2) >= 10  # several in one query


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_table(case: dict[str, Any]) -> None:
    parsed = parse_query(case["text"], DEMO if case.get("vocab") == "demo" else VOCAB)
    assert (parsed.min_price_minor, parsed.max_price_minor) == (case["min"], case["max"])
    assert parsed.text == case["rest"]
    if "options" in case:
        assert parsed.options == case["options"]
    assert parsed.in_stock is case.get("in_stock", False)


@pytest.mark.parametrize(
    ("text", "applied"),
    [
        ("lamp, nothing above 60 bucks", ["nothing above 60 bucks"]),
        ("I don't want to spend more than $80 on red sneakers", ["don't want to spend more than $80", "red"]),
        ("black boots between $50 and $100 in stock", ["black", "between $50 and $100", "in stock"]),
        ("electric wire 10-3 50ft", []),
        ("leather wallet", ["leather"]),
    ],
)
def test_applied_lists_the_constraint_phrases_in_order(text: str, applied: list[str]) -> None:
    assert parse_query(text, VOCAB).applied == applied


def test_issue_examples_keep_every_token_and_set_no_price() -> None:
    for text in ("electric wire 10-3 50ft", "metric 3/8 -10 nut", "simpson strong-tie z-max 4 in. x 4 in"):
        parsed = parse_query(text, VOCAB)
        assert (parsed.min_price_minor, parsed.max_price_minor, parsed.text) == (None, None, text)


def test_budgets_read_as_ceilings_not_floors() -> None:
    assert parse_query("nothing above 60 bucks").max_price_minor == 6000
    assert parse_query("nothing above 60 bucks").min_price_minor is None
    assert parse_query("I can't go over $300").max_price_minor == 30000
    assert parse_query("I can't go over $300").min_price_minor is None


def test_currency_is_reported() -> None:
    assert parse_query("kettle under €40").currency == "EUR"
    assert parse_query("scarf 15 quid").currency == "GBP"
    assert parse_query("boots under $90").currency == "USD"
    assert parse_query("boots under 90").currency is None


def test_option_words_are_kept_in_the_text() -> None:
    parsed = parse_query("fleece jacket", VOCAB)
    assert parsed.options == {"material": ["fleece"]}
    assert parsed.text == "fleece jacket"


def test_without_vocabulary_only_patterns_apply() -> None:
    parsed = parse_query("red boots size 9", None)
    assert parsed.options == {"size": ["9"]}
    assert parsed.text == "red boots size 9"


def test_a_word_of_two_option_kinds_is_no_option() -> None:
    vocab = Vocabulary(values={"color": {"red", "stainless steel"}, "material": {"stainless steel", "steel"}})
    parsed = parse_query("red stainless steel kettle", vocab)
    assert parsed.options == {"color": ["red"]}  # not "steel" inside "stainless steel" either
    assert parsed.text == "red stainless steel kettle"


def test_a_trailing_cue_makes_a_budget_of_a_bare_number_only() -> None:
    """ "100 tops", "200 max", "50 and up" are budgets in shopping language (issue 13); a size, a count, a
    year, an age, a model name or a garment are not, with the same words around them."""
    budgets = {
        "kettle for the stove, 100 tops": (None, 10000),
        "headphones 200 max": (None, 20000),
        "a laptop 800 and up": (80000, None),
        "a watch from 150": (15000, None),
    }
    for text, bounds in budgets.items():
        parsed = parse_query(text, VOCAB)
        assert (parsed.min_price_minor, parsed.max_price_minor) == bounds, text
    no_price = [
        "size 10 tops",
        "womens tops size 12",
        "need 20 or more",
        "pack of 12 max",
        "50 or more reviews",
        "10 tops in red",
        "a poster from 1999",
        "kids from 5 to 10",
        "air max 90 max",
        "iphone 15 pro max",
        "4 or more",
        "lamp 60 or so",
    ]
    for text in no_price:
        parsed = parse_query(text, VOCAB)
        assert (parsed.min_price_minor, parsed.max_price_minor, parsed.text) == (None, None, text), text


def test_a_word_is_an_option_only_where_the_product_named_has_it() -> None:
    """A common word of another kind than colour or material ("large", "wireless", "laptop", a letter)
    is an option when the product named has it, and a word of the text otherwise."""
    options = {
        "a large backpack": {"size": ["large"]},
        "a wireless mouse": {"connectivity": ["wireless"]},
        "laptop backpack": {"compartment": ["laptop"]},
        "t-shirt in L": {"size": ["L"]},
        "cycling helmet size S": {"size": ["S"]},
        "rose gold smartphone": {"color": ["rose gold"]},
        "memory foam pet bed": {"material": ["memory foam"]},
    }
    for text, expected in options.items():
        assert parse_query(text, DEMO).options == expected, text
    for text in (
        "a large kettle",
        "kettle in L",
        "a bag for my laptop",
        "wireless earbuds",
        "bluetooth speaker",
    ):
        assert parse_query(text, DEMO).options == {}, text
    assert parse_query("stainless steel", DEMO).options == {}  # a colour or a material: said alone, neither


@pytest.mark.parametrize(
    ("text", "applied"),
    [
        ("kettle for the stove, 100 tops", ["100 tops"]),
        ("sunglasses with a brown frame", ["brown frame"]),
        ("frame in brown, lenses in green", ["frame in brown", "lenses in green"]),
        ("add the 100W warm white bulb", ["100W", "warm white"]),
        ("a half-zip fleece jacket in M", ["half-zip", "fleece", "M"]),
    ],
)
def test_applied_phrases_hold_the_key_word_that_tied_a_value(text: str, applied: list[str]) -> None:
    """The constraint's phrase is what the shopper said of it ("brown frame"), so a note can repeat it."""
    assert parse_query(text, DEMO).applied == applied
