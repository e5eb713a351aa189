"""``elara eval conversations FILE``: multi-turn conversations against a running service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from elara_bot.config import get_settings
from elara_bot.evaluation.conversations import (
    ConversationFileError,
    ConversationResult,
    Report,
    load,
    policy_errors,
    report_json,
    run,
)


def _default_policies() -> Path:
    from elara_bot.demo import demo_file

    return demo_file("policies.md")


def eval_conversations_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="conversations, JSON Lines")],
    url: Annotated[
        str | None, typer.Option("--url", help="the running service (default: public_url)")
    ] = None,
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="only these")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="print each failing turn")] = False,
    policies: Annotated[
        Path | None, typer.Option("--policies", help="the store's policy text (default: the demo's)")
    ] = None,
    min_pass_rate: Annotated[float, typer.Option("--min-pass-rate", help="exit 1 below this rate")] = 0.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run each conversation in a fresh chat session, check state through the REST API after each turn,
    and print the pass rate per category (a conversation passes when every turn's checks hold).

    Each conversation opens a session: start the server with ELARA_SESSIONS__CREATE_PER_MINUTE=1000, or the
    run waits out the default limit (20 a minute per address) at each 429."""
    policy_text = (policies or _default_policies()).read_text(encoding="utf-8")
    try:
        conversations = load(file)
    except ConversationFileError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if errors := policy_errors(conversations, policy_text):
        raise typer.BadParameter("; ".join(errors))
    if category:
        conversations = [c for c in conversations if c.category in category]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the report
    console = Console(stderr=as_json)
    report = run(
        conversations,
        url or get_settings().public_url,
        policy_text,
        on_result=lambda r: _progress(console, r, verbose),
    )
    if as_json:
        typer.echo(report_json(report))
    else:
        _print_table(console, report)
    if any(r.error for r in report.results):
        raise typer.Exit(2)  # the run itself broke (HTTP errors, no service): the figures are partial
    if report.pass_rate < min_pass_rate:
        raise typer.Exit(1)


def _progress(console: Console, result: ConversationResult, verbose: bool) -> None:
    if not verbose or result.passed:
        return
    console.print(f"FAIL {result.id} ({result.category})", style="bold red", markup=False)
    if result.error:
        console.print(f"   run error: {result.error}", markup=False)
    for turn in result.turns:
        if turn.failures:
            console.print(f"   turn {turn.index}: {turn.said!r}", markup=False)
            for failure in turn.failures:
                console.print(f"      - {failure}", markup=False)


def _print_table(console: Console, report: Report) -> None:
    table = Table(title="conversations")
    for column in ("category", "conversations", "passed", "pass rate", "turns passed"):
        table.add_column(column)
    for s in [*report.by_category(), report.overall()]:
        table.add_row(
            s.category, str(s.conversations), str(s.passed), f"{s.rate:.1%}", f"{s.turns_passed}/{s.turns}"
        )
    console.print(table)
    broken = [r.id for r in report.results if r.error]
    if broken:
        console.print(f"run errors in {len(broken)} conversation(s): {', '.join(broken)}", markup=False)


def register(app: typer.Typer) -> None:
    from elara_bot.cli.catalog import _eval_group

    _eval_group(app).command("conversations")(eval_conversations_command)


if __name__ == "__main__":  # `python -m elara_bot.cli.conversations FILE` works without the elara CLI
    typer.run(eval_conversations_command)
