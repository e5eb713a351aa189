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
text changed (content hash) are re-encoded, in batches.
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
from retrieval.indexing import content_hash, embedding_text, store_embeddings

Format = Literal["jsonl", "csv"]
BATCH = 256
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
class _Stale:
    """A batch's products whose text changed (or is new): their ids, texts and content hashes."""

    ids: list[str]
    texts: list[str]
    hashes: list[str]


async def _prepare(conn: Conn, batch: list[ProductIn], report: ImportReport) -> _Stale:
    """Upsert the batch; return the products whose embedding text changed."""
    pairs = [(p, option_text(p)) for p in batch]
    await repo.upsert_products(conn, pairs)
    texts = {p.id: embedding_text(p.title, p.category, text, p.description) for p, text in pairs}
    digests = {pid: content_hash(text) for pid, text in texts.items()}
    hashes = await repo.existing_hashes(conn, list(texts))
    ids = [pid for pid in texts if hashes.get(pid) != digests[pid]]
    report.loaded += len(batch)
    report.embedded += len(ids)
    return _Stale(ids, [texts[pid] for pid in ids], [digests[pid] for pid in ids])


async def _encode(embedder: Embedder, stale: _Stale) -> tuple[_Stale, list[Any]]:
    return stale, list(await asyncio.to_thread(embedder.embed_documents, stale.texts))


async def _store(conn: Conn, stale: _Stale, vectors: list[Any]) -> None:
    rows = zip(stale.ids, stale.hashes, vectors, strict=True)
    await store_embeddings(conn, [(pid, digest, vec) for pid, digest, vec in rows])


class _Pipeline:
    """Encodes one batch on a worker thread while the database takes the next batch's rows and the
    previous batch's vectors, so an import runs at the model's encode rate."""

    def __init__(self, conn: Conn, embedder: Embedder, report: ImportReport) -> None:
        self.conn, self.embedder, self.report = conn, embedder, report
        self.pending: asyncio.Task[tuple[_Stale, list[Any]]] | None = None

    async def add(self, batch: list[ProductIn]) -> None:
        stale = await _prepare(self.conn, batch, self.report)
        await self.finish()
        self.pending = asyncio.create_task(_encode(self.embedder, stale))

    async def finish(self) -> None:
        if self.pending is not None:
            (stale, vectors), self.pending = await self.pending, None
            await _store(self.conn, stale, vectors)


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
