"""Operations: request bodies are capped per route while they are read, /metrics needs a token, and Slack
refuses to start without the teams it may answer."""

from __future__ import annotations

import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from elara_bot.config import Settings

MB = 1024 * 1024
Live = Callable[..., AbstractContextManager[str]]
# Stripe configured (never called: every body here is refused or fails its signature check)
STRIPE = {
    "provider": "stripe",
    "stripe_secret_key": "sk_test_operations0123",
    "stripe_webhook_secret": "whsec_operations0123",
    "stripe_api_base": "http://127.0.0.1:9",
}


def rss_kb() -> int:
    """Resident size of this process (the live service runs in a thread of it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@contextmanager
def peak_rss_growth() -> Iterator[list[int]]:
    """Samples the resident size every 5 ms; yields a list that holds the peak growth (kB) afterwards."""
    base, peak, stop = rss_kb(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb() - base)
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def open_socket(base: str) -> socket.socket:
    url = httpx.URL(base)
    sock = socket.create_connection((url.host, url.port or 80), timeout=10)
    return sock


def read_status(sock: socket.socket, timeout: float = 10.0) -> int:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def head(path: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: elara", "Content-Type: application/json", *extra, "", ""]
    return "\r\n".join(lines).encode()


class TestBodyLimits:
    def test_declared_100mb_body_is_refused_before_it_is_sent(self, live_service: Live) -> None:
        with live_service(payments=STRIPE) as base, open_socket(base) as sock:
            started = time.monotonic()
            sock.sendall(head("/webhooks/stripe", f"Content-Length: {100 * MB}") + b'{"id": ')
            status = read_status(sock, timeout=5)
            elapsed = time.monotonic() - started
        assert status == 413
        assert elapsed < 2

    def test_chunked_100mb_body_is_cut_off_while_streaming(self, live_service: Live) -> None:
        chunk = b"%x\r\n" % MB + b"x" * MB + b"\r\n"
        sent = 0
        with live_service(payments=STRIPE) as base, open_socket(base) as sock, peak_rss_growth() as growth:
            sock.sendall(head("/webhooks/stripe", "Transfer-Encoding: chunked", "Stripe-Signature: t=1,v1=x"))
            status: int | None = None
            try:
                while sent < 100 * MB and not select.select([sock], [], [], 0)[0]:
                    sock.sendall(chunk)
                    sent += MB
                status = read_status(sock)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed the connection after its answer, the body still coming
        sys.stdout.write(f"\n100 MB chunked body: {sent // MB} MB sent, peak RSS growth {growth[0]} kB\n")
        assert status in (413, None)  # None: the reset overtook the 413 (the Content-Length test reads it)
        assert sent < 100 * MB  # cut off: the rest was never read
        assert growth[0] < 20 * 1024  # a 1 MB cap: not the 175 MB the whole body used to cost

    def test_caps_are_per_route(self, live_service: Live) -> None:
        caps = {"chat_body_bytes": 4096, "webhook_body_bytes": 64 * 1024}
        with live_service(payments=STRIPE, limits=caps) as base:
            big_chat = httpx.post(f"{base}/api/v1/chat", content=b"x" * 5000, timeout=30)
            small_chat = httpx.post(f"{base}/api/v1/chat", content=b"{}", timeout=30)
            webhook = httpx.post(f"{base}/webhooks/stripe", content=b"x" * 5000, timeout=30)
            big_webhook = httpx.post(f"{base}/webhooks/stripe", content=b"x" * 70_000, timeout=30)
        assert big_chat.status_code == 413
        assert big_chat.json()["error"] == "PayloadTooLarge"
        assert small_chat.status_code == 401  # not refused for its size: no session token
        assert webhook.status_code == 400  # read, then refused by the signature check
        assert big_webhook.status_code == 413


class TestMetricsAccess:
    def test_metrics_are_off_without_a_token(self, live_service: Live) -> None:
        with live_service(observability={"metrics_token": None}) as base:
            response = httpx.get(f"{base}/metrics", timeout=30)
        assert response.status_code == 404
        assert "elara_revenue" not in response.text

    def test_metrics_need_the_bearer_token(self, live_service: Live) -> None:
        with live_service(observability={"metrics_token": "scrape-me-0123456789"}) as base:
            anonymous = httpx.get(f"{base}/metrics", timeout=30)
            wrong = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}, timeout=30)
            right = httpx.get(
                f"{base}/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}, timeout=30
            )
        assert anonymous.status_code == 401
        assert wrong.status_code == 401
        assert "elara_revenue" not in anonymous.text + wrong.text
        assert right.status_code == 200
        assert "elara_http_request_seconds" in right.text


def test_slack_without_allowed_teams_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="ELARA_SLACK__ALLOWED_TEAM_IDS"):
        Settings(slack={"bot_token": "xoxb-1-2-abc", "signing_secret": "s3cret"})
    configured = Settings(slack={"bot_token": "xoxb-1", "signing_secret": "s", "allowed_team_ids": ["T1"]})
    assert configured.slack.allowed_team_ids == ["T1"]
    assert Settings().slack.allowed_team_ids == []  # Slack off: nothing required
