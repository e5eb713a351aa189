"""How the hosted chat model has been doing in this process: its failures since it last answered a turn.

`/readyz` reports the chat model `degraded` once `ELARA_LLM__DEGRADED_AFTER` turns in a row failed within
`ELARA_LLM__DEGRADED_WINDOW_S`; the next turn the hosted model answers clears it. Each process keeps its own
record (a replica's readiness is about that replica).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

KEEP = 100  # failures remembered at most (only the count within the window matters)


@dataclass
class ModelHealth:
    _failures: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=KEEP))
    # the last probe of the endpoint (`/readyz`): when it ran (monotonic) and what it found
    probe: tuple[float, str] | None = None

    def failed(self, kind: str) -> None:
        self._failures.append((time.monotonic(), kind))

    def succeeded(self) -> None:
        self._failures.clear()

    def streak(self, window_s: float) -> list[str]:
        """The kinds of the failures in a row within the window, oldest first."""
        since = time.monotonic() - window_s
        return [kind for at, kind in self._failures if at >= since]

    def degraded(self, after: int, window_s: float) -> str | None:
        """None while fewer than `after` failures in a row; else what failed, e.g. "3 failures in a row
        (InternalServerError x2, empty_answer)"."""
        kinds = self.streak(window_s)
        if len(kinds) < after:
            return None
        counts: dict[str, int] = {}
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1
        named = ", ".join(kind if n == 1 else f"{kind} x{n}" for kind, n in counts.items())
        return f"{len(kinds)} failures in a row ({named})"
