"""One reading of a shopper's message: ``Nlu.understand(text, state) -> Understanding``.

The pipeline, in order:

1. **Split** a message holding several requests into ordered steps ("add the first one and show me my
   cart"). A conjunction splits only when both sides are, on their own, confidently classified requests
   the shop acts on, the left side is more than a word (or a clear yes/no), and the two are not both
   searches: "black and white sneakers", "salt and pepper grinder" and "a tent and a sleeping bag" stay
   one request.
2. **Classify** each step (see `elara_bot.nlu.classifier`); below the threshold a step is out of scope.
3. **Read the answer to our own question**: when the state says what the assistant asked
   (`Expectation`), a message that carries that slot ("EL-7KQ2ZP" after "which order?", "XL" after "which
   size?") continues the pending request instead of starting another; a yes/no after a confirmation
   question is decided by `elara_bot.agent.confirmation.decide` (the one yes/no decision).
4. **Extract slots** per step (`elara_bot.nlu.slots`).
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from elara_bot.nlu import corpus
from elara_bot.nlu.classifier import (
    NEAREST_FLOOR,
    THRESHOLDS,
    IntentClassifier,
    Kind,
    Prediction,
    embed_corpus,
)
from elara_bot.nlu.decision import Decision, decide
from elara_bot.nlu.slots import delexicalise, extract_slots, mask_identifiers, topic_of
from elara_bot.nlu.spelling import SpellingRepair
from elara_bot.nlu.vocabulary import NluVocabulary, plural
from retrieval.embedding import Embedder, Vector

_FEATURES = "delex2"  # what the cached vectors were made of: bump when the preprocessing changes
# Readings kept by classifier input: shoppers repeat the same short requests ("yes", "checkout", "show my
# cart"), and splitting a message reads its parts again; a reading is a few hundred bytes.
READINGS_KEPT = 4096
SPLIT_CONFIDENCE = 0.5  # both sides of a split must be at least this sure (logreg probability)
_SEARCHES = frozenset({"search", "refine_search"})
_MODIFIERS = frozenset({"choose_variant", "refine_search"})  # what only narrows the request before it
_ADDS = re.compile(
    r"^\W*(?:please\s+|pls\s+|can you\s+|could you\s+)?(?:add|put|throw|pop|buy|get me)\b", re.I
)
_ASKS = re.compile(
    r"^\W*(?:also\s+)?(?:what|what's|whats|how|when|where|do you|does|can i|could i|is there|are there)\b",
    re.I,
)
_CART_EDITS = frozenset({"add_to_cart", "remove_from_cart", "change_quantity"})
_THING = re.compile(r"^(?:the|a|an|some|one|two|three|four|five|\d+|my|that|this|those|these)\b", re.I)
_DETERMINER = re.compile(r"^(?:the|a|an|one|ones|in|with|size|only|just|for|without|made\s+of)\b", re.I)
# a request of its own starts with what to do (or who asks)
_ACTION = re.compile(
    r"^\W*(?:please\s+|then\s+|also\s+|now\s+)?(?:add|put|throw|remove|delete|drop|take|show|view|see|check|go|"
    r"proceed|pay|cancel|return|track|find|search|look|get|give|make|change|set|clear|empty|buy|order|send|"
    r"tell|what|where|when|how|is|are|do|does|can|could|would|will|i|i'd|i'll|i'm|id|ill|im|let|let's|lets|"
    r"who|which|why|swap|switch|bring|update)\b",
    re.I,
)
_CONJUNCTION = re.compile(
    r"\s*(?:,\s*)?\b(?:and\s+then|and\s+also|and|then|also|plus)\b\s*|\s*[;,]\s*|(?<=[.!?])\s+", re.I
)
# everyday shop words the repair may correct to even when the corpus happens not to use them
SPELLING_WORDS = """basket cart order orders cancel return refund payment paid deliver delivery shipping
address please thanks hello help agent human person manager complaint checkout purchase ordered bought
previous before exchange another quantity remove delete instructions absolutely nevermind definitely
receipt invoice discount coupon warranty""".split()
_WORD = re.compile(r"[\w'-]+")
# Intents that an answer to the assistant's question may be mistaken for ("EL-7KQ2ZP" alone reads as an
# order-status request; "XL" as a variant choice): these yield to the pending request.
_ANSWER_LIKE = frozenset(
    {"choose_variant", "order_status", "confirm", "out_of_scope", "search", "refine_search"}
)


_TRAINING = threading.Lock()
_TRAINED: weakref.WeakKeyDictionary[Any, Nlu] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Expectation:
    """What the assistant just asked: the request it belongs to and the slot an answer fills.

    ``slot`` is "confirmation" for a yes/no question about ``args`` (the pending tool call's arguments),
    otherwise a slot name ("order_number", "size", "color", "quantity", "ordinal")."""

    intent: str
    slot: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class DialogueState:
    """The part of the conversation state the understanding reads."""

    expecting: Expectation | None = None


@dataclass(frozen=True)
class Step:
    text: str
    intent: str
    confidence: float
    slots: dict[str, str]


@dataclass(frozen=True)
class Understanding:
    """The message's first request (``intent``, ``confidence``, ``slots``) and all of them in order."""

    intent: str
    confidence: float
    slots: dict[str, str]
    steps: tuple[Step, ...]


class Nlu:
    """The trained understanding: an embedder, an intent classifier, a threshold and a vocabulary."""

    def __init__(
        self,
        embedder: Embedder,
        classifier: IntentClassifier,
        *,
        threshold: float | None = None,
        vocabulary: NluVocabulary | None = None,
        spelling: SpellingRepair | None = None,
    ) -> None:
        self.embedder = embedder
        self.spelling = spelling
        self.classifier = classifier
        self.threshold = THRESHOLDS[classifier.kind] if threshold is None else threshold
        self.nearest_floor = NEAREST_FLOOR
        self.vocabulary = vocabulary or NluVocabulary.base()
        self.startup_s = 0.0
        self._primed: dict[str, Vector] = {}
        self._read: OrderedDict[str, Prediction] = OrderedDict()  # recent readings, by classifier input
        self._read_lock = threading.Lock()

    @classmethod
    def train(
        cls,
        embedder: Embedder,
        *,
        kind: Kind = "logreg",
        cache_dir: Path | None = None,
        vocabulary: NluVocabulary | None = None,
    ) -> Nlu:
        """Fit on the shipped train split (the vectors come from ``cache_dir`` when cached there)."""
        started = time.perf_counter()
        examples = corpus.load("train")
        vocab = vocabulary or NluVocabulary.base()
        texts = [delexicalise(e.text, vocab) for e in examples]
        vectors = embed_corpus(
            embedder, texts, f"{corpus.fingerprint('train')}{vocab.key()}-{_FEATURES}", cache_dir
        )
        classifier = IntentClassifier(kind, texts, vectors, [e.intent for e in examples])
        nlu = cls(
            embedder,
            classifier,
            vocabulary=vocabulary,
            spelling=SpellingRepair(
                (e.text for e in examples),
                [*(vocabulary or NluVocabulary.base()).product_types, *SPELLING_WORDS],
            ),
        )
        nlu.startup_s = time.perf_counter() - started
        return nlu

    @classmethod
    def for_embedder(cls, embedder: Embedder, cache_dir: Path | None = None) -> Nlu:
        """The understanding trained on ``embedder``: trained once per embedder object (a service holds
        one embedder), then shared by every conversation of that service."""
        with _TRAINING:
            found = _TRAINED.get(embedder)
            if found is None:
                found = _TRAINED[embedder] = cls.train(embedder, cache_dir=cache_dir)
        return found

    def learn_catalog(self, product_types: list[str]) -> None:
        """Read the catalog's own product names as product types ("notebooks?", "show me an espresso
        machine" are searches): the classifier reads them as the corpus's product placeholder."""
        spelled = {t.replace("-", "") for t in product_types if "-" in t}  # "ereader" for "e-reader"
        names = [*product_types, *spelled]
        self.vocabulary = self.vocabulary.with_catalog(names, (), ())
        if self.spelling is not None:
            self.spelling.learn([*names, *(plural(n) for n in names)])

    def predict(self, texts: list[str]) -> list[Prediction]:
        """The classifier's reading of each text, with the out-of-scope threshold applied."""
        if not texts:
            return []
        plain = [self._plain(t) for t in texts]
        with self._read_lock:
            known = {t: self._read[t] for t in plain if t in self._read}
            for t in known:
                self._read.move_to_end(t)
        new = list(dict.fromkeys(t for t in plain if t not in known))
        if new:
            vectors = np.stack([self._vector(t) for t in new]).astype(np.float32)
            fresh = dict(zip(new, self.classifier.predict(new, vectors), strict=True))
            with self._read_lock:
                self._read.update(fresh)
                while len(self._read) > READINGS_KEPT:
                    self._read.popitem(last=False)
            known.update(fresh)
        return [self._floor(known[t]) for t in plain]

    def _vector(self, plain: str) -> Vector:
        primed = self._primed.pop(plain, None)
        return primed if primed is not None else self.embedder.embed_query(plain)

    def _plain(self, text: str) -> str:
        """What the classifier reads: typos repaired, slot values replaced by their kind."""
        text = mask_identifiers(text)  # before the typo repair, which made words of hex digits
        return delexicalise(self.spelling(text) if self.spelling else text, self.vocabulary)

    def prime(self, texts: list[str]) -> None:
        """Encode ``texts`` in batches ahead of understanding them one by one (an evaluation's sentences);
        each primed vector is used once."""
        plain = list(dict.fromkeys(self._plain(t) for t in texts))
        self._primed.update(zip(plain, self.embedder.embed_documents(plain), strict=True))

    def _floor(self, p: Prediction) -> Prediction:
        unsure = p.confidence < self.threshold and p.nearest < self.nearest_floor
        if unsure and p.intent != corpus.OUT_OF_SCOPE:
            return Prediction(corpus.OUT_OF_SCOPE, p.confidence, p.ranked, p.nearest)
        return p

    def understand(self, text: str, state: DialogueState | None = None) -> Understanding:
        expecting = state.expecting if state else None
        parts = self._split(text) if expecting is None or expecting.slot != "confirmation" else [text]
        predictions = self.predict(parts)
        steps = [self._step(part, p, expecting if i == 0 else None) for i, (part, p) in
                 enumerate(zip(parts, predictions, strict=True))]  # fmt: skip
        first = steps[0]
        return Understanding(first.intent, first.confidence, first.slots, tuple(steps))

    def _step(self, text: str, p: Prediction, expecting: Expectation | None) -> Step:
        intent, confidence = p.intent, p.confidence
        slot_wanted = expecting.slot if expecting else None
        slots = extract_slots(text, self.vocabulary, expecting=slot_wanted)
        if expecting is not None and expecting.slot == "confirmation":
            decision = decide(text, expecting.args)
            if decision in (Decision.YES, Decision.NO):
                intent, confidence = ("confirm" if decision is Decision.YES else "deny"), 1.0
            slots["decision"] = decision.value
        elif expecting is not None and expecting.slot in slots and intent in _ANSWER_LIKE:
            intent = expecting.intent
        elif intent in ("confirm", "deny"):
            decision = decide(text)
            if decision is Decision.NO:
                intent = "deny"
            slots["decision"] = decision.value
        if intent == "policy" and (topic := topic_of(text)):
            slots["topic"] = topic
        return Step(text, intent, confidence, slots)

    def _split(self, text: str) -> list[str]:
        """Ordered requests of ``text`` (see the module docstring); one part when nothing splits."""
        for m in _CONJUNCTION.finditer(text):
            left, right = text[: m.start()].strip(" ,"), text[m.end() :].strip(" ,")
            separator = "," if m.group(0).strip() == "," else "and"
            if not left or not right or not self._splittable(left, right, separator):
                continue
            return [left, *self._split(right)]
        return [text]

    def _another_kind(self, left: str, right: str) -> bool:
        """Whether both sides name a kind of product, different ones, the right one as a thing ("the pink
        yoga mat", "two mugs") rather than a description ("in pink")."""
        kinds = [extract_slots(side, self.vocabulary).get("product_type") for side in (left, right)]
        asks = _THING.match(right) is not None or _ACTION.match(right) is not None  # "I'd like to see mice"
        return None not in kinds and kinds[0] != kinds[1] and asks

    def _splittable(self, left: str, right: str, separator: str = "and") -> bool:
        if len(_WORD.findall(left)) < 2 and decide(left) not in (Decision.YES, Decision.NO):
            return False
        if len(_WORD.findall(right)) < 2:
            return False
        a, b = self.predict([left, right])
        if (a.intent in _CART_EDITS or _ADDS.match(left)) and self._another_kind(left, right):
            return True  # "add the hard cover notebook and the pink yoga mat": two adds, however worded
        if a.intent in corpus.ACTIONABLE and _ASKS.match(right) and topic_of(right) and not topic_of(left):
            return True  # "tea kettles under 100, and also what's your return window?"
        if topic_of(left) and _ASKS.match(right):
            if "product_type" in extract_slots(right, self.vocabulary):
                return True  # "what's your return window, and do you have hiking boots in size 11?"
        sure = all(
            p.intent in corpus.ACTIONABLE and p.confidence >= max(SPLIT_CONFIDENCE, self.threshold)
            for p in (a, b)
        )
        # "put the second one in my basket, red, size 9", "...water bottles, the 500ml ones", "the 60%
        # keyboard with RGB and linear switches": one request; "the notebook and the pink yoga mat": two
        modifier = b.intent in _MODIFIERS or (separator == "," and _DETERMINER.match(right) is not None)
        if not modifier and _ACTION.match(right) is None:
            modifier = "product_type" not in extract_slots(right, self.vocabulary)
        return sure and not modifier and not (a.intent in _SEARCHES and b.intent in _SEARCHES)
