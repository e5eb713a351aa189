"""JSON logs with request ids and no secrets; Prometheus metrics for requests, search and chat."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from elara_bot import observability
from elara_bot.observability import ObservabilityMiddleware, configure_logging, redact

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
BEARER = "sess.eyJzaG9wcGVyIjoxfQ.c2lnbmF0dXJl"
METRICS_TOKEN = "metrics-scraper-token-42"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def registry_text() -> str:
    from prometheus_client import REGISTRY, generate_latest

    return generate_latest(REGISTRY).decode()


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("INFO", stream)
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def sample(metrics_text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_redact_masks_tokens_and_keys() -> None:
    line = (
        f"Authorization: Bearer {BEARER} bot={BOT_TOKEN} stripe sk_live_abcdefgh12345678 "
        "slack xoxb-1-2-abc url postgresql://elara:hunter2@db/elara api_key=zzz"
    )
    masked = redact(line)
    for secret in (BEARER, BOT_TOKEN, "sk_live_abcdefgh12345678", "xoxb-1-2-abc", "hunter2", "zzz"):
        assert secret not in masked
    assert "postgresql://elara:[REDACTED]@db/elara" in masked
    # inside a Bot API address, as httpx logs it
    address = redact(f"POST https://api.telegram.org/bot{BOT_TOKEN}/setWebhook 200")
    assert address == "POST https://api.telegram.org/bot[REDACTED]/setWebhook 200"


async def test_middleware_sets_request_id_and_counts_route_templates(log_stream: io.StringIO) -> None:
    app = FastAPI()
    app.add_middleware(ObservabilityMiddleware)
    seen: list[str | None] = []

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        seen.append(observability.request_id_var.get())
        logging.getLogger("elara.test").info("handling item with Authorization: Bearer %s", BEARER)
        return {"id": item_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        before = sample(
            registry_text(),
            "elara_http_request_seconds_count",
            route="/items/{item_id}",
            status="200",
        )
        given = await client.get("/items/7", headers={"X-Request-ID": "req-abc.1"})
        fresh = await client.get("/items/8", headers={"X-Request-ID": "bad id\nwith newline"})
        text = registry_text()

    assert given.headers["x-request-id"] == "req-abc.1"
    assert fresh.headers["x-request-id"] not in ("", "bad id\nwith newline")
    assert seen == ["req-abc.1", fresh.headers["x-request-id"]]
    after = sample(text, "elara_http_request_seconds_count", route="/items/{item_id}", status="200")
    assert after - before == 2
    records = json_lines(log_stream)
    handled = [r for r in records if r["logger"] == "elara.test"]
    assert handled[0]["request_id"] == "req-abc.1"
    access = [r for r in records if r["logger"] == "elara.access"]
    assert any("/items/{item_id} 200" in str(r["message"]) for r in access)
    assert BEARER not in log_stream.getvalue()


def test_helpers_feed_the_registry() -> None:
    from prometheus_client import REGISTRY, generate_latest

    before = generate_latest(REGISTRY).decode()
    observability.observe_tool_call("search_products", "ok")
    observability.count_order_paid(12_345, "USD")
    observability.observe_llm("openai", 0.2, error="timeout")
    after = generate_latest(REGISTRY).decode()
    for name, labels, delta in (
        ("elara_tool_calls_total", {"tool": "search_products", "outcome": "ok"}, 1),
        ("elara_revenue_minor_total", {"currency": "USD"}, 12_345),
        ("elara_orders_paid_total", {"currency": "USD"}, 1),
        ("elara_llm_errors_total", {"provider": "openai", "kind": "timeout"}, 1),
    ):
        assert sample(after, name, **labels) - sample(before, name, **labels) == delta


def test_live_search_shows_in_metrics_and_json_logs(
    live_service: Callable[..., AbstractContextManager[str]], log_stream: io.StringIO
) -> None:
    with live_service(observability={"metrics_token": METRICS_TOKEN}) as base:
        before = httpx.get(f"{base}/metrics", headers=SCRAPE).text
        response = httpx.get(
            f"{base}/api/v1/products/search",
            params={"q": "waterproof boots"},
            headers={"X-Request-ID": "live-req-42", "Authorization": f"Bearer {BEARER}"},
            timeout=30,
        )
        assert response.status_code == 200
        after = httpx.get(f"{base}/metrics", headers=SCRAPE).text
        ready = httpx.get(f"{base}/readyz", timeout=30)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "embedder": "ok", "chat_model": "ok"}
    labels = {"route": "/api/v1/products/search", "status": "200"}
    assert (
        sample(after, "elara_http_request_seconds_count", **labels)
        - sample(before, "elara_http_request_seconds_count", **labels)
        == 1
    )
    assert sample(after, "elara_search_seconds_count") > sample(before, "elara_search_seconds_count")
    records = json_lines(log_stream)
    assert any(r.get("request_id") == "live-req-42" for r in records)
    assert BEARER not in log_stream.getvalue()
