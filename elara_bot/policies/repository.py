"""All store-policy SQL: the stored passages and their probes, their upserts, and what ranking reads.

The table is small (tens of passages), so a question is compared with every passage exactly: the cosine
similarity of its embedding to each passage's whole text, heading, sentences and filed topic examples
(``store_policy_probes``, migration 0020), and which of its stemmed words each passage contains (the
``search_tsv`` column: heading weight A, body B). How these are weighed is the service's business.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from elara_bot.db import Conn
from elara_bot.policies.schemas import Passage
from retrieval.embedding import Vector
from retrieval.indexing import vector_literal


class StoredPassage(TypedDict):
    title: str
    body: str
    embedded: bool  # its whole text and its probes (heading, sentences) are embedded


class Probe(TypedDict):
    kind: str  # 'title' | 'sentence' | 'topic'
    label: str  # the topic's name ('topic' probes), else ''
    text: str
    embedding: Vector


class PassageVectors(TypedDict):
    id: int
    title: str
    whole: Vector
    probes: list[Probe]  # its heading and sentences


class TopicProbe(Probe):
    policy_id: int | None  # the passage covering the topic; None: no passage does


class PassageSimilarity(TypedDict):
    id: int
    title: str
    body: str
    whole: float  # cosine similarity of the question to the passage's whole text


class ProbeSimilarity(TypedDict):
    policy_id: int | None
    kind: str
    label: str
    similarity: float  # the question's (best, but for topic examples) similarity to the probes of that kind


class WordMatch(TypedDict):
    lexeme: str  # a stemmed word of the question
    policy_id: int | None  # a passage containing it (None: no passage does)
    in_title: bool  # the passage's heading contains it


async def stored(conn: Conn, titles: list[str]) -> dict[str, StoredPassage]:
    """The stored passages among ``titles``, by title (``embedded``: it and its heading are embedded)."""
    cur = await conn.execute(
        "SELECT p.title, p.body, p.embedding IS NOT NULL AND EXISTS ("
        "   SELECT 1 FROM store_policy_probes r WHERE r.policy_id = p.id AND r.kind = 'title'"
        ") AS embedded FROM store_policies p WHERE p.title = ANY(%s)",
        [titles],
    )
    return {
        row["title"]: StoredPassage(title=row["title"], body=row["body"], embedded=row["embedded"])
        for row in await cur.fetchall()
    }


async def upsert(conn: Conn, passages: list[Passage], vectors: list[Vector]) -> dict[str, int]:
    """Insert the passages, or replace the body and embedding of those whose title is stored; their ids
    by title."""
    ids: dict[str, int] = {}
    for passage, vector in zip(passages, vectors, strict=True):
        cur = await conn.execute(
            "INSERT INTO store_policies (title, body, embedding) VALUES (%s, %s, %s::vector) "
            "ON CONFLICT (title) DO UPDATE SET body = EXCLUDED.body, embedding = EXCLUDED.embedding "
            "RETURNING id",
            (passage.title, passage.body, vector_literal(vector)),
        )
        row = await cur.fetchone()
        assert row is not None
        ids[passage.title] = int(row["id"])
    return ids


async def replace_probes(conn: Conn, policy_id: int, probes: list[Probe]) -> None:
    """The passage's heading and sentence probes become ``probes`` (its topic probes are left alone)."""
    await conn.execute(
        "DELETE FROM store_policy_probes WHERE policy_id = %s AND kind IN ('title', 'sentence')", [policy_id]
    )
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO store_policy_probes (policy_id, kind, label, text, embedding) "
            "VALUES (%s, %s, %s, %s, %s::vector)",
            [(policy_id, p["kind"], p["label"], p["text"], vector_literal(p["embedding"])) for p in probes],
        )


async def passage_vectors(conn: Conn) -> list[PassageVectors]:
    """Every embedded passage with its whole-text vector and its heading and sentence probes."""
    cur = await conn.execute(
        "SELECT id, title, embedding::text AS whole FROM store_policies "
        "WHERE embedding IS NOT NULL ORDER BY id"
    )
    found = {
        row["id"]: PassageVectors(id=row["id"], title=row["title"], whole=_vector(row["whole"]), probes=[])
        for row in await cur.fetchall()
    }
    cur = await conn.execute(
        "SELECT policy_id, kind, label, text, embedding::text AS embedding FROM store_policy_probes "
        "WHERE kind IN ('title', 'sentence') ORDER BY id"
    )
    for row in await cur.fetchall():
        if row["policy_id"] in found:
            found[row["policy_id"]]["probes"].append(
                Probe(
                    kind=row["kind"],
                    label=row["label"],
                    text=row["text"],
                    embedding=_vector(row["embedding"]),
                )
            )
    return list(found.values())


async def unprobed(conn: Conn) -> list[Passage]:
    """The stored passages that have no heading probe (imported before migration 0020)."""
    cur = await conn.execute(
        "SELECT title, body FROM store_policies p WHERE NOT EXISTS ("
        "   SELECT 1 FROM store_policy_probes r WHERE r.policy_id = p.id AND r.kind = 'title'"
        ") ORDER BY id"
    )
    return [Passage(title=row["title"], body=row["body"]) for row in await cur.fetchall()]


_TOPICS_LOCK = 0x706F6C6963790001  # 'policy' 1: filing the topics, until the transaction ends


async def lock_topics(conn: Conn) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", [_TOPICS_LOCK])


async def topic_examples(conn: Conn) -> list[tuple[str, str]]:
    """The (topic, example) pairs stored."""
    cur = await conn.execute("SELECT label, text FROM store_policy_probes WHERE kind = 'topic'")
    return [(row["label"], row["text"]) for row in await cur.fetchall()]


async def topic_probes(conn: Conn) -> list[TopicProbe]:
    cur = await conn.execute(
        "SELECT policy_id, kind, label, text, embedding::text AS embedding FROM store_policy_probes "
        "WHERE kind = 'topic' ORDER BY id"
    )
    return [
        TopicProbe(
            policy_id=row["policy_id"],
            kind=row["kind"],
            label=row["label"],
            text=row["text"],
            embedding=_vector(row["embedding"]),
        )
        for row in await cur.fetchall()
    ]


async def replace_topic_probes(conn: Conn, probes: list[TopicProbe]) -> None:
    await conn.execute("DELETE FROM store_policy_probes WHERE kind = 'topic'")
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO store_policy_probes (policy_id, kind, label, text, embedding) "
            "VALUES (%s, 'topic', %s, %s, %s::vector)",
            [(p["policy_id"], p["label"], p["text"], vector_literal(p["embedding"])) for p in probes],
        )


def _vector(text: str) -> Vector:
    """A vector read in pgvector's text form (the caller need not have registered the vector type)."""
    return np.array(text.strip("[]").split(","), dtype=np.float32)


async def similarities(conn: Conn, vector: str) -> tuple[list[PassageSimilarity], list[ProbeSimilarity]]:
    """The question's (``vector``, a pgvector literal) cosine similarity to every embedded passage's whole
    text, its best similarity to each passage's heading and to its sentences, and its similarity to every
    topic example."""
    cur = await conn.execute(
        "SELECT id, title, body, (1 - (embedding <=> %(v)s::vector))::float8 AS whole "
        "FROM store_policies WHERE embedding IS NOT NULL ORDER BY id",
        {"v": vector},
    )
    passages = [
        PassageSimilarity(id=row["id"], title=row["title"], body=row["body"], whole=row["whole"])
        for row in await cur.fetchall()
    ]
    cur = await conn.execute(
        "SELECT policy_id, kind, label, max(1 - (embedding <=> %(v)s::vector))::float8 AS similarity "
        "FROM store_policy_probes WHERE kind <> 'topic' GROUP BY policy_id, kind, label "
        "UNION ALL "
        "SELECT policy_id, kind, label, (1 - (embedding <=> %(v)s::vector))::float8 "
        "FROM store_policy_probes WHERE kind = 'topic'",
        {"v": vector},
    )
    probes = [
        ProbeSimilarity(
            policy_id=row["policy_id"], kind=row["kind"], label=row["label"], similarity=row["similarity"]
        )
        for row in await cur.fetchall()
    ]
    return passages, probes


# Each stemmed word of the question ('english' configuration, stop words dropped), with the passages whose
# text has it; a stem of 4+ letters also matches longer ones it starts ("deliv" and "deliveri").
_WORDS_SQL = """
WITH q AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(question)s)))
SELECT q.lexeme, m.policy_id, coalesce(m.in_title, false) AS in_title
FROM q LEFT JOIN LATERAL (
    SELECT p.id AS policy_id, bool_or('A' = ANY(d.weights)) AS in_title
    FROM store_policies p CROSS JOIN LATERAL unnest(p.search_tsv) d
    WHERE d.lexeme = q.lexeme
       OR (length(q.lexeme) >= 4 AND starts_with(d.lexeme, q.lexeme))
       OR (length(d.lexeme) >= 4 AND starts_with(q.lexeme, d.lexeme))
    GROUP BY p.id
) m ON true
ORDER BY q.lexeme, m.policy_id
"""


async def word_matches(conn: Conn, question: str) -> list[WordMatch]:
    cur = await conn.execute(_WORDS_SQL, {"question": question})
    return [
        WordMatch(lexeme=row["lexeme"], policy_id=row["policy_id"], in_title=row["in_title"])
        for row in await cur.fetchall()
    ]


async def passage_count(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM store_policies")
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
