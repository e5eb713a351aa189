"""``elara catalog import|export``, ``elara search`` and ``elara eval retrieval``."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from elara_bot.catalog.schemas import ImportReport, SearchFilters, SearchResult
from elara_bot.config import get_settings
from elara_bot.money import format_amount, to_minor
from retrieval.embedding import Embedder

catalog_app = typer.Typer(help="Catalog import and export.", no_args_is_help=True)
FORMATS = ("jsonl", "csv")
MODES = ("hybrid", "vector", "text")
EVAL_MODES = ("bm25", *MODES)


def _embedder() -> Embedder:
    from elara_bot.app import build_embedder

    return build_embedder(get_settings())


def _format(value: str | None, path: Path | None) -> Literal["jsonl", "csv"]:
    from elara_bot.catalog.importer import detect_format

    if value is None:
        return detect_format(path) if path else "jsonl"
    if value not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}")
    return "csv" if value == "csv" else "jsonl"


async def _import(path: Path, fmt: Literal["jsonl", "csv"], allow_sku_move: bool) -> ImportReport:
    from elara_bot.catalog.importer import import_catalog
    from elara_bot.catalog.repository import vacuum_catalog
    from elara_bot.db import connect, database_url, migrate

    url = database_url(get_settings())
    await migrate(url)
    async with connect(url) as conn:
        async with conn.transaction():
            report = await import_catalog(conn, _embedder(), path, fmt=fmt, allow_sku_move=allow_sku_move)
        await vacuum_catalog(conn)
        return report


@catalog_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines or CSV file")],
    fmt: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from the file suffix)"),
    allow_sku_move: bool = typer.Option(
        False,
        "--allow-sku-move",
        help="let a row take a SKU that belongs to another product (else that row is refused)",
    ),
) -> None:
    """Load a catalog file. Exit code 0: all rows loaded, 1: some rows bad, 2: nothing loaded."""
    report = asyncio.run(_import(path, _format(fmt, path), allow_sku_move))
    for error in report.errors:
        typer.echo(f"line {error.line}: {error.reason}", err=True)
    moved = f", SKUs moved {report.moved}" if report.moved else ""
    typer.echo(
        f"loaded {report.loaded}, embedded {report.embedded}, skipped {report.skipped}, "
        f"errors {len(report.errors)}{moved}"
    )
    if report.loaded == 0:
        raise typer.Exit(2)
    if report.errors:
        raise typer.Exit(1)


async def _export(output: Path | None, fmt: Literal["jsonl", "csv"]) -> int:
    from elara_bot.catalog.exporter import export_catalog
    from elara_bot.db import connect, database_url

    async with connect(database_url(get_settings())) as conn:
        if output is None:
            return await export_catalog(conn, sys.stdout, fmt)
        with output.open("w", encoding="utf-8", newline="") as out:
            return await export_catalog(conn, out, fmt)


@catalog_app.command("export")
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
    fmt: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from the output suffix)"),
) -> None:
    """Write the catalog in the format ``catalog import`` reads."""
    count = asyncio.run(_export(output, _format(fmt, output)))
    if output is not None:
        typer.echo(f"exported {count} products to {output}")


def _minor(value: float | None) -> int | None:
    """A typed major-unit price in the store's currency's minor units (2 places for USD, 0 for JPY)."""
    return None if value is None else to_minor(value, get_settings().payments.currency)


async def _search(query: str, filters: SearchFilters, limit: int) -> SearchResult:
    from elara_bot.catalog.service import search_products
    from elara_bot.db import connect, database_url

    async with connect(database_url(get_settings())) as conn:
        async with conn.transaction():
            return await search_products(
                conn,
                _embedder(),
                query,
                filters,
                limit,
                settings=get_settings().search,
            )


def _money(minor: int, currency: str) -> str:
    return format_amount(minor, currency, symbol=False)


def search_command(
    query: str = typer.Argument(..., help="free text, e.g. 'waterproof boots under 200'"),
    limit: int = typer.Option(10, "--limit", min=1, max=100),
    min_price: float | None = typer.Option(None, "--min-price", min=0, help="major units"),
    max_price: float | None = typer.Option(None, "--max-price", min=0, help="major units"),
    category: str | None = typer.Option(None, "--category", help="category path prefix"),
    in_stock: bool = typer.Option(False, "--in-stock"),
    as_json: bool = typer.Option(False, "--json", help="print the SearchResult as JSON"),
) -> None:
    """Search the catalog the way the API does."""
    filters = SearchFilters(
        min_price_minor=_minor(min_price),
        max_price_minor=_minor(max_price),
        category=category,
        in_stock=in_stock,
    )
    result = asyncio.run(_search(query, filters, limit))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    table = Table(title=f"{len(result.hits)} results for {query!r}")
    for column in ("#", "id", "title", "category", "price", "matching variants", "score"):
        table.add_column(column)
    for rank, hit in enumerate(result.hits, start=1):
        prices = [v.price_minor for v in hit.matching_variants] or [hit.product.price_min_minor]
        table.add_row(
            str(rank),
            hit.product.id,
            hit.product.title,
            hit.product.category,
            _money(min(prices), hit.product.currency),
            str(len(hit.matching_variants)),
            f"{hit.score:.4f}",
        )
    Console().print(table)


async def _eval(
    catalog: Path, queries: Path, qrels: Path, modes: list[str], off_topic: Path | None = None
) -> list[dict[str, object]]:
    from elara_bot.catalog.importer import import_catalog
    from elara_bot.catalog.repository import vacuum_catalog
    from elara_bot.db import EmbeddedPostgres, connect, migrate
    from elara_bot.evaluation.retrieval import (
        Bm25Baseline,
        Mode,
        evaluate,
        evaluate_bm25,
        evaluate_off_topic,
        open_catalog,
        read_qrels,
        read_queries,
    )
    from elara_bot.evaluation.vectors import CachedEmbedder

    model = get_settings().embedding.model_path or "packaged all-MiniLM-L6-v2"
    embedder = CachedEmbedder(_embedder(), model)
    query_list, judged = read_queries(queries), read_qrels(qrels)
    rows = open_catalog(catalog)
    reports: list[dict[str, object]] = []
    if "bm25" in modes:
        reports.append(evaluate_bm25(Bm25Baseline(rows), query_list, judged).model_dump())
    with tempfile.TemporaryDirectory(prefix="elara-eval-") as tmp:
        plain = Path(tmp) / "catalog.jsonl"
        plain.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        server = EmbeddedPostgres(Path(tmp) / "pgdata", delete_on_exit=True)
        try:
            url = server.url("postgres")
            await migrate(url)
            async with connect(url) as conn:
                async with conn.transaction():
                    await import_catalog(conn, embedder, plain, progress=True)
                embedder.save()
                await vacuum_catalog(conn)
                for mode in (m for m in modes if m != "bm25"):
                    report = await evaluate(
                        conn,
                        embedder,
                        query_list,
                        judged,
                        cast(Mode, mode),
                        settings=get_settings().search,
                        progress=True,
                    )
                    reports.append(report.model_dump())
                    if off_topic is not None:
                        unsold = await evaluate_off_topic(
                            conn,
                            embedder,
                            read_queries(off_topic),
                            cast(Mode, mode),
                            settings=get_settings().search,
                        )
                        reports[-1].update(unsold.model_dump(include={"rejection_rate", "leaked"}))
                await conn.rollback()
        finally:
            server.stop()
    return reports


def eval_retrieval_command(
    catalog: Annotated[Path, typer.Option("--catalog", exists=True, dir_okay=False)],
    queries: Annotated[Path, typer.Option("--queries", exists=True, dir_okay=False)],
    qrels: Annotated[Path, typer.Option("--qrels", exists=True, dir_okay=False)],
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, vector, text, bm25 or all (side by side)"),
    as_json: bool = typer.Option(False, "--json"),
    off_topic: Annotated[
        Path | None,
        typer.Option(
            "--off-topic",
            exists=True,
            dir_okay=False,
            help="queries (JSONL) for things the catalog does not sell: prints the share that return nothing",
        ),
    ] = None,
) -> None:
    """Load CATALOG (JSON Lines, or .jsonl.gz) into a throw-away database and score the queries: nDCG@10,
    MRR@10, Recall@10 and @100, latency, nDCG@10 per query kind (and with --off-topic, the relevance floor's
    rejection rate). ``bm25`` is a plain BM25 baseline over the same catalog."""
    if mode not in (*EVAL_MODES, "all"):
        raise typer.BadParameter("mode must be hybrid, vector, text, bm25 or all")
    modes = list(EVAL_MODES) if mode == "all" else [mode]
    reports = asyncio.run(_eval(catalog, queries, qrels, modes, off_topic))
    if as_json:
        typer.echo(json.dumps(reports, indent=2))
        return
    table = Table(title="retrieval evaluation")
    columns = ["mode", "queries", "nDCG@10", "MRR@10", "Recall@10", "Recall@100", "p50 ms", "p95 ms"]
    for column in columns + (["off-topic rejected"] if off_topic else []):
        table.add_column(column)
    for r in reports:
        table.add_row(
            str(r["mode"]),
            str(r["queries"]),
            f"{r['ndcg_at_10']:.3f}",
            f"{r['mrr_at_10']:.3f}",
            f"{r['recall_at_10']:.3f}",
            f"{r['recall_at_100']:.3f}",
            f"{r['latency_p50_ms']:.1f}",
            f"{r['latency_p95_ms']:.1f}",
            *([f"{r['rejection_rate']:.3f}" if "rejection_rate" in r else "-"] if off_topic else []),
        )
    Console().print(table)
    _print_kinds(reports)


def _print_kinds(reports: list[dict[str, object]]) -> None:
    """nDCG@10 per query kind, one column per mode (when the queries carry kinds)."""
    by_mode = {str(r["mode"]): cast(dict[str, float], r.get("ndcg_by_kind") or {}) for r in reports}
    kinds = sorted({kind for scores in by_mode.values() for kind in scores})
    if not kinds:
        return
    table = Table(title="nDCG@10 by query kind")
    table.add_column("kind")
    for mode in by_mode:
        table.add_column(mode)
    for kind in kinds:
        table.add_row(kind, *(f"{scores.get(kind, 0.0):.3f}" for scores in by_mode.values()))
    Console().print(table)


def _eval_group(app: typer.Typer) -> typer.Typer:
    """The shared ``eval`` group: reuse it when another module registered it first."""
    for group in app.registered_groups:
        if group.name == "eval" and group.typer_instance is not None:
            return group.typer_instance
    eval_app = typer.Typer(help="Offline evaluations.", no_args_is_help=True)
    app.add_typer(eval_app, name="eval")
    return eval_app


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.command("search")(search_command)
    _eval_group(app).command("retrieval")(eval_retrieval_command)
