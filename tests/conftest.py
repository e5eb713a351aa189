"""Shared fixtures: one real PostgreSQL (embedded unless ELARA_TEST_DATABASE_URL is set), a template
database with the migrations and the demo store, per-test databases copied from it, the real embedder,
the live service on a loopback port, and the stand-in servers for external APIs.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from elara_bot.config import Settings
from elara_bot.db import Conn, EmbeddedPostgres, connect, migrate
from retrieval.embedding import Embedder, SentenceTransformerEmbedder
from tests.helpers import serve_in_thread

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def with_dbname(url: str, dbname: str) -> str:
    return make_conninfo(**{**conninfo_to_dict(url), "dbname": dbname})


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    external = os.environ.get("ELARA_TEST_DATABASE_URL")
    if external:
        yield external
        return
    # Not under pytest's basetemp: pytest resets /tmp/pytest-of-<user> to mode 0700 at each session,
    # which locks out the unprivileged user the embedded server runs as when tests run as root.
    root = Path(tempfile.mkdtemp(prefix="elara-test-pg-"))
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # SIGTERM (a CI timeout, `kill`) ends the session as Ctrl-C does: the teardown below still runs
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = EmbeddedPostgres(root / "data", delete_on_exit=True)
    try:
        yield server.url("postgres")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        tpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{tpl}')
    return with_dbname(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The service's embedder: MiniLM on onnxruntime, exported once per test run."""
    found = SentenceTransformerEmbedder(onnx_dir=tmp_path_factory.mktemp("models"))
    assert found.runtime == "onnxruntime"
    return found


@pytest.fixture(scope="session")
async def template_db(pg_admin_url: str, embedder: Embedder) -> str:
    """Name of a database holding the migrations and the whole demo store (built once)."""
    from elara_bot.demo import seed_demo

    name = f"elara_tpl_{_worker()}"
    url = create_database(pg_admin_url, name)
    await migrate(url)
    async with connect(url) as conn:
        async with conn.transaction():
            await seed_demo(conn, embedder)
    return name


@pytest.fixture(scope="session")
def make_db(pg_admin_url: str, template_db: str) -> Iterator[Callable[[], str]]:
    """Factory: a fresh copy of the template database; returns its URL."""
    made: list[str] = []

    def make() -> str:
        name = f"elara_t_{_worker()}_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return create_database(pg_admin_url, name, template=template_db)

    yield make
    for name in made:
        drop_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def shared_db_url(make_db: Callable[[], str]) -> str:
    """One copy of the template for tests that roll back their transaction."""
    return make_db()


@pytest.fixture
async def conn(shared_db_url: str) -> AsyncIterator[Conn]:
    """A connection inside a transaction that is always rolled back: each test is isolated."""
    async with connect(shared_db_url) as c:
        async with c.transaction(force_rollback=True):
            yield c


@pytest.fixture
def db_url(make_db: Callable[[], str]) -> str:
    """A private database (copy of the template) for tests that commit, e.g. through the API."""
    return make_db()


METRICS_TOKEN = "test-metrics-token"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path,
        "load_demo": False,
        "database": {"url": db_url, "pool_max": 20},
        "search": {"result_cache_s": 0},  # tests change stock and search again at once
        "observability": {"metrics_token": METRICS_TOKEN},  # /metrics needs it (tests read the counters)
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


@pytest.fixture
def live_service(
    db_url: str, tmp_path: Path, embedder: Embedder
) -> Callable[..., AbstractContextManager[str]]:
    """Factory: ``with live_service(**settings_overrides) as base_url:`` runs the real app on loopback."""
    from elara_bot.app import create_app

    @contextmanager
    def start(**overrides: Any) -> Iterator[str]:
        settings = make_settings(db_url, tmp_path, **overrides)
        with serve_in_thread(create_app(settings, embedder=embedder)) as base_url:
            yield base_url

    return start


@pytest.fixture
def service(live_service: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """The live service with default test settings; yields its base URL."""
    with live_service() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def stubs() -> Iterator[Any]:
    """The stand-in server for Stripe, Telegram, Slack and the LLM (tests/stubs/server.py)."""
    from tests.stubs.server import StubState, build_stub_app

    state = StubState()
    with serve_in_thread(build_stub_app(state)) as base_url:
        state.base_url = base_url
        yield state


@pytest.fixture
def llm(stubs: Any) -> Iterator[Any]:
    """The scripted OpenAI-compatible stand-in, reset before and after the test."""
    stub = stubs.parts["openai"]
    stub.reset()
    yield stub
    stub.reset()


@pytest.fixture
def openai_shopper(
    live_service: Callable[..., AbstractContextManager[str]], stubs: Any, db_url: str
) -> Callable[..., Any]:
    """``with openai_shopper(**llm_overrides) as shopper:`` a session on a live service using the stand-in."""
    from tests.conversation.helpers import Shopper, forget_cached_http_clients, llm_settings

    @contextmanager
    def start(**overrides: Any) -> Iterator[Shopper]:
        forget_cached_http_clients()
        with (
            live_service(llm=llm_settings(stubs, **overrides)) as base_url,
            httpx.Client(base_url=base_url, timeout=60) as client,
        ):
            yield Shopper.open(client, db_url)

    return start
