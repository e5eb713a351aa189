"""The ``elara`` command. Each group lives in its own module and is added here."""

from __future__ import annotations

import asyncio
import logging

import typer

from elara_bot.config import get_settings

app = typer.Typer(help="Elara: a conversational commerce assistant.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _setup(verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging")) -> None:
    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (idempotent)."""
    from elara_bot.db import database_url, migrate

    applied = asyncio.run(migrate(database_url(get_settings())))
    typer.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use (starts the embedded server if needed)."""
    from elara_bot.db import database_url

    typer.echo(database_url(get_settings()))


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (default from ELARA_HOST)"),
    port: int = typer.Option(None, help="port (default from ELARA_PORT)"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Run the HTTP service (API, web chat, webhooks)."""
    import uvicorn

    from elara_bot.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "elara_bot.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_config=None,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        proxy_headers=False,  # the app believes X-Forwarded-For from ELARA_TRUSTED_PROXIES only
    )


def _register_groups() -> None:
    """Command groups of the domains; each module exposes ``register(app)``."""
    from elara_bot.cli import catalog

    catalog.register(app)
    from elara_bot.cli import telegram

    telegram.register(app)
    from elara_bot.cli import policies

    policies.register(app)
    from elara_bot.cli import chat

    chat.register(app)


_register_groups()
