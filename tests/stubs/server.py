"""One FastAPI app serving every stand-in (Stripe, Telegram, Slack, OpenAI-compatible LLM).

Each stand-in lives in its own module with ``router(state)`` and its own state object; this file
only assembles them. The stand-ins record what they receive so tests assert on the wire traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass
class StubState:
    base_url: str = ""
    parts: dict[str, Any] = field(default_factory=dict)


def build_stub_app(state: StubState) -> FastAPI:
    app = FastAPI(title="Elara test stand-ins")
    for name in ("stripe", "openai", "telegram", "slack"):
        try:
            module = __import__(f"tests.stubs.{name}_stub", fromlist=["mount"])
        except ModuleNotFoundError:
            continue
        state.parts[name] = module.mount(app, state)
    return app
