"""Store policies: parsing, the idempotent import, hybrid search ranking, the store_policy tool driven by the
offline model, and the ``elara policies`` CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from typer.testing import CliRunner

from elara_bot.agent.offline_model import POLICY_REPLY_CHARS, OfflineChatModel, concise, phrase_results
from elara_bot.agent.tools import SHOPPER_TOOLS, ShopperContext
from elara_bot.customers import service as customers
from elara_bot.db import Conn
from elara_bot.demo import demo_file
from elara_bot.errors import InvalidInput
from elara_bot.payments.dev import build_dev_provider
from elara_bot.policies.schemas import Passage
from elara_bot.policies.service import import_policies, parse_policies, search_policies
from retrieval.embedding import Embedder
from tests.conftest import make_settings

SAMPLE = """# Shop policies

Adapted from somewhere (an attribution, not a passage).

## Returns
Items can be returned
within 30 days.

Ask the assistant.

## Shipping ##
Steps:
- pack
- ship

## Empty
"""


def _demo_passages() -> list[Passage]:
    return parse_policies(demo_file("policies.md").read_text(encoding="utf-8"))


async def _count(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM store_policies")
    row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


class TestParsePolicies:
    def test_one_passage_per_heading_with_soft_wraps_joined(self) -> None:
        passages = parse_policies(SAMPLE)
        assert [p.title for p in passages] == ["Returns", "Shipping", "Empty"]
        assert passages[0].body == "Items can be returned within 30 days.\n\nAsk the assistant."
        assert passages[1].body == "Steps:\n- pack\n- ship"
        assert passages[2].body == ""

    def test_no_heading_means_no_passage(self) -> None:
        assert parse_policies("# Title\n\nJust text.\n") == []

    def test_demo_policies_are_complete(self) -> None:
        passages = _demo_passages()
        titles = [p.title for p in passages]
        assert 12 <= len(passages) <= 20
        assert len(set(titles)) == len(titles)
        assert all(p.body and "\n" not in p.body for p in passages)
        for needed in ("Returns", "Refunds", "Cancellation policy", "Exchanges", "Shipping times"):
            assert needed in titles
        assert "tau2-bench" in demo_file("policies.md").read_text(encoding="utf-8")


class TestImportPolicies:
    async def test_demo_store_is_loaded_and_reimport_changes_nothing(
        self, conn: Conn, embedder: Embedder
    ) -> None:
        passages = _demo_passages()
        assert await _count(conn) == len(passages)  # seed_demo loaded them
        assert await import_policies(conn, embedder, passages) == 0
        assert await _count(conn) == len(passages)

    async def test_upsert_by_title_updates_body_and_embedding(self, conn: Conn, embedder: Embedder) -> None:
        before = await _count(conn)
        gift = Passage(title="Gift wrapping", body="Every order can be gift wrapped for free.")
        assert await import_policies(conn, embedder, [gift]) == 1
        assert await import_policies(conn, embedder, [gift]) == 0
        changed = Passage(title="Gift wrapping", body="Gift wrapping costs nothing; add a note at checkout.")
        assert await import_policies(conn, embedder, [changed]) == 1
        assert await _count(conn) == before + 1
        cur = await conn.execute(
            "SELECT body, embedding IS NOT NULL AS embedded FROM store_policies WHERE title = %s",
            ["Gift wrapping"],
        )
        assert await cur.fetchall() == [{"body": changed.body, "embedded": True}]
        hits = await search_policies(conn, embedder, "can you gift wrap my present?", limit=1)
        assert hits[0].title == "Gift wrapping"

    @pytest.mark.parametrize(
        "passages",
        [
            [Passage(title="Empty", body="  ")],
            [Passage(title="Twice", body="one"), Passage(title="Twice", body="two")],
        ],
    )
    async def test_rejects_empty_and_duplicate_passages(
        self, conn: Conn, embedder: Embedder, passages: list[Passage]
    ) -> None:
        with pytest.raises(InvalidInput):
            await import_policies(conn, embedder, passages)


class TestSearchPolicies:
    @pytest.mark.parametrize(
        ("question", "title"),
        [
            ("can I return shoes?", "Returns"),
            ("what is your return policy?", "Returns"),
            ("how long does shipping take", "Shipping times"),
            ("how much does shipping cost?", "Shipping costs"),
            ("do you ship to canada", "Where we ship"),
            ("what payment methods do you accept", "Payment methods"),
            ("is there a warranty on electronics", "Warranty"),
            ("what's your cancellation policy", "Cancellation policy"),
            ("when will I get my refund", "Refunds"),
            ("can I exchange for a different size", "Exchanges"),
            ("does the t-shirt run small", "Sizing help"),
            ("what do you do with my personal data", "Privacy policy"),
            ("how can I contact you", "Contact and human help"),
            ("my item arrived broken", "Damaged or wrong items"),
            ("how do I track my package", "Order tracking"),
        ],
    )
    async def test_best_passage_answers_the_question(
        self, conn: Conn, embedder: Embedder, question: str, title: str
    ) -> None:
        hits = await search_policies(conn, embedder, question)
        assert len(hits) == 3
        assert hits[0].title == title, [h.title for h in hits]
        assert hits[0].score >= hits[1].score >= hits[2].score

    async def test_empty_question_and_bad_limit(self, conn: Conn, embedder: Embedder) -> None:
        assert await search_policies(conn, embedder, "   ") == []
        with pytest.raises(InvalidInput):
            await search_policies(conn, embedder, "returns", limit=0)


async def _turn(ctx: ShopperContext, text: str) -> list[Any]:
    agent = create_agent(OfflineChatModel(), tools=SHOPPER_TOOLS, context_schema=ShopperContext)
    result = await agent.ainvoke({"messages": [HumanMessage(text)]}, context=ctx)
    return list(result["messages"])


class TestStorePolicyTool:
    async def test_offline_model_asks_store_policy_and_quotes_the_best_passage(
        self, conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        settings = make_settings(shared_db_url, tmp_path)
        shopper = await customers.customer_for_identity(conn, "web", "policy-1")
        ctx = ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))
        messages = await _turn(ctx, "Can I return shoes?")
        call = messages[1]
        assert isinstance(call, AIMessage)
        assert [(c["name"], c["args"]) for c in call.tool_calls] == [
            ("store_policy", {"question": "Can I return shoes?"})
        ]
        result = messages[2]
        assert isinstance(result, ToolMessage)
        passages = json.loads(result.text)["passages"]
        assert passages[0]["title"] == "Returns"
        assert set(passages[0]) == {"title", "body"}
        reply = messages[-1].text
        assert reply.startswith("Returns: You can return items from an order once it has been delivered")
        assert len(reply) <= len("Returns: ") + POLICY_REPLY_CHARS

    async def test_cancel_with_a_number_is_not_a_policy_question(
        self, conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        settings = make_settings(shared_db_url, tmp_path)
        shopper = await customers.customer_for_identity(conn, "web", "policy-2")
        ctx = ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))
        policy = await _turn(ctx, "what's your cancellation policy")
        assert policy[1].tool_calls[0]["name"] == "store_policy"
        assert policy[-1].text.startswith("Cancellation policy: You can cancel an order until it ships")
        cancel = await _turn(ctx, "how do I cancel order EL-7KQ2ZP")
        assert cancel[-1].tool_calls == []
        assert ctx.asked is not None
        assert (ctx.asked.tool, ctx.asked.slot) == ("cancel_order", "confirmation")


class TestPolicyPhrasing:
    def test_long_body_is_cut_at_a_sentence(self) -> None:
        body = "First rule applies. " * 30
        reply = phrase_results(
            [
                ToolMessage(
                    json.dumps({"passages": [{"title": "Rules", "body": body}]}),
                    tool_call_id="1",
                    name="store_policy",
                )
            ]
        )
        assert reply.startswith("Rules: First rule applies.")
        assert reply.endswith(".")
        assert len(reply) <= len("Rules: ") + POLICY_REPLY_CHARS

    def test_short_body_is_quoted_whole_and_nothing_found_offers_a_person(self) -> None:
        assert concise("Free  shipping\non every order.") == "Free shipping on every order."
        assert concise("P.O. boxes are fine. " + "x" * 400).startswith("P.O. boxes are fine.")
        empty = ToolMessage(json.dumps({"passages": []}), tool_call_id="2", name="store_policy")
        assert "person" in phrase_results([empty])


runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedder: Embedder) -> None:
    from elara_bot.cli import policies as policies_cli
    from elara_bot.config import get_settings

    monkeypatch.setenv("ELARA_DATABASE__URL", db_url)
    monkeypatch.setenv("ELARA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(policies_cli, "_embedder", lambda: embedder)  # reuse the session's model
    get_settings.cache_clear()


class TestPoliciesCli:
    @pytest.mark.usefixtures("cli_env")
    def test_import_then_search(self, tmp_path: Path) -> None:
        from elara_bot.cli.main import app

        path = tmp_path / "extra.md"
        path.write_text("# Extra\n\n## Gift wrapping\nEvery order can be gift wrapped for free.\n")
        first = runner.invoke(app, ["policies", "import", str(path)])
        assert first.exit_code == 0, first.output
        assert "inserted or changed 1" in first.output
        again = runner.invoke(app, ["policies", "import", str(path)])
        assert "unchanged 1" in again.output
        empty = tmp_path / "empty.md"
        empty.write_text("no headings here\n")
        assert runner.invoke(app, ["policies", "import", str(empty)]).exit_code == 2
        found = runner.invoke(app, ["policies", "search", "can you gift wrap it?", "--limit", "2", "--json"])
        assert found.exit_code == 0, found.output
        hits = json.loads(found.stdout)
        assert [h["title"] for h in hits][:1] == ["Gift wrapping"]
        assert len(hits) == 2

    @pytest.mark.usefixtures("cli_env")
    def test_search_says_what_the_assistant_would_answer(self) -> None:
        from elara_bot.cli.main import app

        covered = runner.invoke(app, ["policies", "search", "could you post it to Spain?"])
        assert covered.exit_code == 0, covered.output
        assert "answers from: Where we ship" in " ".join(covered.output.split())
        missing = runner.invoke(app, ["policies", "search", "any coupon codes going?"])
        assert "do not cover this (the question is about discounts)" in " ".join(missing.output.split())
