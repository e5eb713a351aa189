"""FastAPI dependencies: the runtime, and a pooled connection whose transaction spans the request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from elara_bot.api.errors import raises
from elara_bot.db import Conn
from elara_bot.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@raises(503)  # the database is down or the pool is exhausted (see api/errors.py)
async def get_conn(runtime: RuntimeDep) -> AsyncIterator[Conn]:
    """Commit when the handler returns, roll back when it raises (ElaraError included)."""
    async with runtime.pool.connection() as conn, conn.transaction():
        yield conn


# "function" scope: the transaction commits before the response is sent, so a client that reads the
# response and then asks again always sees its own write.
ConnDep = Annotated[Conn, Depends(get_conn, scope="function")]
