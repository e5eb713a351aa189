"""``elara eval nlu``: the understanding's scores on the corpus's dev split."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import cast

import typer
from rich.console import Console
from rich.table import Table

from elara_bot.config import get_settings


def _sweep_rows(nlu: object, thresholds: list[float]) -> list[tuple[float, float, float]]:
    """(threshold, accuracy, out-of-scope recall) per threshold: how the threshold was calibrated."""
    from elara_bot.nlu.corpus import load
    from elara_bot.nlu.evaluate import evaluate
    from elara_bot.nlu.understand import Nlu

    model = cast(Nlu, nlu)
    rows = []
    kept = model.threshold
    for threshold in thresholds:
        model.threshold = threshold
        report = evaluate(model, load("dev"))
        rows.append((threshold, report.accuracy, report.oos_recall))
    model.threshold = kept
    return rows


def eval_nlu_command(
    classifier: str = typer.Option("logreg", "--classifier", help="logreg or knn"),
    errors: int = typer.Option(0, "--errors", help="print up to N misclassified dev sentences"),
    sweep: bool = typer.Option(False, "--sweep", help="accuracy per out-of-scope threshold"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Train on the train split and score the dev split: per-intent precision, recall and F1, accuracy,
    out-of-scope recall, slot precision/recall/F1."""
    from elara_bot.app import build_embedder
    from elara_bot.nlu.classifier import Kind
    from elara_bot.nlu.corpus import load
    from elara_bot.nlu.evaluate import evaluate
    from elara_bot.nlu.understand import Nlu

    if classifier not in ("logreg", "knn"):
        raise typer.BadParameter("classifier must be logreg or knn")
    settings = get_settings()
    started = time.perf_counter()
    embedder = build_embedder(settings)
    loaded = time.perf_counter() - started
    nlu = Nlu.train(embedder, kind=cast(Kind, classifier), cache_dir=settings.data_dir / "nlu")
    dev = load("dev")
    report = evaluate(nlu, dev)
    if as_json:
        typer.echo(json.dumps({**asdict(report), "startup_s": nlu.startup_s}, indent=2))
        return
    table = Table(title=f"intents on dev ({report.examples} sentences, classifier {report.classifier})")
    for column in ("intent", "support", "precision", "recall", "F1"):
        table.add_column(column)
    for s in report.intents:
        table.add_row(s.intent, str(s.support), f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
    console = Console()
    console.print(table)
    console.print(
        f"intent accuracy {report.accuracy:.3f}   out-of-scope recall {report.oos_recall:.3f}   "
        f"(threshold {report.threshold:.2f})\n"
        f"slots: precision {report.slot_precision:.3f}  recall {report.slot_recall:.3f}  "
        f"F1 {report.slot_f1:.3f}\n"
        f"start-up: embedder {loaded:.1f} s, classifier {nlu.startup_s:.1f} s"
    )
    for text, gold, got in report.errors[:errors]:
        console.print(f"  {gold:>18} -> {got:<18} {text}", markup=False)
    if sweep:
        grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] if classifier == "logreg" else [0.3, 0.4, 0.5, 0.6, 0.7]
        for threshold, accuracy, oos in _sweep_rows(nlu, grid):
            console.print(
                f"  threshold {threshold:.2f}: accuracy {accuracy:.3f}, out-of-scope recall {oos:.3f}"
            )


def register(app: typer.Typer) -> None:
    from elara_bot.cli.catalog import _eval_group

    _eval_group(app).command("nlu")(eval_nlu_command)
