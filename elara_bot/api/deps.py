"""FastAPI dependencies: the runtime, and a pooled connection whose transaction spans the request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from elara_bot.db import Conn
from elara_bot.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_conn(runtime: RuntimeDep) -> AsyncIterator[Conn]:
    """Commit when the handler returns, roll back when it raises (ElaraError included)."""
    async with runtime.pool.connection() as conn, conn.transaction():
        yield conn


ConnDep = Annotated[Conn, Depends(get_conn)]
