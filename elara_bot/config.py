"""The one settings object. Every environment variable Elara reads is declared here.

Variables use the ``ELARA_`` prefix and ``__`` for nesting, e.g. ``ELARA_LLM__BASE_URL``.
A ``.env`` file in the working directory is read too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PLACEHOLDER = "dev-insecure-change-me"


def _check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"store_time_zone {name!r} is not an IANA time zone") from exc


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("elara", appauthor=False))


class DatabaseSettings(BaseModel):
    url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; empty means start the embedded server."
    )
    pool_min: int = Field(default=1, ge=1)
    pool_max: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(default=15_000, ge=0)
    connect_timeout_s: int = Field(default=3, ge=1, description="seconds a new connection may take")
    reconnect_max_delay_s: float = Field(
        default=0.5,
        gt=0,
        description="longest pause between reconnection attempts while the database is down (psycopg_pool"
        " backs off to minutes by default, so a restarted database was used again only ~20 s later)",
    )
    retry_down_s: float = Field(
        default=1.0,
        gt=0,
        description="while the database is known down requests fail at once (503); one may try every this",
    )


class EmbeddingSettings(BaseModel):
    model_path: str | None = Field(
        default=None, description="sentence-transformers model directory; empty uses the packaged MiniLM."
    )
    batch_size: int = Field(default=64, ge=1)
    query_cache_size: int = Field(default=4096, ge=0)
    threads: int = Field(
        default=1,
        ge=1,
        description="torch threads per encoding. One leaves the other cores to PostgreSQL while a query is"
        " embedded; parallelism comes from the workers",
    )
    workers: int | None = Field(
        default=None, ge=1, description="encodings at once, documents split across them (empty: every core)"
    )
    runtime: Literal["onnxruntime", "torch"] = Field(
        default="onnxruntime",
        description="what runs the model: onnxruntime (exported once to DATA_DIR/models, a third of torch's"
        " time per query, the same vectors) or torch",
    )
    onnx_dir: Path | None = Field(
        default=None, description="where the model exported for onnxruntime is kept (empty: DATA_DIR/models)"
    )


class SearchSettings(BaseModel):
    ef_search: int = Field(default=80, ge=10)
    candidates: int = Field(default=100, ge=10, description="rows each retriever contributes to fusion")
    rrf_k: int = Field(default=60, ge=1)
    text_weight: float = Field(
        default=1.5,
        ge=0,
        description="RRF weight of full-text matches of every query word (vector list = 1). On"
        " bench/data/retrieval_catalog hybrid nDCG@10 went 0.758 -> 0.80 from 0.3 to 1.0-2.0 (1.5: 0.813 with"
        " the rest of issue 14); the 50-query set stays 0.978",
    )
    text_any_weight: float = Field(
        default=0.0,
        ge=0,
        description="RRF weight of full-text matches of only some query words; 0 leaves them out (on the"
        " dev set one common word, 'eye' or 'hiking', pulled in the wrong products: nDCG@10 0.964 -> 0.978)",
    )
    text_match_cap: int = Field(
        default=1000,
        ge=10,
        description="matching rows each full-text tier ranks at most (bounds common words)",
    )
    result_cache_s: float = Field(
        default=30.0,
        ge=0,
        description="seconds the search API reuses a query's ranking (prices, stock: always fresh); 0: off",
    )
    type_gate: bool = Field(
        default=True,
        description="in the chat, a query naming a kind of product the catalog has (a short title, a title's"
        " last word, a category) matches only products of that kind ('laptop under $500' is no backpack;"
        " 'the cheaper one' is one of the laptops); the search API ranks as before",
    )
    unknown_kind: bool = Field(
        default=True,
        description="a query naming its product by a noun the catalog does not have (nor a word one or two"
        " typos from it) matches nothing when what it is for is what was found ('a mattress for a queen size"
        " bed' found the pet bed) or, said alone, when no product is near it in meaning"
        " (unknown_kind_similarity); off with the relevance floor (min_similarity -1)",
    )
    min_similarity: float = Field(
        default=0.30,
        ge=-1,
        le=1,
        description="relevance floor: a query whose best product has a lower cosine similarity and none"
        " matching every query word in full text matches nothing (dev set: lowest best 0.313; 28 of 36"
        " off-topic queries fall below 0.30). -1: off",
    )
    item_min_similarity: float = Field(
        default=0.05,
        ge=-1,
        le=1,
        description="a product below this cosine similarity that does not match every query word in full"
        " text is no match (dev set: lowest relevant product 0.085). -1: off",
    )
    unknown_kind_similarity: float = Field(
        default=0.40,
        ge=-1,
        le=1,
        description="a query that is only a noun the catalog does not have ('a mattress', 'socks') needs a"
        " product this near to match anything: its meaning alone must carry it (synonyms do: 'headset' 0.50"
        " to the headphones, 'kindle' 0.56; unsold kinds do not: 'a mattress' 0.35 to the pet bed, 'socks'"
        " 0.38, 'a mug' 0.39). With unknown_kind",
    )


class AuthSettings(BaseModel):
    session_secret: SecretStr = SecretStr(DEV_PLACEHOLDER)
    session_ttl_days: int = Field(default=30, ge=1)
    admin_api_key: SecretStr = SecretStr(DEV_PLACEHOLDER)


class LimitsSettings(BaseModel):
    """Request body caps, enforced while the body is read (a declared Content-Length above the cap is
    refused before any of it is read): 413 beyond them."""

    body_bytes: int = Field(default=1_048_576, ge=1024, description="every route not listed below")
    chat_body_bytes: int = Field(default=65_536, ge=1024, description="POST /api/v1/chat")
    webhook_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="/webhooks/* (Stripe, Telegram) and /slack/*"
    )


class SessionSettings(BaseModel):
    """Anonymous web sessions (POST /api/v1/sessions): creation rate per client, a cap, the sweep."""

    create_per_minute: int = Field(
        default=20, ge=1, description="sessions one client (IP) may create per minute; 429 beyond"
    )
    max_anonymous: int = Field(
        default=100_000,
        ge=1,
        description="live anonymous sessions; at the cap the oldest idle empty one is evicted, 503 if none",
    )
    evict_idle_minutes: int = Field(
        default=30, ge=1, description="an empty session idle this long may be evicted at the cap"
    )
    sweep_idle_hours: int = Field(
        default=72, ge=1, description="the sweeper deletes empty anonymous sessions idle this long"
    )
    sweep_interval_s: float = Field(default=600.0, gt=0)


class ObservabilitySettings(BaseModel):
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token for GET /metrics (it shows paid orders and revenue); empty: no /metrics",
    )


class PaymentSettings(BaseModel):
    provider: Literal["dev", "stripe"] | None = Field(
        default=None, description="'stripe' when a Stripe key is set, else 'dev' (only allowed in dev)."
    )
    dev_enabled: bool = Field(default=False, description="allow the TEST MODE payment page outside env=dev")
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = Field(default=None, description="override Stripe's API address")
    success_url: str = "{public_url}/?order={order_number}&paid=1"
    cancel_url: str = "{public_url}/?order={order_number}&cancelled=1"
    currency: str = "USD"
    reservation_minutes: int = Field(default=30, ge=1)
    stripe_timeout_s: float = Field(default=10.0, gt=0, description="per-request timeout to Stripe")
    orphan_grace_s: float = Field(
        default=600.0,
        ge=0,
        description="a charge attempt still pending this many seconds is reconciled with Stripe by the"
        " sweeper: refunded when it took money but no order holds it, else marked failed",
    )


class UcpSettings(BaseModel):
    """The Universal Commerce Protocol edge (/.well-known/ucp, /ucp/v1): outside AI agents buy here."""

    enabled: bool = Field(default=True, description="serve the UCP profile and REST binding")
    test_mode: bool = Field(
        default=True,
        description="offer the TEST MODE payment handler (refused with env=prod unless dev_enabled)",
    )
    simulation_secret: SecretStr | None = Field(
        default=None, description="enables POST /ucp/v1/testing/simulate-shipping (never with env=prod)"
    )
    allow_http_profiles: bool = Field(
        default=False, description="accept platform profiles over plain http (local development only)"
    )
    profile_ttl_s: int = Field(
        default=300, ge=60, description="how long a fetched platform profile is cached"
    )
    profile_timeout_s: float = Field(default=5.0, gt=0)
    signing_key: SecretStr | None = Field(
        default=None, description="P-256 private key (PEM) that signs order webhooks; none: one per process"
    )
    signing_kid: str = Field(default="elara-ucp-1", description="the key's id in the profile's signing_keys")
    require_signatures: bool = Field(
        default=False,
        description="refuse platform requests without an RFC 9421 signature (401 signature_missing); a"
        " signature that is present is always verified",
    )
    stripe_handler: bool = Field(
        default=True, description="offer the Stripe payment handler when payments run on Stripe"
    )
    stripe_publishable_key: str | None = Field(
        default=None, description="published in the Stripe handler's config for platforms that tokenize"
    )
    stripe_network_id: str | None = Field(
        default=None, description="the store's Stripe network id (what agents scope shared payment tokens to)"
    )


class LLMSettings(BaseModel):
    provider: Literal["offline", "openai"] | None = Field(
        default=None, description="'openai' when a base URL or key is set, else 'offline'."
    )
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = Field(
        default=120.0, gt=0, description="per model call; a CPU-served model's first call can take 12-24 s"
    )
    max_retries: int = Field(default=2, ge=0)
    temperature: float = 0.2
    max_tokens: int | None = Field(
        default=None, gt=0, description="cap on each answer's tokens; unset: the server's own limit"
    )
    fallback_to_offline: bool = True
    fallback_notice: Literal["loud", "silent"] = Field(
        default="loud",
        description="loud: a reply the offline fallback gave says so to the shopper (it understands less than"
        " the hosted model); silent: no note (logs, metrics and /readyz still show every fallback)",
    )
    degraded_after: int = Field(
        default=3,
        ge=1,
        description="hosted-model failures in a row (within degraded_window_s) after which /readyz reports"
        " the chat model degraded; one answered turn clears it",
    )
    degraded_window_s: float = Field(
        default=300.0, gt=0, description="failures older than this do not count towards degraded_after"
    )


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    secret_token: SecretStr | None = None
    api_base: str | None = Field(default=None, description="e.g. a local Bot API server")


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    api_base: str | None = None
    allowed_team_ids: list[str] = Field(
        default=[], description="Slack team (workspace) ids answered; required when Slack is configured"
    )
    merchant_user_ids: list[str] = []
    handoff_channel: str | None = None
    alerts_channel: str | None = None
    low_stock_threshold: int = Field(
        default=3, ge=0, description="a paid order leaving a variant at or below this stock alerts Slack"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ELARA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Field(default_factory=default_data_dir)
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    load_demo: bool = Field(default=True, description="load the demo store into an empty database on start")
    cors_origins: list[str] = []
    max_item_quantity: int = Field(default=20, ge=1)
    chat_rate_per_minute: int = Field(default=30, ge=1)
    trusted_proxies: list[str] = Field(
        default=[],
        description="addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (client = the"
        " rightmost entry not itself a trusted proxy); empty: the TCP peer is the client",
    )
    shutdown_grace_s: int = Field(
        default=30, ge=1, description="seconds uvicorn lets in-flight requests finish on shutdown"
    )
    store_time_zone: str = Field(
        default="UTC",
        description="IANA zone of the store's calendar (e.g. Europe/Berlin): the days, weeks and months"
        " the merchant analyst reports on",
    )

    database: DatabaseSettings = DatabaseSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    search: SearchSettings = SearchSettings()
    auth: AuthSettings = AuthSettings()
    payments: PaymentSettings = PaymentSettings()
    llm: LLMSettings = LLMSettings()
    telegram: TelegramSettings = TelegramSettings()
    slack: SlackSettings = SlackSettings()
    limits: LimitsSettings = LimitsSettings()
    sessions: SessionSettings = SessionSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    ucp: UcpSettings = UcpSettings()

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if self.payments.provider is None:
            self.payments.provider = "stripe" if self.payments.stripe_secret_key else "dev"
        if self.llm.provider is None:
            self.llm.provider = "openai" if (self.llm.base_url or self.llm.api_key) else "offline"
        if self.env == "prod":
            self._refuse_placeholders()
        self._require_slack_teams()
        _check_zone(self.store_time_zone)
        return self

    def _require_slack_teams(self) -> None:
        slack = self.slack
        if slack.bot_token is not None and slack.signing_secret is not None and not slack.allowed_team_ids:
            raise ValueError(
                "ELARA_SLACK__ALLOWED_TEAM_IDS must list your Slack workspace id(s) (e.g. '[\"T0123\"]')"
                " when Slack is configured: events from any other team are refused"
            )

    def _refuse_placeholders(self) -> None:
        for name, secret in (
            ("ELARA_AUTH__SESSION_SECRET", self.auth.session_secret),
            ("ELARA_AUTH__ADMIN_API_KEY", self.auth.admin_api_key),
        ):
            if secret.get_secret_value() in ("", DEV_PLACEHOLDER):
                raise ValueError(f"{name} must be set to a real secret when ELARA_ENV=prod")
        if self.payments.provider == "dev" and not self.payments.dev_enabled:
            raise ValueError(
                "the dev (TEST MODE) payment provider is refused when ELARA_ENV=prod: set "
                "ELARA_PAYMENTS__STRIPE_SECRET_KEY, or ELARA_PAYMENTS__DEV_ENABLED=true to allow it knowingly"
            )

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
