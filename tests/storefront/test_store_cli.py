"""``elara store import DIR`` as a merchant runs it: counts per file, refused rows on stderr, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from elara_bot.cli.main import app
from tests.storefront.test_store import write_store

runner = CliRunner()


@pytest.fixture
def cli_db(commerce_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    from elara_bot.config import get_settings

    monkeypatch.setenv("ELARA_DATABASE__URL", commerce_db)
    monkeypatch.setenv("ELARA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield commerce_db
    get_settings.cache_clear()


def test_store_import_reports_each_file_and_exits_2_on_a_refused_row(cli_db: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    mixed = runner.invoke(app, ["store", "import", str(write_store(store))])
    assert mixed.exit_code == 2, mixed.output
    assert "discounts.csv: loaded 3, refused 1" in mixed.stdout
    assert "discounts.csv line 5:" in mixed.stderr
    (store / "discounts.csv").unlink()
    (store / "shipping_rates.csv").write_text(
        "country,service,title,price_minor,currency\nUS,std,Std,500,USD\n"
    )
    (store / "addresses.csv").unlink()
    clean = runner.invoke(app, ["store", "import", str(store)])
    assert clean.exit_code == 0, clean.output
    with psycopg.connect(cli_db) as conn:
        rates = conn.execute(
            "SELECT country, service, price_minor FROM shipping_rates ORDER BY 1, 2"
        ).fetchall()
    assert ("US", "std", 500) in rates
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = runner.invoke(app, ["store", "import", str(empty)])
    assert nothing.exit_code == 2
    assert "no storefront files" in nothing.stderr
