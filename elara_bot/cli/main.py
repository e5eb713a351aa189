"""The ``elara`` command. Each group lives in its own module and is added here."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import typer

from elara_bot.config import get_settings

if TYPE_CHECKING:
    from elara_bot.embedded import EmbeddedStatus

app = typer.Typer(help="Elara: a conversational commerce assistant.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _setup(verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging")) -> None:
    from elara_bot.observability import configure_cli_logging

    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level.upper(), logging.INFO)
    configure_cli_logging(level)  # masked as the service logs: httpx logs Bot API addresses with the token


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (idempotent)."""
    from elara_bot.db import database_url, migrate

    applied = asyncio.run(migrate(database_url(get_settings())))
    typer.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use (an embedded server runs only while an Elara process such as
    `elara serve` uses it)."""
    from elara_bot.db import database_url

    typer.echo(database_url(get_settings()))


@db_app.command("status")
def db_status() -> None:
    """Show the embedded PostgreSQL: running or not, and the Elara processes using it (starts nothing)."""
    from elara_bot.embedded import status

    settings = get_settings()
    if settings.database.url is not None:
        typer.echo("database: external (ELARA_DATABASE__URL); Elara runs no embedded server")
        return
    for line in _describe(status(settings.pgdata)):
        typer.echo(line)


def _describe(state: EmbeddedStatus) -> list[str]:
    lines = [f"data directory: {state.pgdata}"]
    if not state.initialised:
        return [*lines, "server: none yet (created by the first Elara command that needs it)"]
    if state.server_pid is None:
        stale = f" (stale postmaster.pid of process {state.stale_pid}: cleared at the next start)"
        lines.append("server: stopped" + (stale if state.stale_pid is not None else ""))
    else:
        lines.append(f"server: running, pid {state.server_pid}, socket in {state.socket_dir}")
    users = [f"  pid {h.pid}: {h.command}" for h in state.holders]
    lines.append(f"used by: {len(users)} Elara process(es)" + (":" if users else ""))
    if state.server_pid is not None and not users:
        lines.append("  none: a killed run left it; the next Elara process adopts it, or `elara db stop`")
    return lines + users


@db_app.command("stop")
def db_stop(
    force: bool = typer.Option(False, "--force", help="stop it even while Elara processes use it"),
) -> None:
    """Stop the embedded PostgreSQL (it stops by itself when the last Elara process using it exits)."""
    from elara_bot.embedded import stop

    settings = get_settings()
    if settings.database.url is not None:
        typer.echo("database: external (ELARA_DATABASE__URL); Elara runs no embedded server")
        return
    outcome = stop(settings.pgdata, force=force)
    if outcome.refused:
        pids = ", ".join(str(h.pid) for h in outcome.holders)
        typer.echo(f"not stopped: Elara processes use it (pids {pids}); stop them, or use --force", err=True)
        raise typer.Exit(1)
    if outcome.stopped_pid is None:
        typer.echo(f"not running: {settings.pgdata}")
    else:
        typer.echo(f"stopped the embedded PostgreSQL (pid {outcome.stopped_pid}) in {settings.pgdata}")


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
    from elara_bot.cli import nlu

    nlu.register(app)
    from elara_bot.cli import store

    store.register(app)
    from elara_bot.cli import conversations

    conversations.register(app)


_register_groups()
