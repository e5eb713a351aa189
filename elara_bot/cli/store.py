"""``elara store import DIR``: discount codes, promotions, shipping and tax rates, customers and addresses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from elara_bot.config import get_settings
from elara_bot.storefront.schemas import ImportReport

store_app = typer.Typer(
    help="Storefront: discounts, promotions, shipping, taxes, customers.", no_args_is_help=True
)


async def _import(directory: Path) -> list[ImportReport]:
    from elara_bot.db import connect, database_url, migrate
    from elara_bot.storefront.importer import import_dir

    url = database_url(get_settings())
    await migrate(url)
    async with connect(url) as conn, conn.transaction():
        return await import_dir(conn, directory)


@store_app.command("import")
def import_command(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="a directory of CSV files")],
) -> None:
    """Load discounts.csv, promotions.csv, shipping_rates.csv, taxes.csv, customers.csv and addresses.csv
    (each optional; rows upserted by their key). Exit code 2 when a row was refused."""
    from elara_bot.errors import ElaraError

    try:
        reports = asyncio.run(_import(directory))
    except ElaraError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    for report in reports:
        typer.echo(f"{report.file}: loaded {report.loaded}, refused {len(report.errors)}")
        for error in report.errors:
            typer.echo(f"  {error}", err=True)
    if any(report.errors for report in reports):
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
