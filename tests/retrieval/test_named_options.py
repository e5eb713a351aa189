"""Option words read from a query rank in one pass, and the exact-scan decision costs no count at scale."""

from __future__ import annotations

import pytest

from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.db import Conn
from retrieval.embedding import Embedder
from retrieval.search import Filter, _admits_few, named_tsquery, product_condition

TUNING = SearchSettings()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["red"], "(red)"),
        (["navy blue", "red"], "(navy & blue) | (red)"),
        (["M", "10"], "(10)"),  # "M" is a stop word and one letter: it names nothing
        (["M"], ""),
        (["off-white"], "(off & white)"),
    ],
)
def test_named_tsquery(values: list[str], expected: str) -> None:
    assert named_tsquery(values) == expected


async def _admitted(conn: Conn, flt: Filter) -> int:
    where, params = product_condition(flt)
    query = "SELECT count(*) AS n FROM products p WHERE " + where.as_string(conn)
    row = await (await conn.execute(query, params)).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize(
    "flt",
    [
        Filter(),
        Filter(named={"color": ["red"]}),
        Filter(named={"material": ["leather"]}),
        Filter(options={"size": ["M"]}),
        Filter(named={"color": ["no-such-colour"]}),
    ],
)
async def test_admits_few_agrees_with_a_count(conn: Conn, flt: Filter) -> None:
    """Estimated or counted, the answer is the count's: fewer than ``cap`` products meet the filter."""
    admitted = await _admitted(conn, flt)
    where, params = product_condition(flt)
    for cap in sorted({1, 2, max(admitted // 4, 1), admitted, admitted + 1, 4 * admitted + 8}):
        async with conn.transaction():
            assert await _admits_few(conn, where, params, cap) == (admitted < cap), (flt, cap, admitted)


async def test_a_product_offering_and_one_naming_a_colour_rank_in_one_list(
    conn: Conn, embedder: Embedder
) -> None:
    """ "red fleece jacket": products offering red keep their red variants, and the jacket, named by the
    words, is found whole or by its red variants; nothing offering only other colours is shown."""
    result = await search_products(conn, embedder, "red jacket", log=False, settings=TUNING)
    assert result.filters.options == {"color": ["red"]}
    assert result.hits
    for hit in result.hits:
        offered = {v.options.get("color", "").lower() for v in hit.product.variants} - {""}
        if "red" in offered:
            assert {v.options["color"].lower() for v in hit.matching_variants} == {"red"}
        else:
            assert "red" in (hit.product.title + " " + hit.product.description).lower()
