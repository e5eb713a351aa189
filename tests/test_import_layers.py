"""Import rules that keep the domains' layers apart (grimp builds the import graph, as import-linter does)."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # No cache (0.15 s without): grimp keys its .grimp_cache mtimes per package, shared by graphs of other
    # package sets (import-linter's), so a graph built after another one can be stale.
    return grimp.build_graph("elara_bot", "connectors", "retrieval", cache_dir=None)


def test_payments_never_import_orders(graph: grimp.ImportGraph) -> None:
    """Orders own their state machine, the expiry sweeper and the announcements; payments hold only the
    provider protocol, its DTOs and the adapters, so the two packages form no cycle."""
    chain = graph.find_shortest_chain(
        importer="elara_bot.payments", imported="elara_bot.orders", as_packages=True
    )
    assert chain is None, chain
    assert graph.find_shortest_chain(
        importer="elara_bot.orders", imported="elara_bot.payments", as_packages=True
    )


def test_runtime_and_domains_never_import_connectors(graph: grimp.ImportGraph) -> None:
    """The app wires the connectors; nothing below it reaches up to a platform package."""
    for package in ("elara_bot.runtime", "elara_bot.conversation", "elara_bot.orders", "elara_bot.payments"):
        chain = graph.find_shortest_chain(importer=package, imported="connectors", as_packages=True)
        assert chain is None, (package, chain)


def test_agent_never_imports_conversation(graph: grimp.ImportGraph) -> None:
    """The chat contract (`elara_bot.contracts`) lies below both: the agent's tools build reply parts and
    the conversation service carries them, so the agent never reaches up into the conversation package."""
    chain = graph.find_shortest_chain(
        importer="elara_bot.agent", imported="elara_bot.conversation", as_packages=True
    )
    assert chain is None, chain
    for package in ("elara_bot.agent", "elara_bot.conversation"):
        assert (
            graph.find_shortest_chain(importer="elara_bot.contracts", imported=package, as_packages=True)
            is None
        ), package
