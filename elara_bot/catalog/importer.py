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
the good ones still load: unreadable lines (not UTF-8, not JSON, NaN, too deep), text PostgreSQL cannot
store (NUL), numbers outside the columns' ranges, unknown currencies, image URLs that are not http(s) or
relative, and anything else the database refuses for one product (each batch is written in a savepoint;
when it fails, its products are written one by one to find the culprit). Products are upserted by id and
variants by SKU; a SKU that belongs to another product (in the database or earlier in the file) is
refused unless ``allow_sku_move``. Only products whose embedded text changed (content hash) are
re-encoded, in batches. Each product is written once, with its embedding, and a row that would not
change is not written at all.

CSV cells that a spreadsheet would run as a formula are written by the export with a leading ``'``
(:func:`escape_cell`); the import removes exactly that quote (:func:`unescape_cell`), so export → import
gives back the same text.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from psycopg import errors as pg_errors
from pydantic import ValidationError
from tqdm import tqdm

from elara_bot.catalog import repository as repo
from elara_bot.catalog.cache import SearchCaches
from elara_bot.catalog.schemas import ImportReport, ProductIn, RowError
from elara_bot.catalog.validation import storable_text
from elara_bot.db import Conn
from retrieval.embedding import Embedder, embed_documents_async
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


NUMERIC_COLUMNS = ("price_minor", "stock")
# Cells a spreadsheet reads as a formula (OWASP: = + - @ tab CR; also LF and the full-width forms).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ESCAPED_START = (*FORMULA_START, "'")
# Errors of one product's data that PostgreSQL raises (value out of range, check violated, index row too
# large): the product is reported; anything else (connection lost) still ends the import.
ROW_FAULTS = (pg_errors.DataError, pg_errors.IntegrityError, pg_errors.ProgramLimitExceeded)


def escape_cell(text: str) -> str:
    """A text cell for a CSV export: one that a spreadsheet would run as a formula gets a leading quote
    (which spreadsheets show as text), and so does one that already starts with a quote, so that
    :func:`unescape_cell` can tell ours from the data's."""
    return "'" + text if text.startswith(_ESCAPED_START) else text


def unescape_cell(text: str) -> str:
    """Undo :func:`escape_cell`: a quote followed by a formula character or another quote is ours."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_ESCAPED_START) else text


def detect_format(path: Path) -> Format:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def _shown(part: object) -> str:
    text = str(part)
    return text if text.isprintable() else repr(text)


def _reason(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(_shown(x) for x in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
    return str(exc)


def _parse_json(text: str) -> tuple[Any, str | None]:
    """The value, or None and why not (bad syntax, NaN, numbers too long, nesting too deep)."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    except ValueError as exc:  # an integer of more than 4,300 digits
        return None, f"invalid JSON: {exc}"


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"not UTF-8 text (byte {exc.start + 1} of the line)"
                continue
            if not line.strip():
                continue
            data, error = _parse_json(line)
            if error is not None:
                yield number, None, error
            elif not isinstance(data, dict):
                yield number, None, "a line must be a JSON object"
            else:
                yield number, data, None


def _csv_records(fh: Any) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """Each record with the line it starts on; an unreadable one (a cell over the csv module's size
    limit, bytes that are not UTF-8) is reported and reading goes on."""
    reader = csv.reader(fh)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"unreadable CSV: {exc}"
            continue
        try:
            for cell in cells:
                storable_text(cell)
        except ValueError as exc:
            yield start, None, f"bad CSV row: {exc}"
            continue
        if not cells:
            continue
        if header is None:
            header = cells
            continue
        yield start, {k: unescape_cell(v) for k, v in zip(header, cells, strict=False)}, None


def _csv_variant(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    options, error = _parse_json(row.get("options") or "{}")
    if error is not None:
        return None, f"options: {error}"
    return {
        "sku": row.get("sku") or "",
        "options": options,
        "price_minor": row.get("price_minor"),
        "stock": row.get("stock") or 0,
    }, None


def _csv_product(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    attributes, error = _parse_json(row.get("attributes") or "{}")
    if error is not None:
        return None, f"attributes: {error}"
    return {
        "id": row.get("id") or "",
        "title": row.get("title") or "",
        "description": row.get("description") or "",
        "brand": row.get("brand") or None,
        "category": row.get("category") or "",
        "attributes": attributes,
        "image_url": row.get("image_url") or None,
        "currency": row.get("currency") or "USD",
        "variants": [],
    }, None


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Group variant rows into products; the line number is the product's first row."""
    products: dict[str, tuple[int, dict[str, Any]]] = {}
    bad: list[tuple[int, str]] = []
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        for number, row, error in _csv_records(fh):
            if row is None:
                bad.append((number, error or "unreadable row"))
                continue
            variant, error = _csv_variant(row)
            pid = row.get("id") or ""
            product = products[pid][1] if pid in products else None
            if variant is not None and product is None:
                product, error = _csv_product(row)
                if product is not None:
                    products[pid] = (number, product)
            if variant is None or product is None:
                bad.append((number, error or "unreadable row"))
                continue
            product["variants"].append(variant)
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
    """A batch of products with their line numbers, option texts and content hashes, and the texts to
    encode: those of the products whose embedded text changed (or that are new), at positions ``stale``."""

    lines: list[int]
    products: list[ProductIn]
    option_texts: list[str]
    hashes: list[str]
    stale: list[int]
    texts: list[str]


async def _prepare(conn: Conn, lines: list[int], batch: list[ProductIn], report: ImportReport) -> _Batch:
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
    return _Batch(lines, batch, options, digests, stale, [texts[i] for i in stale])


async def _encode(embedder: Embedder, batch: _Batch) -> list[Any]:
    return list(await embed_documents_async(embedder, batch.texts))


def _refused(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    message = getattr(diag, "message_primary", None) or str(exc)
    return f"refused by the database: {message}"


async def _write(conn: Conn, batch: _Batch, vectors: list[Any], report: ImportReport) -> None:
    """Write each product once, with its new embedding if it has one. The batch goes in a savepoint; if
    the database refuses it, each product is written in its own, and the ones refused are reported."""
    new = dict(zip(batch.stale, vectors, strict=True))
    parts = zip(batch.products, batch.option_texts, batch.hashes, strict=True)
    rows = [repo.ProductRow(p, text, digest, new.get(i)) for i, (p, text, digest) in enumerate(parts)]
    try:
        async with conn.transaction():
            await repo.upsert_products(conn, rows)
        return
    except ROW_FAULTS:
        pass
    for line, row in zip(batch.lines, rows, strict=True):
        try:
            async with conn.transaction():
                await repo.upsert_products(conn, [row])
        except ROW_FAULTS as exc:
            report.loaded -= 1
            report.embedded -= row.embedding is not None
            report.errors.append(RowError(line=line, reason=_refused(exc)))


@dataclass
class _Claims:
    """Which product each SKU of the file goes to, so a SKU that belongs to another product (in the
    database, or earlier in this file) is refused unless moving is allowed."""

    allow_move: bool
    owners: dict[str, tuple[str, int]] = field(default_factory=dict)  # SKU -> (product id, line)

    async def check(
        self, conn: Conn, batch: list[tuple[int, ProductIn]], report: ImportReport
    ) -> list[tuple[int, ProductIn]]:
        stored = await repo.sku_owners(conn, [v.sku for _, p in batch for v in p.variants])
        accepted = []
        for line, product in batch:
            moves = [
                (v.sku, *owner)
                for v in product.variants
                if (owner := self._owner(v.sku, stored)) is not None and owner[0] != product.id
            ]
            if moves and not self.allow_move:
                report.errors.append(RowError(line=line, reason=_move_refused(*moves[0])))
                continue
            report.moved += len(moves)
            self.owners.update((v.sku, (product.id, line)) for v in product.variants)
            accepted.append((line, product))
        return accepted

    def _owner(self, sku: str, stored: dict[str, str]) -> tuple[str, str] | None:
        if sku in self.owners:
            pid, line = self.owners[sku]
            return pid, f" (line {line} of this file)"
        return (stored[sku], "") if sku in stored else None


def _move_refused(sku: str, owner: str, where: str) -> str:
    return (
        f"SKU {sku!r} belongs to product {owner!r}{where}; it is not moved to another product "
        "unless asked (--allow-sku-move)"
    )


class _Pipeline:
    """Encodes one batch on a worker thread while the database writes the batch before it, so an import
    runs near the model's encode rate."""

    def __init__(self, conn: Conn, embedder: Embedder, report: ImportReport, claims: _Claims) -> None:
        self.conn, self.embedder, self.report, self.claims = conn, embedder, report, claims
        self.pending: tuple[_Batch, asyncio.Task[list[Any]]] | None = None

    async def add(self, products: list[tuple[int, ProductIn]]) -> None:
        accepted = await self.claims.check(self.conn, products, self.report)
        if not accepted:
            return
        lines = [line for line, _ in accepted]
        batch = await _prepare(self.conn, lines, [p for _, p in accepted], self.report)
        previous = await self._encoded()
        self.pending = (batch, asyncio.create_task(_encode(self.embedder, batch)))
        if previous is not None:
            await _write(self.conn, *previous, self.report)

    async def finish(self) -> None:
        if (previous := await self._encoded()) is not None:
            await _write(self.conn, *previous, self.report)

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
    allow_sku_move: bool = False,
    caches: SearchCaches | None = None,
) -> ImportReport:
    """Load a catalog file; the caller commits. What ``caches`` (the importing runtime's) remember of
    searches is forgotten.
    ``allow_sku_move``: a SKU that belongs to another product moves to the product of this file (else
    that product is refused and reported)."""
    if caches is not None:
        caches.clear()
    rows = _csv_rows(path) if (fmt or detect_format(path)) == "csv" else _jsonl_rows(path)
    report = ImportReport()
    pipeline = _Pipeline(conn, embedder, report, _Claims(allow_sku_move))
    batch: list[tuple[int, ProductIn]] = []
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
        batch.append((number, product))
        if len(batch) >= batch_size:
            await pipeline.add(batch)
            batch = []
    if batch:
        await pipeline.add(batch)
    await pipeline.finish()
    report.errors.sort(key=lambda e: e.line)
    return report
