"""The catalog CLI: import exit codes, export, search, and the retrieval eval on the dev set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elara_bot.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "bench" / "data" / "retrieval_dev"
runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from elara_bot.config import get_settings

    monkeypatch.setenv("ELARA_DATABASE__URL", db_url)
    monkeypatch.setenv("ELARA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()


def _line(pid: str, price: int = 500) -> str:
    return json.dumps(
        {
            "id": pid,
            "title": "Tent Peg",
            "category": "Outdoor > Camping",
            "variants": [{"sku": pid + "-1", "price_minor": price, "stock": 9}],
        }
    )


@pytest.mark.usefixtures("cli_env")
def test_import_exit_codes_export_and_search(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(_line("peg1") + "\n")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(_line("peg2") + "\n{oops\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    assert runner.invoke(app, ["catalog", "import", str(good)]).exit_code == 0
    result = runner.invoke(app, ["catalog", "import", str(mixed)])
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert runner.invoke(app, ["catalog", "import", str(bad)]).exit_code == 2
    out = tmp_path / "export.jsonl"
    assert runner.invoke(app, ["catalog", "export", "--output", str(out)]).exit_code == 0
    ids = {json.loads(line)["id"] for line in out.read_text().splitlines()}
    assert {"peg1", "peg2"} <= ids
    assert len(ids) == 52
    found = runner.invoke(app, ["search", "tent peg", "--max-price", "10", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["hits"][0]["product"]["id"] in {"peg1", "peg2"}


@pytest.mark.usefixtures("cli_env")
def test_eval_retrieval_on_dev_set() -> None:
    result = runner.invoke(
        app,
        [
            "eval",
            "retrieval",
            "--catalog",
            str(ROOT / "elara_bot" / "data" / "demo" / "catalog.jsonl"),
            "--queries",
            str(DEV / "queries.jsonl"),
            "--qrels",
            str(DEV / "qrels.tsv"),
            "--mode",
            "hybrid",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["queries"] >= 40
    # Measured on the dev set: nDCG@10 0.978, MRR@10 1.0, Recall@100 1.0.
    assert report["ndcg_at_10"] >= 0.95
    assert report["mrr_at_10"] >= 0.97
    assert report["recall_at_100"] >= 0.97


@pytest.mark.usefixtures("cli_env")
def test_import_refuses_a_sku_move_unless_asked_and_reports_hostile_rows(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(_line("tarp1") + "\n")
    assert runner.invoke(app, ["catalog", "import", str(first)]).exit_code == 0
    thief = json.loads(_line("tarp2", price=1))
    thief["variants"][0]["sku"] = "tarp1-1"
    nul = json.loads(_line("tarp3"))
    nul["title"] = "Tent\x00Peg"
    second = tmp_path / "second.jsonl"
    second.write_text(json.dumps(thief) + "\n" + json.dumps(nul) + "\n" + _line("tarp4", price=2**64) + "\n")
    refused = runner.invoke(app, ["catalog", "import", str(second)])
    assert refused.exit_code == 2, refused.output
    assert "line 1: SKU 'tarp1-1' belongs to product 'tarp1'" in refused.output
    assert "--allow-sku-move" in refused.output
    assert "line 2: Value error, title contains a NUL byte" in refused.output
    assert "line 3: variants.0.price_minor" in refused.output
    moved = runner.invoke(app, ["catalog", "import", str(second), "--allow-sku-move"])
    assert moved.exit_code == 1, moved.output
    assert "loaded 1, embedded 1, skipped 0, errors 2, SKUs moved 1" in moved.output
