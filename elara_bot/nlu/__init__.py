"""Understanding shoppers: intent classification, slot extraction and request splitting over a labelled
corpus of shopper utterances (``elara_bot/nlu/data``). Entry point: ``Nlu.train(embedder).understand``."""

from elara_bot.nlu.understand import DialogueState, Expectation, Nlu, Step, Understanding

__all__ = ["DialogueState", "Expectation", "Nlu", "Step", "Understanding"]
