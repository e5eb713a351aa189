"""JSON logs with request/conversation ids, Prometheus metrics and the request-timing middleware.

Other modules record events through the module-level helpers (``observe_tool_call``, ``observe_search``,
``count_order_paid`` ...); ``/metrics`` exposes them in the Prometheus text format.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, TextIO

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from elara_bot.config import Settings
from elara_bot.errors import NotFound, Unauthorized

request_id_var: ContextVar[str | None] = ContextVar("elara_request_id", default=None)
conversation_id_var: ContextVar[str | None] = ContextVar("elara_conversation_id", default=None)

REQUEST_LATENCY = Histogram(
    "elara_http_request_seconds", "HTTP request latency", ["method", "route", "status"]
)
CHAT_TURNS = Counter("elara_chat_turns_total", "chat turns handled", ["channel"])
TOOL_CALLS = Counter("elara_tool_calls_total", "agent tool calls", ["tool", "outcome"])
LLM_LATENCY = Histogram("elara_llm_request_seconds", "LLM call latency", ["provider"])
LLM_ERRORS = Counter("elara_llm_errors_total", "failed LLM calls", ["provider", "kind"])
LLM_FALLBACKS = Counter(
    "elara_llm_fallbacks_total",
    "chat turns the hosted model failed, by failure kind and what answered (offline model or apology)",
    ["kind", "answer"],
)
SEARCH_LATENCY = Histogram("elara_search_seconds", "catalog search latency")
ORDERS_PAID = Counter("elara_orders_paid_total", "orders paid", ["currency"])
REVENUE = Counter("elara_revenue_minor_total", "paid revenue in minor units", ["currency"])


def observe_chat_turn(channel: str) -> None:
    CHAT_TURNS.labels(channel=channel).inc()


def observe_tool_call(name: str, outcome: str) -> None:
    TOOL_CALLS.labels(tool=name, outcome=outcome).inc()


def observe_llm(provider: str, seconds: float, error: str | None = None) -> None:
    LLM_LATENCY.labels(provider=provider).observe(seconds)
    if error is not None:
        LLM_ERRORS.labels(provider=provider, kind=error).inc()


def observe_fallback(kind: str, answer: str) -> None:
    """A turn the hosted model failed (`kind`, as `elara_llm_errors_total` counts its calls) was answered by
    `answer`: "offline" (the fallback model) or "apology"."""
    LLM_FALLBACKS.labels(kind=kind, answer=answer).inc()


def observe_search(seconds: float) -> None:
    SEARCH_LATENCY.observe(seconds)


def count_order_paid(amount_minor: int, currency: str) -> None:
    ORDERS_PAID.labels(currency=currency).inc()
    REVENUE.labels(currency=currency).inc(amount_minor)


# --- logging -------------------------------------------------------------------------------------

_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [REDACTED]"),
    # a Telegram bot token, also inside a Bot API address (".../bot<token>/setWebhook")
    (re.compile(r"(?:\b|(?<=/bot))\d{6,12}:[A-Za-z0-9_-]{30,}\b"), "[REDACTED]"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+"), "[REDACTED]"),  # Slack tokens
    (re.compile(r"\b(?:sk|rk|whsec)_[A-Za-z0-9_]{8,}"), "[REDACTED]"),  # Stripe keys
    (
        re.compile(
            r"(?i)((?:authorization|api[_-]?key|secret|token|password)[\"']?\s*[:=]\s*[\"']?)"
            r"(?!Bearer \[REDACTED\])[^\s\"',}&]+"
        ),
        r"\1[REDACTED]",
    ),
    (re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@"), r"\1[REDACTED]@"),
]


def redact(text: str) -> str:
    """Mask bearer tokens, bot tokens, API keys and passwords in a log line."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        conversation_id = conversation_id_var.get()
        if conversation_id:
            entry["conversation_id"] = conversation_id
        fields = getattr(record, "fields", None)  # log.warning(..., extra={"fields": {...}})
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(str(key), redact(value) if isinstance(value, str) else value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class RedactingFormatter(logging.Formatter):
    """Plain-text log lines (the command line's) masked as the service's JSON lines are (`redact`)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_cli_logging(level: int, stream: TextIO | None = None) -> None:
    """The ``elara`` command's logging: readable lines on stderr, secrets masked (a library's request
    line such as httpx's ``POST .../bot<token>/setWebhook`` included)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log record (ours, uvicorn's, libraries') as one JSON line to stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)


# --- middleware and route -----------------------------------------------------------------------

access_log = logging.getLogger("elara.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ObservabilityMiddleware:
    """Sets the request id (honouring a well-formed X-Request-ID), times requests, logs one line each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        conv_token = conversation_id_var.set(None)
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            REQUEST_LATENCY.labels(method=scope["method"], route=route, status=str(status)).observe(elapsed)
            access_log.info("%s %s %s %.1fms", scope["method"], route, status, elapsed * 1000)
            conversation_id_var.reset(conv_token)
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _REQUEST_ID_RE.match(candidate) else None
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so ids do not explode label cardinality."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus text, for a scraper holding ``ELARA_OBSERVABILITY__METRICS_TOKEN`` (it shows paid orders
    and revenue: never public). Without a configured token the route does not exist."""
    settings: Settings = request.app.state.runtime.settings
    check_metrics_token(settings, authorization)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def check_metrics_token(settings: Settings, authorization: str | None) -> None:
    token = settings.observability.metrics_token
    if token is None or not token.get_secret_value():
        raise NotFound("metrics are off: set ELARA_OBSERVABILITY__METRICS_TOKEN and scrape with it")
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized("send Authorization: Bearer <metrics token>")
