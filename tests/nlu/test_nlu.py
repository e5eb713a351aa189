"""The understanding: dev-split targets with the real classifier, slot extraction, request splitting and
answers to the assistant's own questions."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from elara_bot.nlu import DialogueState, Expectation, Nlu
from elara_bot.nlu.classifier import embed_corpus
from elara_bot.nlu.corpus import INTENTS, load
from elara_bot.nlu.evaluate import NluReport, cross_validated_sweep, evaluate
from elara_bot.nlu.slots import extract_slots
from retrieval.embedding import Embedder, Vector


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh directory per run: the suite caches nothing outside the clone (the vectors are encoded once
    per run and read back by test_the_cached_vectors_are_used)."""
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="module")
def nlu(embedder: Embedder, cache_dir: Path) -> Nlu:
    return Nlu.train(embedder, cache_dir=cache_dir)


class TestCorpus:
    def test_size_and_coverage(self) -> None:
        train, dev = load("train"), load("dev")
        assert len(train) + len(dev) >= 1500
        assert {e.intent for e in train} == {e.intent for e in dev} == set(INTENTS)
        assert len(INTENTS) >= 25
        assert 0.15 <= len(dev) / (len(train) + len(dev)) <= 0.3

    def test_dev_shares_no_sentence_with_train(self) -> None:
        seen = {" ".join(e.text.lower().split()) for e in load("train")}
        assert not [e.text for e in load("dev") if " ".join(e.text.lower().split()) in seen]


@pytest.fixture(scope="module")
def report(nlu: Nlu) -> NluReport:
    return evaluate(nlu, load("dev"))


class TestEvaluation:
    def test_slot_f1_does_not_drop(self, report: NluReport) -> None:
        """Slot F1 measured with the current corpus (0.951), less a margin."""
        assert report.slot_f1 >= 0.94

    def test_unseen_templates_of_train(self, nlu: Nlu) -> None:
        """Grouped cross-validation on train (two folds, no template on both sides): the figures that
        calibrate the out-of-scope rule (five folds: accuracy 0.880, out-of-scope recall 0.930)."""
        (row,) = cross_validated_sweep(nlu, [nlu.threshold], [nlu.nearest_floor], folds=2)
        assert row.accuracy >= 0.8  # measured 0.834 with two folds
        assert row.oos_recall >= 0.85  # measured 0.936

    def test_dev_targets(self, report: NluReport) -> None:
        """Issue 13's targets on the held-out dev templates (measured: accuracy 0.966, out-of-scope recall
        0.966 on 29 sentences)."""
        assert report.accuracy >= 0.95, report.errors[:20]
        assert report.oos_recall >= 0.9


SLOT_CASES = [
    ("nothing above 60 bucks for running shoes",
     {"max_price": "60", "currency": "USD", "product_type": "running shoe"}),
    ("I can't go over $300", {"max_price": "300", "currency": "USD"}),
    ("a tent under $50", {"max_price": "50", "currency": "USD", "product_type": "tent"}),
    ("add the second one in XL", {"ordinal": "2", "size": "XL"}),
    ("a blue one in medium", {"color": "blue", "size": "M"}),
    ("size 10 please", {"size": "10"}),
    ("make it a pair", {"quantity": "2"}),
    ("i only need one, not two", {"quantity": "1"}),
    ("add 3x the first", {"quantity": "3", "ordinal": "1"}),
    ("a couple of the black ones", {"quantity": "2", "color": "black"}),
    ("cancel el-7kq2zp please", {"order_number": "EL-7KQ2ZP"}),
    ("the last one you showed", {"ordinal": "-1"}),
    ("the cheaper one", {"reference": "cheapest"}),
    ("both of them", {"reference": "both"}),
    ("that one", {"reference": "that"}),
    ("compare the first and the third", {"ordinal": "1,3"}),
    ("take the kettle out", {"product_type": "kettle"}),
    ("leather wallets", {"material": "leather", "product_type": "wallet"}),
    ("cancel my last order", {}),
    ("a tent for 4 people", {"product_type": "tent"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SLOT_CASES)
def test_slots(text: str, expected: dict[str, str]) -> None:
    assert extract_slots(text) == expected


def test_an_expected_slot_reads_a_bare_answer() -> None:
    assert extract_slots("2", expecting="quantity") == {"quantity": "2"}
    assert extract_slots("M", expecting="size") == {"size": "M"}


class TestSplitting:
    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            ("add the first one and show me my cart", ["add_to_cart", "view_cart"]),
            ("remove the mat and add two bottles", ["remove_from_cart", "add_to_cart"]),
            ("clear my cart, then show me tents", ["clear_cart", "search"]),
        ],
    )
    def test_several_requests(self, nlu: Nlu, text: str, intents: list[str]) -> None:
        assert [s.intent for s in nlu.understand(text).steps] == intents

    def test_steps_keep_their_own_slots(self, nlu: Nlu) -> None:
        steps = nlu.understand("remove the mat and add two bottles").steps
        assert steps[0].slots.get("product_type") == "mat"
        assert steps[1].slots == {"quantity": "2", "product_type": "bottle"}

    @pytest.mark.parametrize(
        "text", ["black and white sneakers", "salt and pepper grinder", "a tent and a sleeping bag"]
    )
    def test_one_request(self, nlu: Nlu, text: str) -> None:
        got = nlu.understand(text)
        assert len(got.steps) == 1
        assert got.intent == "search"


class TestState:
    def test_an_order_number_answers_which_order(self, nlu: Nlu) -> None:
        state = DialogueState(Expectation("cancel_order", "order_number"))
        got = nlu.understand("EL-7KQ2ZP", state)
        assert (got.intent, got.slots["order_number"]) == ("cancel_order", "EL-7KQ2ZP")
        assert nlu.understand("EL-7KQ2ZP").intent == "order_status"

    @pytest.mark.parametrize(
        ("text", "intent"),
        [("do it", "confirm"), ("yep", "confirm"), ("go ahead", "confirm"), ("actually no", "deny")],
    )
    def test_a_confirmation_answer(self, nlu: Nlu, text: str, intent: str) -> None:
        state = DialogueState(Expectation("cancel_order", "confirmation", {"order_number": "EL-7KQ2ZP"}))
        assert nlu.understand(text, state).intent == intent

    def test_a_size_answers_which_size(self, nlu: Nlu) -> None:
        got = nlu.understand("XL please", DialogueState(Expectation("add_to_cart", "size")))
        assert (got.intent, got.slots) == ("add_to_cart", {"size": "XL"})


@pytest.mark.parametrize("text", ["what's the meaning of life?", "tell me a joke", "write me a bash script"])
def test_out_of_scope(nlu: Nlu, text: str) -> None:
    assert nlu.understand(text).intent == "out_of_scope"


@pytest.mark.parametrize(
    "template",
    [
        "my customer id is {}, show my orders",
        "where is my order? my email is {}",
        "i paid with card {}, was it charged",
        "my account token is {} please check my cart",
    ],
)
def test_a_pasted_identifier_does_not_sway_the_reading(nlu: Nlu, template: str) -> None:
    """Its characters say nothing about the request: a uuid's hex digits once sent "show my orders" to a
    person for some uuids and not for others."""
    uuid_like = [str(uuid.UUID(int=random.Random(seed).getrandbits(128))) for seed in range(12)]
    fillers = {
        "show my orders": uuid_like,
        "my email": [f"{n}@{h}" for n in ("ana.lee", "bo_92", "x+y") for h in ("ex.com", "mail.co.uk")],
        "card": ["4242 4242 4242 4242", "5555555555554444", "4000-0566-5566-5556"],
        "token": ["tok_1NiB2dLkdIwHu7ix3k0nY8", "a7f3c9e1b2d4f6a8c0e2", "sk-test-9f8e7d6c5b4a3210"],
    }
    values = next(v for key, v in fillers.items() if key in template)
    readings = {tuple(s.intent for s in nlu.understand(template.format(v)).steps) for v in values}
    assert len(readings) == 1, readings


class _Counting:
    """The embedder, counting corpus encodings."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.dimension, self.documents = inner, inner.dimension, 0

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        self.documents += 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)


def test_the_cached_vectors_are_used(embedder: Embedder, nlu: Nlu, cache_dir: Path, tmp_path: Path) -> None:
    counting = _Counting(embedder)
    again = Nlu.train(counting, cache_dir=cache_dir)
    assert counting.documents == 0
    assert again.understand("show me my cart").intent == "view_cart"
    texts = ["add the first one", "show me my cart"]
    first = embed_corpus(counting, texts, "key", tmp_path)  # an empty cache: encodes, and writes the file
    assert counting.documents == 1
    assert len(list(tmp_path.glob("nlu-key-*.npy"))) == 1
    assert (embed_corpus(counting, texts, "key", tmp_path) == first).all()
    assert counting.documents == 1
