from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from elara_bot.api.deps import RuntimeDep
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
    ready = all(v == "ok" for v in checks.values())
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
