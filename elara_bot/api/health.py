from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from elara_bot.api.deps import RuntimeDep

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
    checks["embedder"] = "ok" if runtime.embedder is not None else "missing"
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return body if ready else JSONResponse(body, status_code=503)
