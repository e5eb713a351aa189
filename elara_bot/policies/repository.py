"""All store-policy SQL: the stored passages by title, their upsert, and the fused hybrid search.

The table is small (tens of passages), so search scans it exactly: cosine distance on the embedding and an
OR-ed full-text query on ``search_tsv`` (a chatty question must not need every word to match), each ranked,
then fused with reciprocal rank fusion.
"""

from __future__ import annotations

from typing import TypedDict

from elara_bot.db import Conn
from elara_bot.policies.schemas import Passage, PolicyPassage
from retrieval.embedding import Vector
from retrieval.indexing import vector_literal


class StoredPassage(TypedDict):
    title: str
    body: str
    embedded: bool


async def stored(conn: Conn, titles: list[str]) -> dict[str, StoredPassage]:
    """The stored passages among ``titles``, by title (``embedded``: it has an embedding)."""
    cur = await conn.execute(
        "SELECT title, body, embedding IS NOT NULL AS embedded FROM store_policies WHERE title = ANY(%s)",
        [titles],
    )
    return {
        row["title"]: StoredPassage(title=row["title"], body=row["body"], embedded=row["embedded"])
        for row in await cur.fetchall()
    }


async def upsert(conn: Conn, passages: list[Passage], vectors: list[Vector]) -> None:
    """Insert the passages, or replace the body and embedding of those whose title is stored."""
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO store_policies (title, body, embedding) VALUES (%s, %s, %s::vector) "
            "ON CONFLICT (title) DO UPDATE SET body = EXCLUDED.body, embedding = EXCLUDED.embedding",
            [(p.title, p.body, vector_literal(v)) for p, v in zip(passages, vectors, strict=True)],
        )


_SEARCH_SQL = """
WITH vec AS (
    SELECT id, row_number() OVER (ORDER BY embedding <=> %(vector)s::vector, id) AS rank
    FROM store_policies
    WHERE embedding IS NOT NULL
    ORDER BY embedding <=> %(vector)s::vector, id
    LIMIT %(candidates)s
), txt AS (
    SELECT id, row_number() OVER (ORDER BY r DESC, id) AS rank
    FROM (
        SELECT p.id, ts_rank_cd(p.search_tsv, q) AS r
        FROM store_policies p, to_tsquery('english', %(tsquery)s) q
        WHERE %(tsquery)s <> '' AND p.search_tsv @@ q
        ORDER BY r DESC, p.id
        LIMIT %(candidates)s
    ) ranked
), fused AS (
    SELECT id, sum(1.0 / (%(k)s + rank))::float8 AS score
    FROM (SELECT id, rank FROM vec UNION ALL SELECT id, rank FROM txt) both_lists
    GROUP BY id
)
SELECT p.title, p.body, f.score
FROM fused f JOIN store_policies p ON p.id = f.id
ORDER BY f.score DESC, p.id
LIMIT %(limit)s
"""


async def search(
    conn: Conn, vector: str, tsquery: str, *, candidates: int, rrf_k: int, limit: int
) -> list[PolicyPassage]:
    """The best ``limit`` passages by reciprocal rank fusion of the ``candidates`` nearest to ``vector``
    (a pgvector literal) and the ``candidates`` best full-text matches of ``tsquery``."""
    params = {"vector": vector, "tsquery": tsquery, "candidates": candidates, "k": rrf_k, "limit": limit}
    cur = await conn.execute(_SEARCH_SQL, params)
    return [
        PolicyPassage(title=row["title"], body=row["body"], score=float(row["score"]))
        for row in await cur.fetchall()
    ]
