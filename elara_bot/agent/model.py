"""The chat-model factory: an OpenAI-compatible endpoint when one is configured, else the offline model."""

from __future__ import annotations

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from elara_bot.agent.offline_model import OfflineChatModel
from elara_bot.config import LLMSettings

# Local servers (Ollama, vLLM, llama.cpp) take any key; the client library insists on one.
NO_KEY = SecretStr("not-needed")


def build_chat_model(settings: LLMSettings) -> BaseChatModel:
    if settings.provider != "openai":
        return OfflineChatModel()
    # imported only for a hosted model: the client library and its tokenizer cost ~50 MB of memory
    from elara_bot.agent.openai_compat import CompatChatOpenAI

    return CompatChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key or NO_KEY,
        timeout=settings.timeout_s,
        # its own connection pool: the library's shared default client is bound to the first event loop
        # that used it, which breaks a second app (a test, a replica in one process) on another loop
        http_async_client=httpx.AsyncClient(timeout=settings.timeout_s),
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        stream_usage=True,
    )


def build_fallback_model(settings: LLMSettings) -> BaseChatModel | None:
    """The offline model takes over a turn the configured endpoint failed, when settings allow."""
    if settings.provider == "openai" and settings.fallback_to_offline:
        return OfflineChatModel()
    return None


async def close_chat_model(model: BaseChatModel | None) -> None:
    """Close the HTTP connections of an OpenAI-compatible model (at shutdown)."""
    client = getattr(model, "http_async_client", None)
    if isinstance(client, httpx.AsyncClient):
        await client.aclose()
