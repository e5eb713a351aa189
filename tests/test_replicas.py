"""Statelessness: two service processes on one database serve one conversation alternately, and a chat
turn shows in the metrics and the JSON logs with its conversation id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from tests.conftest import METRICS_AUTH, METRICS_TOKEN
from tests.helpers import free_port
from tests.test_observability import sample


@contextmanager
def service_process(
    db_url: str, data_dir: Path, log_file: Path, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`elara serve` in a process of its own, like one pod of the Deployment; yields (base URL, process).
    ``env`` adds settings (``ELARA_...`` variables)."""
    port = free_port()
    environ = {
        **os.environ,
        "ELARA_ENV": "test",
        "ELARA_DATABASE__URL": db_url,
        "ELARA_DATA_DIR": str(data_dir),
        "ELARA_LOAD_DEMO": "false",
        "ELARA_AUTH__SESSION_SECRET": "shared-by-every-replica",
        "ELARA_OBSERVABILITY__METRICS_TOKEN": METRICS_TOKEN,
        **env,
    }
    serve = "from elara_bot.cli.main import app; app()"
    command = [sys.executable, "-c", serve, "serve", "--port", str(port)]
    with log_file.open("w") as log:
        process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


@contextmanager
def replica(db_url: str, data_dir: Path, log_file: Path) -> Iterator[str]:
    with service_process(db_url, data_dir, log_file) as (base, _):
        yield base


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline, last = time.monotonic() + 120, ""
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited during start-up"
        try:
            response = httpx.get(f"{base}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise AssertionError(f"the service did not become ready in 120 s: {last}")


def chat(base: str, auth: dict[str, str], text: str) -> dict[str, object]:
    response = httpx.post(f"{base}/api/v1/chat", json={"message": text}, headers=auth, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_two_replicas_share_one_conversation(db_url: str, tmp_path: Path) -> None:
    with (
        replica(db_url, tmp_path / "a", tmp_path / "a.log") as a,
        replica(db_url, tmp_path / "b", tmp_path / "b.log") as b,
    ):
        token = httpx.post(f"{a}/api/v1/sessions", timeout=30).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        found = chat(a, auth, "show me kettles")
        cards = found["parts"][0]["cards"]  # type: ignore[index]
        second = {v["sku"] for v in cards[1]["variants"]}
        chat(b, auth, "add the second one, stainless steel, 1.5 liters")  # its one such variant
        chat(a, auth, "make it 2")
        cart = chat(b, auth, "show my cart")["parts"][0]["cart"]  # type: ignore[index]
        metrics_b = httpx.get(f"{b}/metrics", headers=METRICS_AUTH, timeout=10).text
    assert [(line["sku"] in second, line["quantity"]) for line in cart["lines"]] == [(True, 2)]
    with psycopg.connect(db_url) as conn:
        turns = conn.execute(
            "SELECT count(*) FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.channel = 'web' AND m.role = 'user'"
        ).fetchone()
    assert turns == (4,)
    # The turn shows end to end: chat turns, tool calls by outcome, and JSON logs with the conversation id.
    assert sample(metrics_b, "elara_chat_turns_total", channel="web") == 2
    assert sample(metrics_b, "elara_tool_calls_total", tool="add_to_cart", outcome="ok") == 1
    records = [
        json.loads(line) for line in (tmp_path / "b.log").read_text().splitlines() if line.startswith("{")
    ]
    turn_lines = [r for r in records if str(r.get("message", "")).startswith("chat turn on web")]
    assert len(turn_lines) == 2, records[-5:]
    assert all(r.get("conversation_id") and r.get("request_id") for r in turn_lines)
    assert token not in (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
