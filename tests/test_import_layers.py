"""Import rules that keep the domains' layers apart (grimp builds the import graph, as import-linter does)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

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


# --- the import-linter contracts (pyproject.toml [tool.importlinter], docs/architecture.md) ----------------
ROOT = Path(__file__).resolve().parents[1]
ASSET_PACKAGES = {"elara_bot.data", "elara_bot.static", "elara_bot.templates"}  # files only, no code


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_import_linter_contracts_hold() -> None:
    """`lint-imports` (the venv's) keeps every contract: the layers, each SDK in its adapter alone, the
    framework-free domains. Its report is the failure message."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout, report


def test_every_top_level_module_has_a_layer() -> None:
    """A new module under elara_bot/ is placed in the layers contract (and so in the document)."""
    [layers] = [contract for contract in _contracts() if contract["id"] == "layers"]
    placed = {name.strip().strip("()") for layer in layers["layers"] for name in re.split(r"[|:]", layer)}
    children = {
        f"elara_bot.{path.stem}"
        for path in (ROOT / "elara_bot").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert children - ASSET_PACKAGES - placed == set()
    assert {"connectors", "retrieval"} <= placed
