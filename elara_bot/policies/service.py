"""Store policies: parse a markdown file into passages, upsert them with embeddings, hybrid search.

The SQL (and how search ranks and fuses) is in :mod:`elara_bot.policies.repository`. Functions take a
connection and never commit.
"""

from __future__ import annotations

import re

from elara_bot.db import Conn
from elara_bot.errors import InvalidInput
from elara_bot.policies import repository as repo
from elara_bot.policies.schemas import Passage, PolicyPassage
from retrieval.embedding import Embedder, embed_documents_async, embed_query_async
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
    current = await repo.stored(conn, [p.title for p in passages])
    changed = [
        p
        for p in passages
        if p.title not in current or current[p.title]["body"] != p.body or not current[p.title]["embedded"]
    ]
    if not changed:
        return 0
    vectors = await embed_documents_async(embedder, [embedding_text(p) for p in changed])
    await repo.upsert(conn, changed, vectors)
    return len(changed)


async def search_policies(
    conn: Conn, embedder: Embedder, question: str, limit: int = 3
) -> list[PolicyPassage]:
    """The passages that best answer ``question``, best first (empty for an empty question)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    text = question.strip()
    if not text:
        return []
    vector = vector_literal(await embed_query_async(embedder, text))
    return await repo.search(conn, vector, or_tsquery(text), candidates=CANDIDATES, rrf_k=RRF_K, limit=limit)
