"""The one yes/no reading of a shopper's answer to a question the assistant asked.

Only a clear yes confirms: a yes word with nothing but politeness and the action's own words around it. Any
negation anywhere wins ("yes... wait, no", "no! not yes"); a yes with anything else in it ("yes but for
the other order", "yes?") is unclear, and unclear is not yes. Used by every path: the offline model, the
`confirm` / `deny` buttons, the conversation service that grants a confirmation to a hosted model's turn.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any


class Decision(Enum):
    YES = "yes"  # a clear yes
    NO = "no"  # a negation somewhere in the message
    UNCLEAR = "unclear"  # a yes word, with something in it that is not a plain yes
    NOT_AN_ANSWER = "not_an_answer"  # neither: the shopper is saying something else


NEGATIONS = frozenset(
    """no nope nah nay not never none nothing don't dont do-not doesn't won't wont can't cant shouldn't
    wouldn't isn't negative deny denied decline refuse stop wait hold abort nevermind keep""".split()
)
YES_WORDS = frozenset(
    """yes yep yeah yup yea ya y sure confirm confirmed ok okay alright proceed absolutely definitely
    certainly correct affirmative agreed approve approved""".split()
)
YES_PHRASES = frozenset(
    {("do", "it"), ("go", "ahead"), ("please", "do"), ("of", "course"), ("all", "right"), ("go", "for"),
     ("sounds", "good"), ("that's", "right"), ("let's", "do"), ("lets", "do"), ("do", "that")}
)  # fmt: skip
# Words that may stand beside a yes without making it unclear: politeness and the action's own words.
FILLERS = frozenset(
    """please thanks thank you it that this i i'm im am so just now right really indeed thing do go ahead
    of course all the my order cancel return them go on want to for sounds good fine great perfect lets let's
    that's thing one yes""".split()
)
TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*|\?")


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower().replace("\u2019", "'"))


def _negated(tokens: list[str]) -> bool:
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


def _says_yes(tokens: list[str]) -> bool:
    pairs = zip(tokens, tokens[1:], strict=False)
    return any(t in YES_WORDS for t in tokens) or any(pair in YES_PHRASES for pair in pairs)


def _argument_words(args: dict[str, Any] | None) -> set[str]:
    """The pending action's own values ("yes, cancel EL-7KQ2ZP" names the order being confirmed)."""
    words: set[str] = set()
    for value in (args or {}).values():
        for item in value if isinstance(value, list) else [value]:
            words.update(_tokens(str(item)))
    return words


def decide(text: str, args: dict[str, Any] | None = None) -> Decision:
    """How `text` answers a confirmation question about an action with arguments `args`."""
    tokens = _tokens(text)
    if _negated(tokens):
        return Decision.NO
    if not _says_yes(tokens):
        return Decision.NOT_AN_ANSWER
    allowed = YES_WORDS | FILLERS | _argument_words(args)
    return Decision.YES if all(t in allowed for t in tokens) else Decision.UNCLEAR
