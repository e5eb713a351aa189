"""All catalog SQL that is not retrieval: product and variant reads, upserts, the search log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from elara_bot.catalog.schemas import ProductIn, ProductInfo, VariantPublic
from elara_bot.db import Conn

_PRODUCT_COLS = "id, title, description, brand, category, attributes, image_url"
# A VariantPublic (currency is char(3): rtrim reads it as text).
_VARIANT_COLS = (
    "sku, product_id, options, price_minor, rtrim(currency) AS currency, stock, stock > 0 AS in_stock"
)


# --- rows -----------------------------------------------------------------------------------------
class ExportedVariant(BaseModel):
    sku: str
    options: dict[str, str]
    price_minor: int
    stock: int


class ExportedProduct(ProductInfo):
    """A product with its active variants, as the export writes it."""

    currency: str  # of its variants ("USD" without any)
    variants: list[ExportedVariant]


async def fetch_products(conn: Conn, ids: Sequence[str]) -> dict[str, ProductInfo]:
    cur = await conn.execute(f"SELECT {_PRODUCT_COLS} FROM products WHERE id = ANY(%s)", [list(ids)])
    return {row["id"]: ProductInfo.model_validate(row) for row in await cur.fetchall()}


async def fetch_variants(conn: Conn, product_ids: Sequence[str]) -> list[VariantPublic]:
    cur = await conn.execute(
        f"SELECT {_VARIANT_COLS} FROM variants WHERE product_id = ANY(%s) AND active "
        "ORDER BY price_minor, sku",
        [list(product_ids)],
    )
    return [VariantPublic.model_validate(row) for row in await cur.fetchall()]


async def fetch_variant(conn: Conn, sku: str) -> VariantPublic | None:
    cur = await conn.execute(f"SELECT {_VARIANT_COLS} FROM variants WHERE sku = %s AND active", [sku])
    row = await cur.fetchone()
    return VariantPublic.model_validate(row) if row else None


async def list_product_ids(
    conn: Conn, category: str | None, limit: int, offset: int
) -> tuple[list[str], int]:
    prefix = (category or "").lower() + "%"
    cur = await conn.execute(
        "SELECT id, count(*) OVER () AS total FROM products WHERE lower(category) LIKE %s "
        "ORDER BY category, title, id LIMIT %s OFFSET %s",
        [prefix, limit, offset],
    )
    rows = await cur.fetchall()
    if rows:
        return [r["id"] for r in rows], int(rows[0]["total"])
    cur = await conn.execute("SELECT count(*) AS n FROM products WHERE lower(category) LIKE %s", [prefix])
    row = await cur.fetchone()
    return [], int(row["n"]) if row else 0


async def nearest_ids(conn: Conn, product_id: str, limit: int) -> list[str]:
    cur = await conn.execute(
        "SELECT p.id FROM products p, products me WHERE me.id = %s AND p.id <> me.id "
        "AND p.embedding IS NOT NULL AND me.embedding IS NOT NULL ORDER BY p.embedding <=> "
        "me.embedding LIMIT %s",
        [product_id, limit],
    )
    return [r["id"] for r in await cur.fetchall()]


async def best_seller_ids(conn: Conn, days: int, limit: int) -> list[str]:
    """Products by units in paid (or later) orders of the last ``days`` days, those with stock only."""
    cur = await conn.execute(
        "SELECT l.product_id AS id FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.status IN ('paid', 'fulfilled', 'delivered')"
        " AND o.created_at > now() - make_interval(days => %s)"
        " AND EXISTS (SELECT 1 FROM variants v"
        " WHERE v.product_id = l.product_id AND v.active AND v.stock > 0)"
        " GROUP BY l.product_id ORDER BY sum(l.quantity) DESC, l.product_id LIMIT %s",
        [days, limit],
    )
    return [r["id"] for r in await cur.fetchall()]


async def product_exists(conn: Conn, product_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM products WHERE id = %s", [product_id])
    return await cur.fetchone() is not None


async def existing_hashes(conn: Conn, ids: Sequence[str]) -> dict[str, str]:
    cur = await conn.execute(
        "SELECT id, content_hash FROM products WHERE id = ANY(%s) AND embedding IS NOT NULL", [list(ids)]
    )
    return {r["id"]: r["content_hash"] for r in await cur.fetchall()}


async def sku_owners(conn: Conn, skus: Sequence[str]) -> dict[str, str]:
    """The product each of these SKUs belongs to (active or not); unknown SKUs are left out."""
    cur = await conn.execute("SELECT sku, product_id FROM variants WHERE sku = ANY(%s)", [list(skus)])
    return {r["sku"]: r["product_id"] for r in await cur.fetchall()}


@dataclass
class ProductRow:
    """One product to write: its option text, the hash of its embedded text, and its new embedding when
    that text changed (None keeps the stored one)."""

    product: ProductIn
    option_text: str
    content_hash: str
    embedding: NDArray[np.float32] | None  # sent as vector; PostgreSQL casts it to halfvec (migration 0009)


def _listed(columns: Sequence[str], prefix: str = "") -> str:
    return ", ".join(prefix + c for c in columns)


def _assigned(columns: Sequence[str]) -> str:
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)


# One write per product: embedding, option terms and active-variant count go in with the row, so the
# deferred trigger of migration 0007 finds them current at commit. A row that would not change is not
# written (a re-import of an unchanged catalog leaves no dead rows behind); a new embedding always is.
_PRODUCT_COLUMNS = [
    "title", "description", "brand", "category", "attributes", "image_url", "option_text", "content_hash",
    "option_terms", "active_variants",
]  # fmt: skip
_UPSERT_PRODUCT = (
    f"INSERT INTO products (id, {_listed(_PRODUCT_COLUMNS)}, embedding)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, (SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}')"
    " FROM unnest(%s::jsonb[]) o, unnest(elara_option_terms(o)) t), %s, %s)"
    f" ON CONFLICT (id) DO UPDATE SET {_assigned(_PRODUCT_COLUMNS)},"
    " embedding = coalesce(EXCLUDED.embedding, products.embedding), updated_at = now()"
    f" WHERE EXCLUDED.embedding IS NOT NULL OR ({_listed(_PRODUCT_COLUMNS, 'products.')})"
    f" IS DISTINCT FROM ({_listed(_PRODUCT_COLUMNS, 'EXCLUDED.')})"
)
_VARIANT_COLUMNS = ["product_id", "options", "price_minor", "currency", "stock", "active"]
_UPSERT_VARIANT = (
    f"INSERT INTO variants (sku, {_listed(_VARIANT_COLUMNS)}) VALUES (%s, %s, %s, %s, %s, %s, true)"
    f" ON CONFLICT (sku) DO UPDATE SET {_assigned(_VARIANT_COLUMNS)}, updated_at = now()"
    f" WHERE ({_listed(_VARIANT_COLUMNS, 'variants.')})"
    f" IS DISTINCT FROM ({_listed(_VARIANT_COLUMNS, 'EXCLUDED.')})"
)


async def upsert_products(conn: Conn, rows: Sequence[ProductRow]) -> None:
    """Upsert products and their variants; variants no longer in a product's row are deactivated."""
    async with conn.cursor() as cur:
        await cur.executemany(
            _UPSERT_PRODUCT,
            [
                (
                    r.product.id,
                    r.product.title,
                    r.product.description,
                    r.product.brand,
                    r.product.category,
                    Jsonb(r.product.attributes),
                    r.product.image_url,
                    r.option_text,
                    r.content_hash,
                    [Jsonb(v.options) for v in r.product.variants],
                    len(r.product.variants),
                    r.embedding,
                )
                for r in rows
            ],
        )
        await cur.executemany(
            _UPSERT_VARIANT,
            [
                (v.sku, r.product.id, Jsonb(v.options), v.price_minor, r.product.currency, v.stock)
                for r in rows
                for v in r.product.variants
            ],
        )
        await cur.execute(
            "UPDATE variants SET active = false, updated_at = now() WHERE product_id = ANY(%s) "
            "AND NOT (sku = ANY(%s)) AND active",
            [[r.product.id for r in rows], [v.sku for r in rows for v in r.product.variants]],
        )


async def log_search(
    conn: Conn,
    query: str,
    filters: dict[str, Any],
    ids: list[str],
    in_stock: list[str],
    *,
    lazy: bool = False,
) -> None:
    """Record a search (merchant analytics). ``lazy``: the transaction holds nothing but this search, so
    its commit need not wait for the WAL to reach the disk (a crash may lose the last few log rows)."""
    if lazy:
        await conn.execute("SET LOCAL synchronous_commit = off")
    await conn.execute(
        "INSERT INTO search_log (query, filters, result_ids, in_stock_ids) VALUES (%s, %s, %s, %s)",
        [query, Jsonb(filters), ids, in_stock],
    )


async def all_products_with_variants(conn: Conn) -> list[ExportedProduct]:
    cur = await conn.execute(
        f"SELECT {_PRODUCT_COLS}, "
        "upper(btrim(coalesce((SELECT currency FROM variants v WHERE v.product_id = p.id LIMIT 1), 'USD')))"
        " AS currency, "
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('sku', v.sku, 'options', v.options, 'price_minor', "
        "v.price_minor, 'stock', v.stock) ORDER BY v.sku), '[]'::jsonb) FROM variants v WHERE "
        "v.product_id = p.id "
        "AND v.active) AS variants FROM products p ORDER BY id"
    )
    return [ExportedProduct.model_validate(row) for row in await cur.fetchall()]


async def titles_and_categories(conn: Conn, limit: int = 50_000) -> list[tuple[str, str]]:
    """(title, category) of the active products: the words shoppers name products by."""
    cur = await conn.execute(
        "SELECT title, coalesce(category, '') AS category FROM products WHERE active_variants > 0"
        " ORDER BY id LIMIT %s",
        (limit,),
    )
    return [(str(row["title"]), str(row["category"])) for row in await cur.fetchall()]


async def vacuum_catalog(conn: Conn) -> None:
    """VACUUM (ANALYZE) the catalog tables after a bulk load, outside any transaction.

    A bulk load leaves the full-text index's new entries in GIN's pending list, which every text search
    scans, and the rows it replaced as dead versions; the planner also needs fresh statistics. Until
    autovacuum came by, a search at 50,000 products took 66 ms at p50 instead of 15 ms."""
    autocommit = conn.autocommit
    await conn.set_autocommit(True)
    try:
        await conn.execute("VACUUM (ANALYZE) products, variants")
    finally:
        await conn.set_autocommit(autocommit)
