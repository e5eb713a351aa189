"""``elara policies import PATH`` and ``elara policies search "question"``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

from elara_bot.config import get_settings
from elara_bot.policies.schemas import Passage, PolicyAnswer, PolicyPassage
from retrieval.embedding import Embedder

policies_app = typer.Typer(help="Store policies and FAQ passages.", no_args_is_help=True)


def _embedder() -> Embedder:
    from elara_bot.app import build_embedder

    return build_embedder(get_settings())


async def _import(passages: list[Passage]) -> int:
    from elara_bot.db import connect, database_url, migrate
    from elara_bot.policies.service import import_policies

    url = database_url(get_settings())
    await migrate(url)
    async with connect(url) as conn:
        async with conn.transaction():
            return await import_policies(conn, _embedder(), passages)


@policies_app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="markdown; one passage per '## '")
    ],
) -> None:
    """Load policy passages (upsert by title). Exit code 2 when nothing could be loaded."""
    from elara_bot.errors import ElaraError
    from elara_bot.policies.service import parse_policies

    passages = parse_policies(path.read_text(encoding="utf-8"))
    if not passages:
        typer.echo("no passages: the file needs '## Title' headings", err=True)
        raise typer.Exit(2)
    try:
        changed = asyncio.run(_import(passages))
    except ElaraError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"passages {len(passages)}, inserted or changed {changed}, unchanged {len(passages) - changed}"
    )


async def _search(question: str, limit: int) -> tuple[list[PolicyPassage], PolicyAnswer]:
    from elara_bot.db import connect, database_url
    from elara_bot.policies.service import answer_policy, search_policies

    embedder = _embedder()
    async with connect(database_url(get_settings())) as conn:
        found = await search_policies(conn, embedder, question, limit)
        return found, await answer_policy(conn, embedder, question, limit)


@policies_app.command("search")
def search_command(
    question: str = typer.Argument(..., help="e.g. 'how long does shipping take?'"),
    limit: int = typer.Option(3, "--limit", min=1, max=20),
    as_json: bool = typer.Option(False, "--json", help="print the passages as JSON"),
) -> None:
    """Find the policy passages that answer a question, the way the assistant does."""
    found, answer = asyncio.run(_search(question, limit))
    if as_json:
        typer.echo(TypeAdapter(list[PolicyPassage]).dump_json(found, indent=2).decode())
        return
    if answer.covered:
        caption = "the assistant answers from: " + ", ".join(p.title for p in answer.passages)
    else:
        about = f" (the question is about {answer.topic})" if answer.topic else ""
        caption = f"the assistant says the policies do not cover this{about}"
    table = Table(title=f"{len(found)} passages for {question!r}", caption=caption)
    for column in ("#", "title", "body", "score"):
        table.add_column(column)
    for rank, passage in enumerate(found, start=1):
        table.add_row(str(rank), passage.title, passage.body, f"{passage.score:.4f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(policies_app, name="policies")
