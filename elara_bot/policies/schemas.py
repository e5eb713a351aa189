"""Policy passages: one titled piece of the store's policies or FAQ."""

from __future__ import annotations

from pydantic import BaseModel


class Passage(BaseModel):
    title: str
    body: str


class PolicyPassage(Passage):
    """A search hit: the passage and its fused (reciprocal rank) score."""

    score: float
