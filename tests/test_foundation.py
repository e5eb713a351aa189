"""Settings, the embedded server adapter and the migration runner."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from elara_bot.config import Settings
from elara_bot.db import connect, migrate, migration_files
from tests.conftest import create_database, drop_database


class TestSettings:
    def test_defaults_pick_embedded_offline_and_dev_payments(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path)
        assert settings.database.url is None
        assert settings.llm.provider == "offline"
        assert settings.payments.provider == "dev"
        assert settings.pgdata == tmp_path / "pgdata"

    def test_configured_endpoints_switch_providers(self, tmp_path: Path) -> None:
        settings = Settings(
            data_dir=tmp_path,
            llm={"base_url": "http://127.0.0.1:9/v1"},
            payments={"stripe_secret_key": "sk_test_x"},
        )
        assert settings.llm.provider == "openai"
        assert settings.payments.provider == "stripe"

    def test_environment_variables_are_nested(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ELARA_LLM__MODEL", "llama3")
        monkeypatch.setenv("ELARA_DATABASE__POOL_MAX", "7")
        settings = Settings()
        assert settings.llm.model == "llama3"
        assert settings.database.pool_max == 7

    def test_prod_refuses_placeholder_secrets(self) -> None:
        with pytest.raises(ValueError, match="SESSION_SECRET"):
            Settings(env="prod")

    def test_prod_refuses_silent_test_payments(self) -> None:
        with pytest.raises(ValueError, match="TEST MODE"):
            Settings(env="prod", auth={"session_secret": "s" * 32, "admin_api_key": "k" * 32})

    def test_prod_accepts_test_payments_when_said_so(self) -> None:
        settings = Settings(
            env="prod",
            auth={"session_secret": "s" * 32, "admin_api_key": "k" * 32},
            payments={"dev_enabled": True},
        )
        assert settings.payments.provider == "dev"

    def test_secrets_do_not_print(self) -> None:
        settings = Settings(payments={"stripe_secret_key": "sk_live_secret"})
        assert "sk_live_secret" not in repr(settings)


class TestMigrations:
    async def test_up_on_empty_database_then_idempotent(self, pg_admin_url: str) -> None:
        url = create_database(pg_admin_url, "elara_migrate_check")
        try:
            applied = await migrate(url)
            assert applied == [name for name, _ in migration_files()]
            assert await migrate(url) == []
            async with connect(url) as conn:
                cur = await conn.execute(
                    "SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_trgm') ORDER BY 1"
                )  # pg_trgm (typo tolerance, migration 0012) where the server has it, as embedded does
                assert [r["extname"] for r in await cur.fetchall()] == ["pg_trgm", "vector"]
                cur = await conn.execute(
                    "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute"
                    " WHERE attrelid = 'products'::regclass AND attname = 'embedding'"
                )
                assert await cur.fetchone() == {"t": "halfvec(384)"}  # pgvector 0.8 here (migration 0009)
                cur = await conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'products' ORDER BY 1"
                )
                names = {r["indexname"] for r in await cur.fetchall()}
                assert {"products_embedding_hnsw", "products_search_tsv"} <= names
        finally:
            drop_database(pg_admin_url, "elara_migrate_check")

    async def test_concurrent_runs_apply_each_migration_once(self, pg_admin_url: str) -> None:
        url = create_database(pg_admin_url, "elara_migrate_race")
        try:
            results = await asyncio.gather(*(migrate(url) for _ in range(4)))
            applied = [name for run in results for name in run]
            assert sorted(applied) == sorted(name for name, _ in migration_files())
            with psycopg.connect(url) as conn:
                rows = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
                assert rows is not None
                assert rows[0] == len(migration_files())
        finally:
            drop_database(pg_admin_url, "elara_migrate_race")


class TestTemplate:
    def test_each_private_database_is_a_separate_copy(self, make_db: Callable[[], str]) -> None:
        first, second = make_db(), make_db()
        with psycopg.connect(first) as conn:
            conn.execute("DELETE FROM variants")
        with psycopg.connect(second) as conn:
            row = conn.execute("SELECT count(*) FROM variants").fetchone()
            assert row is not None
            assert row[0] > 0


class TestEmbeddedServer:
    def test_data_survives_a_restart(self) -> None:
        from elara_bot.db import EmbeddedPostgres

        scratch = tempfile.TemporaryDirectory(prefix="elara-test-restart-")
        pgdata = Path(scratch.name) / "pgdata"
        server = EmbeddedPostgres(pgdata)
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (v int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        server.stop()
        again = EmbeddedPostgres(pgdata, delete_on_exit=True)
        try:
            with psycopg.connect(again.url()) as conn:
                row = conn.execute("SELECT v FROM kept").fetchone()
                assert row == (42,)
        finally:
            again.stop()
            scratch.cleanup()
