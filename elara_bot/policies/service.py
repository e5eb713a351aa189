"""Store policies: parse a markdown file into passages, upsert them with embeddings, hybrid search.

The table is small (tens of passages), so search scans it exactly: cosine distance on the embedding and an
OR-ed full-text query on ``search_tsv`` (a chatty question must not need every word to match), each ranked,
then fused with reciprocal rank fusion. Functions take a connection and never commit.
"""

from __future__ import annotations

import re
from typing import Any

from elara_bot.db import Conn
from elara_bot.errors import InvalidInput
from elara_bot.policies.schemas import Passage, PolicyPassage
from retrieval.embedding import Embedder, embed_query_async
from retrieval.indexing import vector_literal
from retrieval.search import or_tsquery

MAX_LIMIT = 20
CANDIDATES = 50  # rows each retriever contributes to the fusion
RRF_K = 60
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def parse_policies(text: str) -> list[Passage]:
    """One passage per ``## `` heading: title = the heading, body = the text under it.

    Text before the first ``## `` (a ``# `` title, an attribution) is not a passage. Soft-wrapped lines are
    joined; blank lines and list items keep their line breaks.
    """
    passages: list[Passage] = []
    title: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            if title is not None:
                passages.append(Passage(title=title, body=_body(lines)))
            title, lines = heading.group(1), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        passages.append(Passage(title=title, body=_body(lines)))
    return passages


def _body(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif not current:
            current = line
        elif _LIST_ITEM.match(line):
            current += "\n" + line
        else:
            current += " " + line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def embedding_text(passage: Passage) -> str:
    return f"{passage.title}. {passage.body}"


def _validate(passages: list[Passage]) -> None:
    seen: set[str] = set()
    for passage in passages:
        if not passage.title.strip() or not passage.body.strip():
            raise InvalidInput(f"policy passage {passage.title!r} needs a title and a body")
        if passage.title in seen:
            raise InvalidInput(f"policy title {passage.title!r} appears twice")
        seen.add(passage.title)


async def import_policies(conn: Conn, embedder: Embedder, passages: list[Passage]) -> int:
    """Upsert passages by title; returns how many were inserted or changed.

    Unchanged passages (same body, already embedded) are neither re-embedded nor rewritten; passages in
    the table but not in ``passages`` are kept.
    """
    _validate(passages)
    if not passages:
        return 0
    cur = await conn.execute(
        "SELECT title, body, embedding IS NOT NULL AS embedded FROM store_policies WHERE title = ANY(%s)",
        [[p.title for p in passages]],
    )
    current = {row["title"]: row for row in await cur.fetchall()}
    changed = [
        p
        for p in passages
        if p.title not in current or current[p.title]["body"] != p.body or not current[p.title]["embedded"]
    ]
    if not changed:
        return 0
    vectors = embedder.embed_documents([embedding_text(p) for p in changed])
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO store_policies (title, body, embedding) VALUES (%s, %s, %s::vector) "
            "ON CONFLICT (title) DO UPDATE SET body = EXCLUDED.body, embedding = EXCLUDED.embedding",
            [(p.title, p.body, vector_literal(v)) for p, v in zip(changed, vectors, strict=True)],
        )
    return len(changed)


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


async def search_policies(
    conn: Conn, embedder: Embedder, question: str, limit: int = 3
) -> list[PolicyPassage]:
    """The passages that best answer ``question``, best first (empty for an empty question)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    text = question.strip()
    if not text:
        return []
    params: dict[str, Any] = {
        "vector": vector_literal(await embed_query_async(embedder, text)),
        "tsquery": or_tsquery(text),
        "candidates": CANDIDATES,
        "k": RRF_K,
        "limit": limit,
    }
    cur = await conn.execute(_SEARCH_SQL, params)
    return [
        PolicyPassage(title=row["title"], body=row["body"], score=float(row["score"]))
        for row in await cur.fetchall()
    ]
