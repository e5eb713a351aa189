"""Store policies: parse a markdown file into passages, import them with their probes, rank them for a
shopper's question, and say when none answers it.

A passage is found by what it says and by what it is about: a question is compared (cosine similarity of
sentence embeddings) with each passage's whole text, its heading and each of its sentences, and with the
example questions of the common policy topics (:mod:`elara_bot.policies.topics`) filed under the passage
that covers each; the words the question shares with a passage count too, rarer words more, a word of
its heading most. A question nearest a topic the store's text does not cover ("do you gift wrap?"), or
near nothing at all, is not covered: the answer says so instead of quoting the nearest passage.

The SQL is in :mod:`elara_bot.policies.repository`. Functions take a connection and never commit.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from elara_bot.db import Conn
from elara_bot.errors import InvalidInput
from elara_bot.policies import repository as repo
from elara_bot.policies.schemas import Passage, PolicyAnswer, PolicyPassage
from elara_bot.policies.topics import TOPICS, Topic
from retrieval.embedding import Embedder, Vector, embed_documents_async, embed_query_async
from retrieval.indexing import vector_literal

MAX_LIMIT = 20
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")


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


def sentences(body: str) -> list[str]:
    """The body's sentences and list items, in order."""
    return [s.strip() for s in _SENTENCE_END.split(body) if s.strip()]


def _validate(passages: list[Passage]) -> None:
    seen: set[str] = set()
    for passage in passages:
        if not passage.title.strip() or not passage.body.strip():
            raise InvalidInput(f"policy passage {passage.title!r} needs a title and a body")
        if passage.title in seen:
            raise InvalidInput(f"policy title {passage.title!r} appears twice")
        seen.add(passage.title)


async def import_policies(conn: Conn, embedder: Embedder, passages: list[Passage]) -> int:
    """Upsert passages by title with their probes (heading, sentences); returns how many were inserted or
    changed. The topics are then filed again under the passages that cover them.

    Unchanged passages (same body, already embedded with their probes) are neither re-embedded nor
    rewritten; passages in the table but not in ``passages`` are kept.
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
    if changed:
        probes = [[("title", p.title), *(("sentence", s) for s in sentences(p.body))] for p in changed]
        texts = [embedding_text(p) for p in changed] + [text for each in probes for _, text in each]
        vectors = await embed_documents_async(embedder, texts)
        ids = await repo.upsert(conn, changed, vectors[: len(changed)])
        rest = iter(vectors[len(changed) :])
        for passage, each in zip(changed, probes, strict=True):
            await repo.replace_probes(
                conn,
                ids[passage.title],
                [repo.Probe(kind=kind, label="", text=text, embedding=next(rest)) for kind, text in each],
            )
    await file_topics(conn, embedder, again=bool(changed))
    return len(changed)


async def refresh_index(conn: Conn, embedder: Embedder) -> int:
    """At start-up: passages stored without their probes (imported before migration 0020) are embedded
    again, and the topics filed again when their examples changed since; returns how many passages were.
    Nothing but two reads when all is current."""
    stale = await repo.unprobed(conn)
    if stale:
        return await import_policies(conn, embedder, stale)
    await file_topics(conn, embedder)
    return 0


# A topic is filed under the passage nearest its examples when that passage is about it: the topic is
# the passage's nearest, or within this much of it (a "Returns" passage that also says when the refund
# comes covers both topics). A passage only near a topic it does not mention is further from it than
# from its own: "Payment methods" naming gift cards is not about selling gift cards.
TOPIC_MARGIN = 0.1


async def file_topics(conn: Conn, embedder: Embedder, *, again: bool = False) -> None:
    """File every topic's examples under the passage that covers the topic, or under none. Done when the
    passages changed (``again``) or the topics did (a new version of :mod:`topics`); else nothing."""
    wanted = sorted((t.name, e) for t in TOPICS for e in t.examples)
    if not again and sorted(await repo.topic_examples(conn)) == wanted:
        return
    await repo.lock_topics(conn)  # two processes starting together: the second finds them filed
    if not again and sorted(await repo.topic_examples(conn)) == wanted:
        return
    known = {(p["label"], p["text"]): p["embedding"] for p in await repo.topic_probes(conn)}
    missing = [pair for pair in wanted if pair not in known]
    if missing:
        vectors = await embed_documents_async(embedder, [text for _, text in missing])
        known.update(zip(missing, vectors, strict=True))
    passages = await repo.passage_vectors(conn)
    homes = await asyncio.to_thread(_homes, TOPICS, known, passages)
    await repo.replace_topic_probes(
        conn,
        [
            repo.TopicProbe(
                policy_id=homes[t.name], kind="topic", label=t.name, text=e, embedding=known[(t.name, e)]
            )
            for t in TOPICS
            for e in t.examples
        ],
    )


def _affinity(examples: np.ndarray, passage: repo.PassageVectors) -> float:
    """How much a passage is about a topic: its examples' mean similarity to the passage's whole text,
    heading and nearest sentence."""
    whole = examples @ passage["whole"]
    titles = [p["embedding"] for p in passage["probes"] if p["kind"] == "title"]
    lines = [p["embedding"] for p in passage["probes"] if p["kind"] == "sentence"]
    title = examples @ np.stack(titles).T if titles else whole[:, None]
    sentence = examples @ np.stack(lines).T if lines else whole[:, None]
    return float(np.mean(whole + title.max(axis=1) + sentence.max(axis=1)) / 3)


def _homes(
    topics: tuple[Topic, ...], vectors: dict[tuple[str, str], Vector], passages: list[repo.PassageVectors]
) -> dict[str, int | None]:
    """Each topic's passage (None: none covers it)."""
    if not passages:
        return {t.name: None for t in topics}
    affinity = np.array(
        [
            [_affinity(np.stack([vectors[(t.name, e)] for e in t.examples]), p) for p in passages]
            for t in topics
        ]
    )
    own = affinity.max(axis=0)  # each passage's nearest topic
    homes: dict[str, int | None] = {}
    for i, topic in enumerate(topics):
        j = int(affinity[i].argmax())
        homes[topic.name] = passages[j]["id"] if affinity[i, j] >= own[j] - TOPIC_MARGIN else None
    return homes


@dataclass
class Ranked:
    """A passage and what its score is made of."""

    passage: PolicyPassage
    id: int
    whole: float  # the question's cosine similarity to the passage's whole text
    title: float  # ... to its heading
    sentence: float  # ... to its nearest sentence
    topic: float  # the share of the question's topics filed under the passage (0 to 1)
    words: float  # the share of the question's words it contains, rarer words weighing more (0 to 1)
    phrase: int  # the most words in a row of the question it contains (0: not two)


@dataclass
class Ranking:
    ranked: list[Ranked]  # best first
    uncovered: float  # the share of the question's topics that no passage covers (0 to 1)
    uncovered_topic: str | None  # the likeliest of those
    indexed: bool  # the topics are filed (else the passages were imported before migration 0020)


# A passage's score: similarities are cosines (about 0.1 unrelated to 0.9 the same question), the shares
# are 0 to 1. Weighed by hand on 53 questions and checked on 107 others (tests/policies): the topic share
# sets passages apart the most, the whole text and the nearest sentence next; the word shares only break
# near ties (weighed more, they rank "Changing an order" first for "I changed my mind").
WEIGHTS = {"whole": 1.0, "title": 0.5, "sentence": 1.0, "topic": 1.0, "words": 0.1}
PHRASE_WEIGHT = 0.4  # per word beyond one of the longest run of the question's words found in a passage
# How sharply the nearest topics take the question's share: a topic nearer by 0.05 takes e times more.
TOPIC_TEMPERATURE = 0.05
# Not covered: the question is mostly about topics no passage covers, or nothing is near it at all.
UNCOVERED_SHARE = 0.6
MIN_SCORE = 0.75


async def rank(conn: Conn, embedder: Embedder, question: str) -> Ranking:
    """Every embedded passage scored for ``question``, best first."""
    vector = vector_literal(await embed_query_async(embedder, question))
    passages, probes = await repo.similarities(conn, vector)
    matches = await repo.word_matches(conn, question)
    best: dict[tuple[int | None, str], float] = {}
    topics: dict[str, tuple[float, int | None]] = {}  # each topic's nearest example and its passage
    for probe in probes:
        if probe["kind"] == "topic":
            nearest = topics.get(probe["label"], (-1.0, None))[0]
            if probe["similarity"] > nearest:
                topics[probe["label"]] = (probe["similarity"], probe["policy_id"])
        else:
            key = (probe["policy_id"], probe["kind"])
            best[key] = max(best.get(key, -1.0), probe["similarity"])
    shares, uncovered, uncovered_topic = _topic_shares(topics)
    words = _word_shares(matches, len(passages))
    wanted = _phrases(question)
    ranked: list[Ranked] = []
    for p in passages:
        item = Ranked(
            passage=PolicyPassage(title=p["title"], body=p["body"], score=0.0),
            id=p["id"],
            whole=p["whole"],
            title=best.get((p["id"], "title"), p["whole"]),  # imported before probes: the whole text's
            sentence=best.get((p["id"], "sentence"), p["whole"]),
            topic=shares.get(p["id"], 0.0),
            words=words.get(p["id"], 0.0),
            phrase=_longest_phrase(wanted, f"{p['title']}. {p['body']}"),
        )
        item.passage.score = sum(w * getattr(item, k) for k, w in WEIGHTS.items()) + PHRASE_WEIGHT * max(
            item.phrase - 1, 0
        )
        ranked.append(item)
    ranked.sort(key=lambda r: (-r.passage.score, r.id))
    return Ranking(ranked, uncovered, uncovered_topic, indexed=bool(topics))


def _topic_shares(topics: dict[str, tuple[float, int | None]]) -> tuple[dict[int, float], float, str | None]:
    """How the question divides among the topics (a softmax of its similarity to each topic's nearest
    example), summed per passage; the share of the topics no passage covers, and the likeliest of those."""
    if not topics:
        return {}, 0.0, None
    top = max(similarity for similarity, _ in topics.values())
    weights = {name: math.exp((sim - top) / TOPIC_TEMPERATURE) for name, (sim, _) in topics.items()}
    total = sum(weights.values())
    shares: dict[int, float] = defaultdict(float)
    uncovered, likeliest, most = 0.0, None, 0.0
    for name, (_, policy_id) in topics.items():
        share = weights[name] / total
        if policy_id is not None:
            shares[policy_id] += share
            continue
        uncovered += share
        if share > most:
            likeliest, most = name, share
    return dict(shares), uncovered, likeliest


_STOP = frozenset(
    """a an the i you we your our my me is are am do does did can could would will should what which when
    where how why who whom if it its it's to of in on for with and or at by from be been have has there
    this that these those any some about please get got us so just not no yes hi hey hello thanks ok okay
    u ur im i'm i'd i'll""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _phrases(question: str) -> list[list[str]]:
    """The question's runs of two to four words that begin and end with a word that is not a stop word."""
    words = _WORD.findall(question.lower())
    return [
        words[i : i + n]
        for n in (4, 3, 2)
        for i in range(len(words) - n + 1)
        if words[i] not in _STOP and words[i + n - 1] not in _STOP
    ]


def _longest_phrase(phrases: list[list[str]], text: str) -> int:
    """The most words of one of ``phrases`` found in a row in ``text`` (a plural or longer last word
    counts: "gift card" is in "gift cards"); 0 when none."""
    flat = " " + " ".join(_WORD.findall(text.lower()))
    return max((len(p) for p in phrases if " " + " ".join(p) in flat), default=0)


def _word_shares(matches: list[repo.WordMatch], passages: int) -> dict[int, float]:
    """Each passage's share of the question's words, weighed by rarity (a word in every passage weighs
    nothing, a word in none the most: the question names something the text does not), a heading's word
    counting double."""
    holders: dict[str, set[int]] = defaultdict(set)
    titled: dict[str, set[int]] = defaultdict(set)
    for m in matches:
        holders[m["lexeme"]]
        if m["policy_id"] is not None:
            holders[m["lexeme"]].add(m["policy_id"])
            if m["in_title"]:
                titled[m["lexeme"]].add(m["policy_id"])
    weight = {w: math.log((passages + 1) / (len(ids) + 0.5)) for w, ids in holders.items()}
    total = sum(max(v, 0.0) for v in weight.values())
    if total <= 0:
        return {}
    shares: dict[int, float] = defaultdict(float)
    for w, ids in holders.items():
        for pid in ids:
            shares[pid] += max(weight[w], 0.0) * (2 if pid in titled[w] else 1)
    return {pid: min(share / total, 1.0) for pid, share in shares.items()}


async def search_policies(
    conn: Conn, embedder: Embedder, question: str, limit: int = 3
) -> list[PolicyPassage]:
    """The passages that best answer ``question``, best first (empty for an empty question)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    text = question.strip()
    if not text:
        return []
    return [r.passage for r in (await rank(conn, embedder, text)).ranked[:limit]]


# Passages scoring within this of the best answer with it (a question about a refund after a return may
# need both passages); the rest are left out, so that a reply quotes the passage that answers.
RUNNER_UP_MARGIN = 0.15


async def answer_policy(conn: Conn, embedder: Embedder, question: str, limit: int = 3) -> PolicyAnswer:
    """The passages that answer ``question``, best first; none (``covered`` false) when the store's text
    does not cover it: the question is mostly about topics no passage covers (gift wrapping in a store
    whose text never mentions it), or no passage is near it."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    text = question.strip()
    if not text:
        return PolicyAnswer(passages=[], covered=False)
    ranking = await rank(conn, embedder, text)
    if not ranking.ranked:
        return PolicyAnswer(passages=[], covered=False)
    top = ranking.ranked[0].passage.score
    if not ranking.indexed:  # no topics, headings or sentences to judge by: the nearest passages
        return PolicyAnswer(passages=[r.passage for r in ranking.ranked[:limit]], covered=True)
    if ranking.uncovered >= UNCOVERED_SHARE or top < MIN_SCORE:
        topic = ranking.uncovered_topic if ranking.uncovered >= UNCOVERED_SHARE else None
        return PolicyAnswer(passages=[], covered=False, topic=topic)
    close = [r.passage for r in ranking.ranked[:limit] if r.passage.score >= top - RUNNER_UP_MARGIN]
    return PolicyAnswer(passages=close, covered=True)
