"""Import rules that keep the domains' layers apart (grimp builds the import graph, as import-linter does)."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("elara_bot", "connectors", "retrieval")


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
