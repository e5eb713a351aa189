"""Graceful shutdown: SIGTERM while a chat turn waits for the model lets the turn finish, answer the
shopper and commit, and then the process exits cleanly (what a Kubernetes rollout does to a pod)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.helpers import free_port

ANSWER = "Here is what I found for you."


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


def test_sigterm_finishes_the_turn_in_flight(db_url: str, tmp_path: Path, stubs: Any) -> None:
    llm = stubs.parts["openai"]
    llm.reset([{"content": ANSWER, "delay": 2.0}])  # the model takes 2 s to answer
    port = free_port()
    env = {
        **os.environ,
        "ELARA_ENV": "test",
        "ELARA_DATABASE__URL": db_url,
        "ELARA_DATA_DIR": str(tmp_path),
        "ELARA_LOAD_DEMO": "false",
        "ELARA_LLM__PROVIDER": "openai",
        "ELARA_LLM__BASE_URL": f"{stubs.base_url}/openai/v1",
        "ELARA_LLM__MAX_RETRIES": "0",
        "ELARA_LLM__FALLBACK_TO_OFFLINE": "false",
        "ELARA_SHUTDOWN_GRACE_S": "20",
    }
    serve = "from elara_bot.cli.main import app; app()"
    command = [sys.executable, "-c", serve, "serve", "--port", str(port)]
    log = (tmp_path / "service.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        token = httpx.post(f"{base}/api/v1/sessions", timeout=30).json()["token"]
        outcome: dict[str, httpx.Response] = {}

        def ask() -> None:
            outcome["reply"] = httpx.post(
                f"{base}/api/v1/chat",
                json={"message": "hello"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )

        shopper = threading.Thread(target=ask)
        shopper.start()
        deadline = time.monotonic() + 30
        while llm.calls == 0:  # the turn is now waiting for the model
            assert time.monotonic() < deadline, "the model was never called"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        shopper.join(timeout=60)
        # uvicorn re-raises the signal once it has shut down, so the exit status reports SIGTERM
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    reply = outcome["reply"]
    assert reply.status_code == 200, reply.text
    assert reply.json()["text"] == ANSWER
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT m.role, m.text FROM conversation_messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE c.id = %s ORDER BY m.id",
            (reply.json()["conversation_id"],),
        ).fetchall()
    assert rows == [("user", "hello"), ("assistant", ANSWER)]  # the turn committed before the exit
