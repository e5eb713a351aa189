"""Graceful shutdown: SIGTERM while a chat turn waits for the model lets the turn finish, answer the
shopper and commit, and then the process exits cleanly (what a Kubernetes rollout does to a pod)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.test_replicas import service_process

ANSWER = "Here is what I found for you."


def test_sigterm_finishes_the_turn_in_flight(db_url: str, tmp_path: Path, stubs: Any) -> None:
    llm = stubs.parts["openai"]
    llm.reset([{"content": ANSWER, "delay": 2.0}])  # the model takes 2 s to answer
    settings = {
        "ELARA_LLM__PROVIDER": "openai",
        "ELARA_LLM__BASE_URL": f"{stubs.base_url}/openai/v1",
        "ELARA_LLM__MAX_RETRIES": "0",
        "ELARA_LLM__FALLBACK_TO_OFFLINE": "false",
        "ELARA_SHUTDOWN_GRACE_S": "20",
    }
    with service_process(db_url, tmp_path, tmp_path / "service.log", **settings) as (base, process):
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
