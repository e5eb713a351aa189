"""Policy questions asked indirectly, the way shoppers ask them, against the demo store's text: the
store_policy tool must return the passage that answers each one first, or no passage at all when the
text does not cover the question (the reply then says so instead of quoting the nearest passage).

None of these wordings is written into the ranking (the topics' example questions are other words); they
are the kind of question issue 13's held-out trial asks (delivery abroad, "how soon would it arrive",
"money back", things the text never mentions). Before the ranking by heading, sentence and topic, 27 of the
49 came first (and no question was ever "not covered"); the offline reply named the right passage for 29.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage

from elara_bot.agent.offline_model import phrase_results
from elara_bot.agent.tools import ShopperContext, store_policy
from elara_bot.customers import service as customers
from elara_bot.db import Conn
from elara_bot.demo import demo_file
from elara_bot.payments.dev import build_dev_provider
from elara_bot.policies.schemas import Passage
from elara_bot.policies.service import answer_policy, import_policies, parse_policies, refresh_index
from retrieval.embedding import Embedder
from tests.conftest import make_settings

NOT_COVERED = None  # the demo text does not say: no passage is returned

QUESTIONS: list[tuple[str, str | None]] = [
    # where the store delivers
    ("can you send a parcel to my sister in Germany?", "Where we ship"),
    ("I'm in Australia, will you post it out to me?", "Where we ship"),
    ("is delivery to Hawaii possible?", "Where we ship"),
    ("can it go to my PO box?", "Where we ship"),
    ("is international delivery available?", "Where we ship"),
    ("I live in Mexico City, can I still get one?", "Where we ship"),
    # how long delivery takes
    ("how long until my package gets here?", "Shipping times"),
    ("if I buy it now when would it show up?", "Shipping times"),
    ("how many days does delivery usually take?", "Shipping times"),
    ("how quickly do you send things out after I pay?", "Shipping times"),
    # what delivery costs
    ("is there a delivery charge?", "Shipping costs"),
    ("will I have to pay extra for postage?", "Shipping costs"),
    ("do you have an express option if I pay more?", "Shipping costs"),
    # returns
    ("I changed my mind about the jacket, can I send it back?", "Returns"),
    ("how many days do I have to return something?", "Returns"),
    ("what if I don't like it once it's delivered?", "Returns"),
    # refunds and their timing
    ("how many days till the refund hits my card?", "Refunds"),
    ("do I get my money back on the same card I paid with?", "Refunds"),
    ("after I send stuff back, when does the money land in my account?", "Refunds"),
    # cancelling
    ("I ordered by mistake, can I call it off?", "Cancellation policy"),
    ("is it too late to cancel once it has been shipped?", "Cancellation policy"),
    # exchanges
    ("the shoes are too small, can I swap them for a bigger pair?", "Exchanges"),
    ("can I trade the blue one I got for a red one?", "Exchanges"),
    # changing a placed order
    ("I need to add another item to the order I already placed", "Changing an order"),
    ("I typed the wrong street, can you fix the address on my order?", "Changing an order"),
    # tracking
    ("how do I find out where my parcel is right now?", "Order tracking"),
    # paying
    ("do you take PayPal?", "Payment methods"),
    ("can I pay cash when it's delivered?", "Payment methods"),
    ("which cards can I use?", "Payment methods"),
    ("how long do I have to pay before my order expires?", "Paying for an order"),
    ("what card number do I use on the test checkout page?", "Test mode payments"),
    # sizing
    ("I'm usually between a medium and a large, which should I get?", "Sizing help"),
    ("do your boots fit people with wide feet?", "Sizing help"),
    # warranty
    ("my kettle stopped working after two months, is that covered?", "Warranty"),
    ("what happens if the headphones die after half a year?", "Warranty"),
    # damaged or wrong items
    ("the mug came smashed in the box", "Damaged or wrong items"),
    ("you sent me the wrong colour", "Damaged or wrong items"),
    # privacy
    ("do you sell my email to advertisers?", "Privacy policy"),
    ("can you delete everything you know about me?", "Privacy policy"),
    # reaching a person
    ("what hours is your team around?", "Contact and human help"),
    ("is there an email address I can write to?", "Contact and human help"),
    # the text does not say
    ("do you have a physical shop I can visit?", NOT_COVERED),
    ("any student discount?", NOT_COVERED),
    ("can I get my name engraved on it?", NOT_COVERED),
    ("do you price match if it's cheaper elsewhere?", NOT_COVERED),
    ("is there a loyalty programme or reward points?", NOT_COVERED),
    ("got a promo code for my first order?", NOT_COVERED),
    ("do you plant a tree for every order?", NOT_COVERED),
    ("can I collect it myself from your warehouse?", NOT_COVERED),
]

# What the held-out trial got wrong (issue 13): a word of the wrong passage ("address", "arrives",
# "gift cards") outranked what the question is about.
TRIAL: list[tuple[str, str | None]] = [
    ("could you deliver to an address in the UK?", "Where we ship"),
    ("if I order today, how soon would it arrive?", "Shipping times"),
    ("do you do gift wrapping?", NOT_COVERED),
    ("I cancelled an order yesterday, when will I see the money back on my card?", "Refunds"),
]


@pytest.fixture
async def ctx(conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Embedder) -> ShopperContext:
    settings = make_settings(shared_db_url, tmp_path)
    shopper = await customers.customer_for_identity(conn, "web", "policy-questions")
    return ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))


async def _ask(ctx: ShopperContext, question: str) -> dict[str, Any]:
    runtime: ToolRuntime[Any, Any] = ToolRuntime(
        state={"messages": []},
        context=ctx,
        config={},
        stream_writer=lambda _: None,
        tool_call_id="c",
        store=None,
    )
    assert store_policy.coroutine is not None
    content, _ = await store_policy.coroutine(question, runtime)
    data = json.loads(content)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(("question", "title"), QUESTIONS + TRIAL)
async def test_the_passage_that_answers_comes_first(
    ctx: ShopperContext, question: str, title: str | None
) -> None:
    data = await _ask(ctx, question)
    titles = [p["title"] for p in data["passages"]]
    if title is NOT_COVERED:
        assert titles == [], titles
        assert data["covered"] is False
    else:
        assert titles[:1] == [title], titles
        assert "covered" not in data


@pytest.mark.parametrize(("question", "title"), QUESTIONS)
async def test_the_offline_reply_quotes_it_or_says_the_text_does_not(
    ctx: ShopperContext, question: str, title: str | None
) -> None:
    data = await _ask(ctx, question)
    reply = phrase_results([ToolMessage(json.dumps(data), tool_call_id="c", name="store_policy")], question)
    if title is NOT_COVERED:
        assert "don't say anything about" in reply, reply  # with the topic the search named
        assert not data["passages"], data
    else:
        assert reply.lower().startswith(title.lower()) or f"on {title.lower()}:" in reply.lower(), reply
        assert "couldn't find" not in reply, reply


class TestTopicsFollowTheText:
    """What is covered is decided by the store's own text, not by the demo's headings."""

    async def test_a_passage_on_a_topic_makes_it_covered(self, conn: Conn, embedder: Embedder) -> None:
        question = "can you wrap it up as a present for my mum?"
        assert (await answer_policy(conn, embedder, question)).topic == "gift wrapping"
        wrap = Passage(
            title="Gift wrapping", body="Any order can be gift wrapped for $5; add a note at checkout."
        )
        await import_policies(conn, embedder, [wrap])
        found = await answer_policy(conn, embedder, question)
        assert found.covered
        assert [p.title for p in found.passages][:1] == ["Gift wrapping"]

    async def test_another_store_with_other_headings(self, conn: Conn, embedder: Embedder) -> None:
        await conn.execute("DELETE FROM store_policies")
        text = """# Policies

## Delivery
We post to the UK and Ireland only. Parcels arrive in 2 working days.

## Sending things back
Unused items can be sent back within 14 days for a full refund to your card.

## Paying
We take Visa, Mastercard and PayPal.
"""
        assert await import_policies(conn, embedder, parse_policies(text)) == 3
        for question, title in [
            ("could you send it to Germany?", "Delivery"),
            ("how soon will it get here?", "Delivery"),
            ("I changed my mind, can I return it?", "Sending things back"),
            ("can I use PayPal?", "Paying"),
            ("do you have a student discount?", None),
            ("is there a warranty on the toaster?", None),
        ]:
            found = await answer_policy(conn, embedder, question)
            assert [p.title for p in found.passages][:1] == ([title] if title else []), question


class TestRefreshIndex:
    async def test_passages_imported_before_probes_are_indexed_at_start(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        question = "do you do gift wrapping?"
        await conn.execute("DELETE FROM store_policy_probes")  # as migration 0020 left an older store
        before = await answer_policy(conn, embedder, question)
        assert before.covered  # the nearest passages, as before the topics
        assert before.passages
        assert await refresh_index(conn, embedder) == len(_demo_titles())
        assert (await answer_policy(conn, embedder, question)).passages == []
        assert await refresh_index(conn, embedder) == 0

    async def test_changed_topics_are_filed_again(self, conn: Conn, embedder: Embedder) -> None:
        await conn.execute("DELETE FROM store_policy_probes WHERE kind = 'topic' AND label = 'refunds'")
        assert await refresh_index(conn, embedder) == 0
        cur = await conn.execute(
            "SELECT DISTINCT p.title FROM store_policy_probes r JOIN store_policies p ON p.id = r.policy_id "
            "WHERE r.label = 'refunds'"
        )
        assert [row["title"] for row in await cur.fetchall()] == ["Refunds"]


def _demo_titles() -> list[str]:
    return [p.title for p in parse_policies(demo_file("policies.md").read_text(encoding="utf-8"))]
