"""Catalog export to JSON Lines or CSV, in the columns :mod:`elara_bot.catalog.importer` reads.

CSV is opened in spreadsheets, so every text cell that a spreadsheet would run as a formula (starting
with ``= + - @``, tab or CR) gets a leading ``'`` (:func:`~elara_bot.catalog.importer.escape_cell`), and
the import strips exactly that quote. ``price_minor`` and ``stock`` are written as plain numbers: they are
never negative (the schema and the database refuse it), so a number never starts with ``-``."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from elara_bot.catalog import repository as repo
from elara_bot.catalog.importer import CSV_COLUMNS, NUMERIC_COLUMNS, Format, escape_cell
from elara_bot.db import Conn

_TEXT_COLUMNS = {"id", "title", "description", "brand", "category", "image_url"}


async def export_catalog(conn: Conn, out: TextIO, fmt: Format = "jsonl") -> int:
    """Write every product with its active variants; returns the number of products."""
    products = await repo.all_products_with_variants(conn)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for product in products:
        if writer is None:
            out.write(json.dumps(product.model_dump(), ensure_ascii=False) + "\n")
            continue
        for variant in product.variants:
            writer.writerow(_csv_row(product, variant))
    return len(products)


def _csv_row(product: repo.ExportedProduct, variant: repo.ExportedVariant) -> dict[str, Any]:
    row: dict[str, Any] = {
        **{k: v or "" for k, v in product.model_dump(include=_TEXT_COLUMNS).items()},
        "attributes": json.dumps(product.attributes),
        "currency": product.currency,
        "sku": variant.sku,
        "options": json.dumps(variant.options),
        "price_minor": variant.price_minor,
        "stock": variant.stock,
    }
    return {k: v if k in NUMERIC_COLUMNS else escape_cell(str(v)) for k, v in row.items()}
