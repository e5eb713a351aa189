"""Catalog export to JSON Lines or CSV, in the columns :mod:`elara_bot.catalog.importer` reads."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from elara_bot.catalog import repository as repo
from elara_bot.catalog.importer import CSV_COLUMNS, Format
from elara_bot.db import Conn


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "brand": row["brand"],
        "category": row["category"],
        "attributes": row["attributes"],
        "image_url": row["image_url"],
        "currency": (row["currency"] or "USD").strip(),
        "variants": row["variants"],
    }


async def export_catalog(conn: Conn, out: TextIO, fmt: Format = "jsonl") -> int:
    """Write every product with its active variants; returns the number of products."""
    rows = await repo.all_products_with_variants(conn)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows:
        record = _record(row)
        if writer is None:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        for variant in record["variants"]:
            writer.writerow(
                {
                    **{
                        k: record[k] or ""
                        for k in ("id", "title", "description", "brand", "category", "image_url")
                    },
                    "attributes": json.dumps(record["attributes"]),
                    "currency": record["currency"],
                    "sku": variant["sku"],
                    "options": json.dumps(variant["options"]),
                    "price_minor": variant["price_minor"],
                    "stock": variant["stock"],
                }
            )
    return len(rows)
