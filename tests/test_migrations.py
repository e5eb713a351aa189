"""The migration runner records each applied file's sha256 and refuses a file edited after it was applied."""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
import pytest

from elara_bot import db
from elara_bot.db import migrate, migration_files
from tests.conftest import create_database, drop_database

EDITED = "0003_conversation"


def _checksums(url: str) -> dict[str, str | None]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name, checksum FROM schema_migrations").fetchall()
    return dict(rows)


def _files_with(
    edit: Callable[[str, str], str], extra: list[tuple[str, str]] | None = None
) -> Callable[[], list[tuple[str, str]]]:
    files = [(name, edit(name, sql)) for name, sql in migration_files()] + (extra or [])
    return lambda: files


class TestMigrationChecksums:
    async def test_each_applied_file_is_recorded_with_its_sha256(self, pg_admin_url: str) -> None:
        url = create_database(pg_admin_url, "elara_migrate_checksums")
        try:
            await migrate(url)
            recorded = _checksums(url)
        finally:
            drop_database(pg_admin_url, "elara_migrate_checksums")
        assert recorded == {name: db.migration_checksum(sql) for name, sql in migration_files()}
        assert all(len(c or "") == 64 for c in recorded.values())

    async def test_an_edited_applied_file_stops_the_run_naming_it(
        self, make_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = make_db()
        edited = _files_with(
            lambda name, sql: sql + "\n-- a later edit\n" if name == EDITED else sql,
            extra=[("9999_pending", "CREATE TABLE never_created (id int);")],
        )
        monkeypatch.setattr(db, "migration_files", edited)
        with pytest.raises(RuntimeError, match=rf"migrations/{EDITED}\.sql has changed since it was applied"):
            await migrate(url)
        with psycopg.connect(url) as conn:  # nothing was applied after the refusal
            assert conn.execute("SELECT to_regclass('never_created')").fetchone() == (None,)
        assert "9999_pending" not in _checksums(url)

    async def test_an_unchanged_file_set_passes_and_a_new_one_is_recorded(
        self, make_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = make_db()
        assert await migrate(url) == []
        extra = ("9999_pending", "CREATE TABLE checksum_probe (id int);")
        monkeypatch.setattr(db, "migration_files", _files_with(lambda _, sql: sql, extra=[extra]))
        assert await migrate(url) == ["9999_pending"]
        assert _checksums(url)["9999_pending"] == db.migration_checksum(extra[1])

    async def test_rows_from_before_checksums_are_backfilled_once(
        self, make_db: Callable[[], str], caplog: pytest.LogCaptureFixture
    ) -> None:
        url = make_db()
        with psycopg.connect(url) as conn:  # the table as the runner without checksums left it
            conn.execute("ALTER TABLE schema_migrations DROP COLUMN checksum")
        with caplog.at_level(logging.INFO, logger="elara_bot.db"):
            assert await migrate(url) == []
        backfilled = [r.getMessage() for r in caplog.records if "recorded the checksum" in r.getMessage()]
        assert len(backfilled) == len(migration_files())
        assert any(m.startswith(f"recorded the checksum of migration {EDITED} ") for m in backfilled)
        assert _checksums(url) == {name: db.migration_checksum(sql) for name, sql in migration_files()}
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="elara_bot.db"):
            assert await migrate(url) == []
        assert not [r for r in caplog.records if "recorded the checksum" in r.getMessage()]
