"""Catalog import from JSON Lines or CSV.

JSON Lines: one product per line::

    {"id": "p1", "title": "Hiking Boots", "description": "...", "brand": null,
     "category": "Outdoor > Footwear",
     "attributes": {}, "image_url": "/static/products/p1.svg", "currency": "USD",
     "variants": [{"sku": "s1", "options": {"size": "9"}, "price_minor": 18500, "stock": 4}]}

CSV: one row per variant, product columns repeated on each row (the first row of a product wins):
``id,title,description,brand,category,attributes,image_url,currency,sku,options,price_minor,stock``
where ``attributes`` and ``options`` are JSON objects.

Every product is validated with pydantic; a bad one is reported with its line number and reason while
the good ones still load. Products are upserted by id and variants by SKU; only products whose embedded
text changed (content hash) are re-encoded, in batches. Each product is written once, with its embedding,
and a row that would not change is not written at all.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from tqdm import tqdm

from elara_bot.catalog import repository as repo
from elara_bot.catalog.schemas import ImportReport, ProductIn, RowError
from elara_bot.catalog.service import forget_rankings
from elara_bot.db import Conn
from retrieval.embedding import Embedder
from retrieval.indexing import content_hash, embedding_text

Format = Literal["jsonl", "csv"]
BATCH = 512
CSV_COLUMNS = [
    "id",
    "title",
    "description",
    "brand",
    "category",
    "attributes",
    "image_url",
    "currency",
    "sku",
    "options",
    "price_minor",
    "stock",
]


def detect_format(path: Path) -> Format:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def _reason(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON: {exc.msg}"
                continue
            if not isinstance(data, dict):
                yield number, None, "a line must be a JSON object"
                continue
            yield number, data, None


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Group variant rows into products; the line number is the product's first row."""
    products: dict[str, tuple[int, dict[str, Any]]] = {}
    bad: list[tuple[int, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            number = reader.line_num
            try:
                variant = {
                    "sku": row.get("sku") or "",
                    "options": json.loads(row.get("options") or "{}"),
                    "price_minor": row.get("price_minor"),
                    "stock": row.get("stock") or 0,
                }
                attributes = json.loads(row.get("attributes") or "{}")
            except json.JSONDecodeError as exc:
                bad.append((number, f"invalid JSON in options/attributes: {exc.msg}"))
                continue
            pid = row.get("id") or ""
            if pid not in products:
                products[pid] = (
                    number,
                    {
                        "id": pid,
                        "title": row.get("title") or "",
                        "description": row.get("description") or "",
                        "brand": row.get("brand") or None,
                        "category": row.get("category") or "",
                        "attributes": attributes,
                        "image_url": row.get("image_url") or None,
                        "currency": row.get("currency") or "USD",
                        "variants": [],
                    },
                )
            products[pid][1]["variants"].append(variant)
    for number, reason in bad:
        yield number, None, reason
    for number, data in products.values():
        yield number, data, None


def option_text(product: ProductIn) -> str:
    seen: dict[str, list[str]] = {}
    for variant in product.variants:
        for key, value in variant.options.items():
            if value not in seen.setdefault(key, []):
                seen[key].append(value)
    # Sorted, so the text (and its hash) does not depend on the order of variants or of option keys.
    return "; ".join(f"{key}: {', '.join(sorted(seen[key], key=str.lower))}" for key in sorted(seen))


@dataclass
class _Batch:
    """A batch of products with their option texts and content hashes, and the texts to encode: those
    of the products whose embedded text changed (or that are new), at positions ``stale``."""

    products: list[ProductIn]
    option_texts: list[str]
    hashes: list[str]
    stale: list[int]
    texts: list[str]


async def _prepare(conn: Conn, batch: list[ProductIn], report: ImportReport) -> _Batch:
    """Which products of the batch need a new embedding (their text's hash is not the stored one)."""
    options = [option_text(p) for p in batch]
    texts = [
        embedding_text(p.title, p.category, o, p.description) for p, o in zip(batch, options, strict=True)
    ]
    digests = [content_hash(text) for text in texts]
    stored = await repo.existing_hashes(conn, [p.id for p in batch])
    stale = [i for i, p in enumerate(batch) if stored.get(p.id) != digests[i]]
    report.loaded += len(batch)
    report.embedded += len(stale)
    return _Batch(batch, options, digests, stale, [texts[i] for i in stale])


async def _encode(embedder: Embedder, batch: _Batch) -> list[Any]:
    return list(await asyncio.to_thread(embedder.embed_documents, batch.texts))


async def _write(conn: Conn, batch: _Batch, vectors: list[Any]) -> None:
    """Write each product once, with its new embedding if it has one."""
    new = dict(zip(batch.stale, vectors, strict=True))
    rows = zip(batch.products, batch.option_texts, batch.hashes, strict=True)
    await repo.upsert_products(
        conn, [repo.ProductRow(p, text, digest, new.get(i)) for i, (p, text, digest) in enumerate(rows)]
    )


class _Pipeline:
    """Encodes one batch on a worker thread while the database writes the batch before it, so an import
    runs near the model's encode rate."""

    def __init__(self, conn: Conn, embedder: Embedder, report: ImportReport) -> None:
        self.conn, self.embedder, self.report = conn, embedder, report
        self.pending: tuple[_Batch, asyncio.Task[list[Any]]] | None = None

    async def add(self, products: list[ProductIn]) -> None:
        batch = await _prepare(self.conn, products, self.report)
        previous = await self._encoded()
        self.pending = (batch, asyncio.create_task(_encode(self.embedder, batch)))
        if previous is not None:
            await _write(self.conn, *previous)

    async def finish(self) -> None:
        if (previous := await self._encoded()) is not None:
            await _write(self.conn, *previous)

    async def _encoded(self) -> tuple[_Batch, list[Any]] | None:
        """The batch being encoded, once its vectors are there (None when there is none)."""
        if self.pending is None:
            return None
        (batch, task), self.pending = self.pending, None
        return batch, await task


async def import_catalog(
    conn: Conn,
    embedder: Embedder,
    path: Path,
    *,
    fmt: Format | None = None,
    progress: bool = True,
    batch_size: int = BATCH,
) -> ImportReport:
    """Load a catalog file; the caller commits. Rankings remembered by this process are forgotten."""
    forget_rankings()
    rows = _csv_rows(path) if (fmt or detect_format(path)) == "csv" else _jsonl_rows(path)
    report = ImportReport()
    pipeline = _Pipeline(conn, embedder, report)
    batch: list[ProductIn] = []
    seen: set[str] = set()
    for number, data, error in tqdm(rows, desc="import", unit="product", disable=not progress):
        if data is None:
            report.errors.append(RowError(line=number, reason=error or "unreadable row"))
            continue
        try:
            product = ProductIn.model_validate(data)
        except ValidationError as exc:
            report.errors.append(RowError(line=number, reason=_reason(exc)))
            continue
        if product.id in seen:
            report.skipped += 1
            continue
        seen.add(product.id)
        batch.append(product)
        if len(batch) >= batch_size:
            await pipeline.add(batch)
            batch = []
    if batch:
        await pipeline.add(batch)
    await pipeline.finish()
    report.errors.sort(key=lambda e: e.line)
    return report
