"""What searches remember between calls, owned by the runtime that runs them (never by the process).

Two runtimes (two apps in one test process, the CLI beside the service) keep their own; an import through a
runtime clears that runtime's.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from retrieval.query_parser import VocabularyCache
from retrieval.search import Ranked


class Rankings:
    """Recent rankings (product ids, scores, similarities) by query: a repeated query skips the embedding
    and the retrieval SQL. Products are loaded fresh every time, so prices and stock are current; only the
    choice and order of products may lag by ``ttl`` seconds (``search.result_cache_s``)."""

    def __init__(self, size: int = 2048) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[float, list[Ranked]]] = OrderedDict()
        self._size = size

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[Any, ...], ttl: float) -> list[Ranked] | None:
        found = self._items.get(key) if ttl > 0 else None
        if found is None or time.monotonic() - found[0] > ttl:
            return None
        self._items.move_to_end(key)
        return found[1]

    def put(self, key: tuple[Any, ...], ranked: list[Ranked], ttl: float) -> None:
        if ttl > 0:
            self._items[key] = (time.monotonic(), ranked)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class ProductTypes:
    """The catalog's product-type terms per database, kept ``ttl`` seconds."""

    def __init__(self, ttl: float = 600.0) -> None:
        self._items: dict[str, tuple[float, frozenset[str]]] = {}
        self._ttl = ttl

    def get(self, key: str) -> frozenset[str] | None:
        found = self._items.get(key)
        return found[1] if found and time.monotonic() - found[0] < self._ttl else None

    def put(self, key: str, terms: frozenset[str]) -> None:
        self._items[key] = (time.monotonic(), terms)

    def clear(self) -> None:
        self._items.clear()


@dataclass
class SearchCaches:
    """The rankings, the query parser's option vocabulary and the product types one runtime remembers."""

    rankings: Rankings = field(default_factory=Rankings)
    vocabulary: VocabularyCache = field(default_factory=VocabularyCache)
    types: ProductTypes = field(default_factory=ProductTypes)

    def clear(self) -> None:
        """After the catalog changed (an import): the next searches rank and parse afresh."""
        self.rankings.clear()
        self.vocabulary.clear()
        self.types.clear()
