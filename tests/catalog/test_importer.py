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
