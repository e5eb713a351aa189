"""Search tuning and search caches belong to the caller's runtime (issue 12): the chat's search tool
honours ``ELARA_SEARCH__*`` like the API, and two runtimes remember nothing for each other."""

from __future__ import annotations

import json
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.agent.tools import SHOPPER_TOOLS, ShopperContext
from elara_bot.catalog.service import search_products
from elara_bot.config import SearchSettings
from elara_bot.customers import service as customers
from elara_bot.db import Conn
from elara_bot.payments.dev import build_dev_provider
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder
from tests.conftest import make_settings

QUERY = "kitchen"  # on the demo store, its top five differ with and without the full-text list
NO_TEXT = SearchSettings(text_weight=0.0, result_cache_s=0)


async def _ranked(conn: Conn, embedder: Embedder, tuning: SearchSettings) -> list[str]:
    found = await search_products(conn, embedder, QUERY, limit=5, settings=tuning, log=False)
    return [hit.product.id for hit in found.hits]


class TestChatSearchTuning:
    async def test_the_search_tool_honours_the_search_settings(
        self, conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        default, without_text = (
            await _ranked(conn, embedder, SearchSettings()),
            await _ranked(conn, embedder, NO_TEXT),
        )
        assert default != without_text  # the setting changes this ranking observably
        settings = make_settings(shared_db_url, tmp_path).model_copy(update={"search": NO_TEXT})
        shopper = await customers.customer_for_identity(conn, "web", "tuned-search")
        ctx = ShopperContext(conn, shopper.id, settings, embedder, build_dev_provider(settings))
        agent = create_agent(OfflineChatModel(), tools=SHOPPER_TOOLS, context_schema=ShopperContext)
        result = await agent.ainvoke({"messages": [HumanMessage(QUERY)]}, context=ctx)
        call, answer = result["messages"][1], result["messages"][2]
        assert call.tool_calls[0]["name"] == "search_products"
        shown = [p["product_id"] for p in json.loads(answer.text)["products"]]
        assert shown == without_text  # before: the tool ranked with the defaults whatever the settings


class TestSearchCaches:
    async def test_two_runtimes_do_not_share_a_cache(
        self, conn: Conn, shared_db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        settings = make_settings(shared_db_url, tmp_path)
        one, two = (Runtime(settings=settings, pool=None, embedder=embedder) for _ in range(2))  # type: ignore[arg-type]
        assert one.search_caches is not two.search_caches
        remembered = SearchSettings(result_cache_s=60)
        await search_products(
            conn, embedder, "red mug", settings=remembered, caches=one.search_caches, log=False
        )
        assert len(one.search_caches.rankings) >= 1
        assert one.search_caches.vocabulary.get(conn.info.dbname) is not None
        assert len(two.search_caches.rankings) == 0  # before: one module-level cache for the process
        assert two.search_caches.vocabulary.get(conn.info.dbname) is None
        one.search_caches.clear()  # what an import through that runtime does
        assert len(one.search_caches.rankings) == 0
        assert one.search_caches.vocabulary.get(conn.info.dbname) is None

    async def test_without_caches_nothing_is_remembered(self, conn: Conn, embedder: Embedder) -> None:
        """The CLI and the evaluation pass none: each search ranks afresh, whatever ``result_cache_s``."""
        first = await search_products(  # the demo store sells no mugs: a search for one matches nothing
            conn, embedder, "kettle", settings=SearchSettings(result_cache_s=60), log=False
        )
        await conn.execute(
            "UPDATE variants SET active = false WHERE product_id = %s", [first.hits[0].product.id]
        )
        await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        again = await search_products(
            conn, embedder, "kettle", settings=SearchSettings(result_cache_s=60), log=False
        )
        assert first.hits[0].product.id not in [h.product.id for h in again.hits]
