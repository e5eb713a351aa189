"""Import: good rows, bad rows with line numbers, idempotent re-import, re-embedding only on change."""

from __future__ import annotations

import io
import json
from pathlib import Path

from elara_bot.catalog.exporter import export_catalog
from elara_bot.catalog.importer import import_catalog
from elara_bot.catalog.service import get_product, get_variant, similar_products
from elara_bot.db import Conn
from retrieval.embedding import Embedder


def _product(pid: str, title: str = "Trail Socks", price: int = 1299) -> dict[str, object]:
    return {
        "id": pid,
        "title": title,
        "description": "merino socks for hiking",
        "category": "Outdoor > Apparel",
        "variants": [{"sku": f"{pid}-m", "options": {"size": "M"}, "price_minor": price, "stock": 3}],
    }


def _write(tmp_path: Path, lines: list[str], name: str = "cat.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_good_and_bad_rows(conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
    bad_price = _product("x2")
    bad_price["variants"] = [{"sku": "x2-m", "price_minor": -5}]
    path = _write(
        tmp_path,
        [
            json.dumps(_product("x1")),
            "{not json",
            json.dumps(bad_price),
            json.dumps({"id": "x3", "title": ""}),
            json.dumps(_product("x4")),
        ],
    )
    report = await import_catalog(conn, embedder, path, progress=False)
    assert (report.loaded, report.embedded) == (2, 2)
    assert [e.line for e in report.errors] == [2, 3, 4]
    assert "invalid JSON" in report.errors[0].reason
    assert "price_minor" in report.errors[1].reason
    assert "title" in report.errors[2].reason
    assert (await get_product(conn, "x1")).price_min_minor == 1299
    assert (await get_variant(conn, "x4-m")).stock == 3


async def test_reimport_is_idempotent_and_reembeds_only_changes(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    path = _write(tmp_path, [json.dumps(_product("y1")), json.dumps(_product("y2"))])
    first = await import_catalog(conn, embedder, path, progress=False)
    again = await import_catalog(conn, embedder, path, progress=False)
    assert (first.loaded, first.embedded) == (2, 2)
    assert (again.loaded, again.embedded) == (2, 0)
    cur = await conn.execute("SELECT count(*) AS n FROM variants WHERE product_id IN ('y1', 'y2')")
    assert (await cur.fetchone()) == {"n": 2}
    # A price change does not touch the embedded text; a title change does.
    changed = _write(
        tmp_path, [json.dumps(_product("y1", price=999)), json.dumps(_product("y2", "Wool Socks"))]
    )
    third = await import_catalog(conn, embedder, changed, progress=False)
    assert (third.loaded, third.embedded) == (2, 1)
    assert (await get_product(conn, "y1")).price_min_minor == 999
    assert (await get_product(conn, "y2")).title == "Wool Socks"


async def _row_versions(conn: Conn, table: str, ids: list[str]) -> dict[str, str]:
    """Where each row lives (its ctid): a row that is written again moves."""
    key = "id" if table == "products" else "product_id"
    cur = await conn.execute(
        f"SELECT {key} AS id, string_agg(ctid::text, ',' ORDER BY ctid) AS at FROM {table} "
        f"WHERE {key} = ANY(%s) GROUP BY {key}",
        [ids],
    )
    return {r["id"]: r["at"] for r in await cur.fetchall()}


async def test_each_product_is_written_once_and_unchanged_rows_not_again(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    ids = ["w1", "w2", "w3"]
    path = _write(tmp_path, [json.dumps(_product(pid)) for pid in ids])
    await import_catalog(conn, embedder, path, progress=False)
    cur = await conn.execute(
        "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'products'"
    )  # this transaction's own writes: three inserts, no update
    assert (await cur.fetchone()) == {"n_tup_upd": 0}
    products, variants = (
        await _row_versions(conn, "products", ids),
        await _row_versions(conn, "variants", ids),
    )

    await import_catalog(conn, embedder, path, progress=False)
    assert await _row_versions(conn, "products", ids) == products
    assert await _row_versions(conn, "variants", ids) == variants

    changed = [_product("w1", "Wool Socks"), _product("w2", price=999), _product("w3")]
    await import_catalog(conn, embedder, _write(tmp_path, [json.dumps(p) for p in changed]), progress=False)
    after = await _row_versions(conn, "products", ids), await _row_versions(conn, "variants", ids)
    assert [after[0][pid] == products[pid] for pid in ids] == [False, True, True]
    assert [after[1][pid] == variants[pid] for pid in ids] == [True, False, True]


async def test_product_row_carries_its_variants_terms_and_count_before_commit(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    product = _product("v1")
    product["variants"] = [
        {"sku": "v1-red", "options": {"frame color": "Red", "size": "M"}, "price_minor": 100, "stock": 1},
        {"sku": "v1-blue", "options": {"frame color": "Blue"}, "price_minor": 100, "stock": 0},
    ]
    await import_catalog(conn, embedder, _write(tmp_path, [json.dumps(product)]), progress=False)
    # no commit yet, so the deferred trigger has not run: the import itself wrote these
    cur = await conn.execute("SELECT option_terms, active_variants FROM products WHERE id = 'v1'")
    assert await cur.fetchone() == {
        "option_terms": sorted(["color=blue", "color=red", "frame color=blue", "frame color=red", "size=m"]),
        "active_variants": 2,
    }
    await conn.execute("UPDATE variants SET active = false WHERE sku = 'v1-red'")
    await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit would run
    cur = await conn.execute("SELECT option_terms, active_variants FROM products WHERE id = 'v1'")
    assert await cur.fetchone() == {
        "option_terms": ["color=blue", "frame color=blue"],
        "active_variants": 1,
    }


async def test_csv_import_and_export_round_trip(conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(
        "id,title,description,brand,category,attributes,image_url,currency,sku,options,price_minor,stock\n"
        'z1,Camp Mug,enamel mug,,Outdoor > Kitchen,{},,USD,z1-blue,"{""color"": ""blue""}",899,5\n'
        'z1,Camp Mug,enamel mug,,Outdoor > Kitchen,{},,USD,z1-red,"{""color"": ""red""}",899,0\n'
        "z2,Broken,,,,{},,USD,z2-a,{},notanumber,1\n"
    )
    report = await import_catalog(conn, embedder, path, progress=False)
    assert report.loaded == 1
    assert [e.line for e in report.errors] == [4]
    mug = await get_product(conn, "z1")
    assert {v.sku: v.in_stock for v in mug.variants} == {"z1-blue": True, "z1-red": False}
    out = io.StringIO()
    count = await export_catalog(conn, out, "csv")
    assert count >= 51
    exported = tmp_path / "out.csv"
    exported.write_text(out.getvalue())
    again = await import_catalog(conn, embedder, exported, progress=False)
    assert again.errors == []
    assert (again.loaded, again.embedded) == (count, 0)


async def test_similar_products(conn: Conn) -> None:
    cur = await conn.execute("SELECT id FROM products WHERE title = 'Espresso Machine'")
    row = await cur.fetchone()
    assert row is not None
    titles = [p.title for p in await similar_products(conn, row["id"], limit=3)]
    assert "Coffee Maker" in titles
    assert "Espresso Machine" not in titles
