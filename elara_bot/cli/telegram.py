"""``elara telegram``: register the webhook, or long-poll for local development."""

from __future__ import annotations

import asyncio

import typer

from elara_bot.config import TelegramSettings, get_settings

telegram_app = typer.Typer(help="Telegram bot commands.", no_args_is_help=True)
WEBHOOK_PATH = "/webhooks/telegram"


def register(app: typer.Typer) -> None:
    app.add_typer(telegram_app, name="telegram")


def _settings() -> TelegramSettings:
    settings = get_settings().telegram
    if settings.token is None:
        raise typer.BadParameter("set ELARA_TELEGRAM__TOKEN to the bot token from @BotFather first")
    return settings


def webhook_url(url: str) -> str:
    """The full webhook address: a bare public URL gets ``/webhooks/telegram`` appended."""
    url = url.rstrip("/")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


async def _set_webhook(settings: TelegramSettings, url: str, drop_pending: bool) -> None:
    from connectors.telegram.connector import ALLOWED_UPDATES, build_application, webhook_secret

    bot = build_application(settings).bot
    async with bot:
        await bot.set_webhook(
            url,
            secret_token=webhook_secret(settings),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        )


async def _delete_webhook(settings: TelegramSettings) -> None:
    from connectors.telegram.connector import build_application

    bot = build_application(settings).bot
    async with bot:
        await bot.delete_webhook()


async def _poll(once: bool) -> int:
    from connectors.telegram.connector import TelegramConnector
    from elara_bot.app import start_runtime, stop_runtime

    runtime = await start_runtime(get_settings())
    try:
        connector = runtime.connectors["telegram"]
        assert isinstance(connector, TelegramConnector)
        return await connector.poll(once=once)
    finally:
        await stop_runtime(runtime)


@telegram_app.command("set-webhook")
def set_webhook(
    url: str = typer.Argument(
        None, help="public HTTPS address of the service (default: ELARA_PUBLIC_URL), path added"
    ),
    drop_pending: bool = typer.Option(False, help="discard updates Telegram queued while no webhook was set"),
) -> None:
    """Point Telegram at this service's webhook, with the secret token it checks."""
    target = webhook_url(url or get_settings().public_url)
    asyncio.run(_set_webhook(_settings(), target, drop_pending))
    typer.echo(f"webhook set: {target}")


@telegram_app.command("delete-webhook")
def delete_webhook() -> None:
    """Stop webhook delivery (needed before long polling elsewhere)."""
    asyncio.run(_delete_webhook(_settings()))
    typer.echo("webhook deleted")


@telegram_app.command("poll")
def poll(once: bool = typer.Option(False, "--once", help="handle one batch of updates and exit")) -> None:
    """Long polling for local development: no public URL needed (removes the webhook)."""
    _settings()
    handled = asyncio.run(_poll(once))
    typer.echo(f"handled {handled} update(s)")
