"""Liveness (`/healthz`) and readiness (`/readyz`: database, embedding model, chat model)."""

from __future__ import annotations

import time

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from elara_bot.api.deps import RuntimeDep
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep) -> dict[str, object] | JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with runtime.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    checks["embedder"] = await _check_embedder(runtime.embedder)
    checks["chat_model"] = await _check_chat_model(runtime)
    ready = all(v == "ok" or v.startswith("degraded") for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
    return body if ready else JSONResponse(body, status_code=503)


async def _check_embedder(embedder: Embedder | None) -> str:
    """The model answers a (cached) query embedding of the right shape."""
    if embedder is None:
        return "missing"
    try:
        vector = await run_in_threadpool(embedder.embed_query, "readiness probe")
    except Exception as exc:  # any failure means not ready
        return f"error: {type(exc).__name__}"
    return "ok" if len(vector) > 0 else "error: empty vector"


MODEL_PROBE_TTL_S = 30.0


async def _check_chat_model(runtime: Runtime) -> str:
    """The offline model is always there; a hosted endpoint is probed (`GET /models`, cached 30 s).

    An unreachable endpoint with the offline fallback enabled is "degraded": shoppers still get answers,
    so the replica stays in service. A reachable one that failed `degraded_after` turns in a row (errors,
    timeouts, malformed or empty answers) is "degraded" too, until it answers a turn again.
    """
    service = runtime.conversation
    if service is None:
        return "missing"
    llm = runtime.settings.llm
    if llm.provider != "openai":
        return "ok"
    base = (llm.base_url or "https://api.openai.com/v1").rstrip("/")
    cached = service.model_health.probe  # the runtime's, not the process's: another runtime probes its own
    if cached is None or time.monotonic() - cached[0] > MODEL_PROBE_TTL_S:
        cached = (time.monotonic(), await _probe(base, llm.api_key.get_secret_value() if llm.api_key else ""))
        service.model_health.probe = cached
    if cached[1] != "ok":
        return cached[1] if service.fallback is None else f"degraded: {cached[1]}, the offline model answers"
    failing = service.model_health.degraded(llm.degraded_after, llm.degraded_window_s)
    if failing is None:
        return "ok"
    # still ready: every replica shares the model, and taking them out would stop carts and webhooks too
    answer = "the offline model answers" if service.fallback is not None else "shoppers get an apology"
    return f"degraded: {failing}, {answer}"


async def _probe(base: str, key: str) -> str:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            headers = {"Authorization": f"Bearer {key}"} if key else {}  # local servers take no key
            response = await client.get(f"{base}/models", headers=headers)
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return "ok" if response.status_code < 500 else f"error: HTTP {response.status_code}"
