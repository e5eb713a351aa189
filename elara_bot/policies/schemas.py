"""Policy passages: one titled piece of the store's policies or FAQ."""

from __future__ import annotations

from pydantic import BaseModel


class Passage(BaseModel):
    title: str
    body: str


class PolicyPassage(Passage):
    """A search hit: the passage and its score (higher is nearer the question)."""

    score: float


class PolicyAnswer(BaseModel):
    """What the store's text says about a question: the passages that answer it, best first, or none
    (``covered`` false) when no passage is a confident match; ``topic`` names what the question is about
    when it is one of the common policy topics (a topic the text may not cover, like gift wrapping)."""

    passages: list[PolicyPassage]
    covered: bool
    topic: str | None = None
