from __future__ import annotations

import pytest

from retrieval.query_parser import Vocabulary, parse_query

VOCAB = Vocabulary(values={"color": {"red", "black", "space grey"}, "material": {"leather", "mesh"}})


@pytest.mark.parametrize(
    ("text", "low", "high", "rest"),
    [
        ("waterproof boots under 200", None, 20000, "waterproof boots"),
        ("mouse under $49.99", None, 4999, "mouse"),
        ("lamp below 80 dollars", None, 8000, "lamp"),
        ("kettle less than 30", None, 3000, "kettle"),
        ("camera over $500", 50000, None, "camera"),
        ("chair above 100", 10000, None, "chair"),
        ("headphones between 50 and 100", 5000, 10000, "headphones"),
        ("speaker $50-$100", 5000, 10000, "speaker"),
        ("speaker 100 to 50", 5000, 10000, "speaker"),
        ("plain yoga mat", None, None, "plain yoga mat"),
        ("dumbbells 30-50 lbs", None, None, "dumbbells 30-50 lbs"),
        ("dumbbells 30-50 lbs under $80", None, 8000, "dumbbells 30-50 lbs"),
        ("kettlebell under 2 kg", None, None, "kettlebell under 2 kg"),
        ("power bank over 10000 mAh below 40", None, 4000, "power bank over 10000 mAh"),
        ("phone with 128 GB up to 300", None, 30000, "phone with 128 GB"),
        ("tent 2.5 m from 150", 15000, None, "tent 2.5 m"),
    ],
)
def test_prices(text: str, low: int | None, high: int | None, rest: str) -> None:
    parsed = parse_query(text, VOCAB)
    assert (parsed.min_price_minor, parsed.max_price_minor, parsed.text) == (low, high, rest)


def test_size_colour_material_and_stock() -> None:
    parsed = parse_query("Red leather sneakers size 10 in stock", VOCAB)
    assert parsed.options == {"size": ["10"], "color": ["red"], "material": ["leather"]}
    assert parsed.in_stock is True
    assert parsed.text == "sneakers"


def test_multi_word_colour_and_unknown_words_stay() -> None:
    parsed = parse_query("laptop in space grey with purple stickers", VOCAB)
    assert parsed.options == {"color": ["space grey"]}
    assert parsed.text == "laptop in with purple stickers"


def test_without_vocabulary_only_patterns_apply() -> None:
    parsed = parse_query("red boots size 9", None)
    assert parsed.options == {"size": ["9"]}
    assert parsed.text == "red boots"
