"""The compiled shopper agents: a long-lived model's graph is kept; button presses share one (issue 12)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel

from elara_bot.agent import shopper
from elara_bot.agent.action_model import ActionModel
from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.contracts import InboundMessage
from elara_bot.conversation.service import ConversationService
from elara_bot.db import open_pool
from elara_bot.payments.dev import build_dev_provider
from retrieval.embedding import Embedder
from tests.conftest import make_settings

PRESSES = 200


def _live_action_models() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is ActionModel)


class TestShopperAgents:
    async def test_button_presses_compile_no_graph(
        self, db_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A model per press compiled a graph per press (5-10 ms each); the service's one ActionModel reads
        each press's calls from the turn's context, and its graph is compiled once."""
        compiled: list[BaseChatModel] = []
        real = shopper._compile

        def counting(model: BaseChatModel) -> Any:
            compiled.append(model)
            return real(model)

        monkeypatch.setattr(shopper, "_compile", counting)
        settings = make_settings(db_url, tmp_path, chat_rate_per_minute=1000)
        pool = await open_pool(db_url, settings)
        try:
            service = ConversationService(
                pool=pool, settings=settings, embedder=embedder, provider=build_dev_provider(settings)
            )
            for action, said in (("view_cart", "cart"), ("checkout", "cart"), ("view_cart", "cart")):
                press = InboundMessage(
                    channel="web", external_user_id="p", conversation_key="p", action=action
                )
                reply = await service.handle(press)
                assert said in reply.text.lower()  # each press ran its own call
            assert compiled == [service.action_model]
        finally:
            await pool.close()

    async def test_button_presses_do_not_grow_the_cache(
        self, db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        settings = make_settings(db_url, tmp_path, chat_rate_per_minute=1000)
        pool = await open_pool(db_url, settings)
        try:
            service = ConversationService(
                pool=pool, settings=settings, embedder=embedder, provider=build_dev_provider(settings)
            )
            press = InboundMessage(
                channel="web", external_user_id="presser", conversation_key="presser", action="view_cart"
            )
            await service.handle(press)  # the first turn builds what every turn shares
            cached, live = len(service.agents), _live_action_models()
            for _ in range(PRESSES):
                reply = await service.handle(press)
                assert "cart" in reply.text.lower()
            assert len(service.agents) == cached
            assert _live_action_models() <= live + 1  # before: one more model (and graph) per press
        finally:
            await pool.close()

    def test_a_kept_model_is_compiled_once(self) -> None:
        agents, model = shopper.ShopperAgents(), OfflineChatModel()
        assert agents.get(model) is agents.get(model)
        assert len(agents) == 1

    def test_the_least_recently_used_model_goes_first(self) -> None:
        agents = shopper.ShopperAgents(size=2)
        first, second, third = OfflineChatModel(), OfflineChatModel(), OfflineChatModel()
        graph = agents.get(first)
        agents.get(second)
        assert agents.get(first) is graph  # used again: now the most recent
        agents.get(third)
        assert len(agents) == 2
        assert agents.get(first) is graph  # kept; `second` went
        assert agents.get(second) is not None
        assert len(agents) == 2

    async def test_each_service_owns_its_agents(
        self, db_url: str, tmp_path: Path, embedder: Embedder
    ) -> None:
        settings = make_settings(db_url, tmp_path)
        model = OfflineChatModel()
        pool = await open_pool(db_url, settings)
        try:
            one, two = (
                ConversationService(
                    pool=pool, settings=settings, embedder=embedder, provider=None, model=model
                )
                for _ in range(2)
            )
            assert one.agents is not two.agents
            hello = InboundMessage(
                channel="web", external_user_id="owner", conversation_key="owner", text="hi"
            )
            await one.handle(hello)
            assert len(one.agents) == 1  # the turn compiled the model's graph in its own service
            assert len(two.agents) == 0  # before: one process-wide cache held every service's graphs
        finally:
            await pool.close()
