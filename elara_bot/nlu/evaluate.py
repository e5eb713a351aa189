"""Scores of the understanding on a labelled split: per-intent precision/recall/F1, accuracy,
out-of-scope recall and slot precision/recall/F1 (exact value match, case-insensitive); and the
out-of-scope rule's calibration by cross-validation on train (``cross_validated_sweep``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from elara_bot.nlu.classifier import Prediction
from elara_bot.nlu.corpus import OUT_OF_SCOPE, Example, load
from elara_bot.nlu.slots import delexicalise
from elara_bot.nlu.understand import Nlu

_NOT_SCORED = frozenset({"decision"})  # a reading of yes/no, not a slot of the corpus


@dataclass(frozen=True)
class IntentScore:
    intent: str
    support: int
    precision: float
    recall: float
    f1: float


@dataclass
class NluReport:
    classifier: str
    threshold: float
    examples: int
    accuracy: float
    oos_recall: float
    slot_precision: float
    slot_recall: float
    slot_f1: float
    intents: list[IntentScore] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (text, gold, predicted)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _pairs(slots: dict[str, str]) -> set[tuple[str, str]]:
    return {(k, v.lower().strip()) for k, v in slots.items() if k not in _NOT_SCORED}


def evaluate(nlu: Nlu, examples: Sequence[Example]) -> NluReport:
    gold_n: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    hit_n: Counter[str] = Counter()
    slot_tp = slot_pred = slot_gold = 0
    errors = []
    nlu.prime([ex.text for ex in examples])
    for ex in examples:
        got = nlu.understand(ex.text)
        merged: dict[str, str] = {}
        for step in got.steps:
            for key, value in step.slots.items():
                merged.setdefault(key, value)
        gold_n[ex.intent] += 1
        pred_n[got.intent] += 1
        if got.intent == ex.intent:
            hit_n[ex.intent] += 1
        else:
            errors.append((ex.text, ex.intent, got.intent))
        gold, pred = _pairs(ex.slots), _pairs(merged)
        slot_tp, slot_pred, slot_gold = (
            slot_tp + len(gold & pred),
            slot_pred + len(pred),
            slot_gold + len(gold),
        )
    intents = []
    for intent in sorted(gold_n | pred_n):
        p, r = _ratio(hit_n[intent], pred_n[intent]), _ratio(hit_n[intent], gold_n[intent])
        intents.append(IntentScore(intent, gold_n[intent], p, r, _f1(p, r)))
    sp, sr = _ratio(slot_tp, slot_pred), _ratio(slot_tp, slot_gold)
    return NluReport(
        classifier=nlu.classifier.kind,
        threshold=nlu.threshold,
        examples=len(examples),
        accuracy=_ratio(sum(hit_n.values()), len(examples)),
        oos_recall=_ratio(hit_n[OUT_OF_SCOPE], gold_n[OUT_OF_SCOPE]),
        slot_precision=sp,
        slot_recall=sr,
        slot_f1=_f1(sp, sr),
        intents=intents,
        errors=errors,
    )


@dataclass(frozen=True)
class SweepRow:
    threshold: float
    floor: float
    accuracy: float
    oos_recall: float


def _group(example: Example, index: int) -> str:
    """A template's sentences share a group; each hand-written sentence is its own."""
    return example.source if example.source.startswith("template:") else f"{example.source}:{index}"


def cross_validated_sweep(
    nlu: Nlu, thresholds: Sequence[float], floors: Sequence[float], folds: int = 5
) -> list[SweepRow]:
    """Accuracy and out-of-scope recall on train by ``folds``-fold cross-validation grouped by template,
    for each (classifier threshold, nearest-sentence floor) of the out-of-scope rule: calibrates the rule
    without looking at dev."""
    from sklearn.model_selection import GroupKFold

    from elara_bot.nlu.classifier import IntentClassifier

    train = load("train")
    texts = np.asarray([delexicalise(e.text, nlu.vocabulary) for e in train])
    labels = np.asarray([e.intent for e in train])
    vectors = nlu.classifier.vectors
    groups = [_group(e, i) for i, e in enumerate(train)]
    found: list[Prediction | None] = [None] * len(train)
    for fit, held in GroupKFold(folds).split(vectors, labels, groups):
        model = IntentClassifier(nlu.classifier.kind, list(texts[fit]), vectors[fit], list(labels[fit]))
        for i, p in zip(held, model.predict(list(texts[held]), vectors[held]), strict=True):
            found[i] = p
    predictions = [p for p in found if p is not None]
    assert len(predictions) == len(train), "every sentence is held out once"
    rows = []
    is_oos = labels == OUT_OF_SCOPE
    for threshold in thresholds:
        for floor in floors:
            got = np.asarray([_rule(p, threshold, floor) for p in predictions])
            rows.append(
                SweepRow(
                    threshold,
                    floor,
                    float((got == labels).mean()),
                    float((got[is_oos] == OUT_OF_SCOPE).mean()),
                )
            )
    return rows


def _rule(p: Prediction, threshold: float, floor: float) -> str:
    return OUT_OF_SCOPE if p.confidence < threshold and p.nearest < floor else p.intent
