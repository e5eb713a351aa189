"""The storefront against the real database: CSV import, the chat shopper's code and shipping choices, the
order's total from the quote, code uses, and the admin routes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from elara_bot.cart import service as cart
from elara_bot.checkout.service import place_order
from elara_bot.config import Settings
from elara_bot.customers.service import customer_for_identity
from elara_bot.db import Conn, connect
from elara_bot.errors import Conflict, InvalidInput
from elara_bot.payments.dev import DevPaymentProvider
from elara_bot.storefront import service as storefront
from elara_bot.storefront.importer import import_dir
from tests.commerce.apphelp import ADMIN_KEY, commerce_service, commerce_settings

SETTINGS = Settings(env="test", public_url="http://shop.test")

CSV = {
    "discounts.csv": (
        "code,title,kind,percent,amount_minor,currency,min_subtotal_minor,stackable,starts_at,ends_at,max_uses,active\n"
        "welcome10,Welcome 10%,percentage,10,,,,yes,,,,\n"
        "TAKE5,Five off,fixed,,500,USD,2000,true,2020-01-01T00:00:00Z,,1,\n"
        "HALF,Half price,percentage,50,,,,no,,,,\n"
        "BROKEN,Bad,percentage,,,,,,,,,\n"
    ),
    "promotions.csv": (
        "id,title,kind,min_subtotal_minor,currency,product_ids,countries,services,starts_at,ends_at,active\n"
        "free100,Free standard shipping over $100,free_shipping,10000,USD,,US,standard,,,\n"
        "mugs,Mugs ship free,free_shipping,,,p-mug,,,,,\n"
    ),
    "shipping_rates.csv": (
        "country,service,title,price_minor,currency,min_days,max_days,active\n"
        "US,standard,Standard (5-7 days),599,USD,5,7,\n"
        "us,express,Express (1-2 days),1999,USD,1,2,\n"
        "*,international,International,2999,USD,7,14,\n"
        "USA,standard,Bad country,1,USD,,,\n"
    ),
    "taxes.csv": "country,region,rate_percent,shipping_taxable\nUS,CA,7.25,no\nDE,,19,yes\n",
    "customers.csv": "email,first_name,last_name,phone\nada@example.com,Ada,Lovelace,+15550100\n",
    "addresses.csv": (
        "email,label,first_name,last_name,street_address,extended_address,address_locality,address_region,"
        "postal_code,address_country,phone,is_default\n"
        "ada@example.com,home,Ada,Lovelace,1 Main St,,Springfield,CA,90001,us,,yes\n"
        "ada@example.com,work,Ada,Lovelace,9 Mill Rd,Suite 2,Oakland,CA,94601,US,,\n"
        "nobody@example.com,home,N,B,1 Road,,Town,,1000,US,,\n"
    ),
}


def write_store(directory: Path) -> Path:
    for name, text in CSV.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


async def test_import_loads_every_file_and_reports_bad_rows_by_line(cconn: Conn, tmp_path: Path) -> None:
    reports = {r.file: r for r in await import_dir(cconn, write_store(tmp_path))}
    assert {name: r.loaded for name, r in reports.items()} == {
        "discounts.csv": 3,
        "promotions.csv": 2,
        "shipping_rates.csv": 3,
        "taxes.csv": 2,
        "customers.csv": 1,
        "addresses.csv": 2,
    }
    assert reports["discounts.csv"].errors[0].startswith("discounts.csv line 5:")
    assert "country" in reports["shipping_rates.csv"].errors[0]
    assert "nobody@example.com" in reports["addresses.csv"].errors[0]
    codes = {c.code: c for c in await storefront.list_discounts(cconn)}
    assert codes["WELCOME10"].percent_bp == 1_000
    assert codes["TAKE5"].max_uses == 1
    ada = await storefront.get_customer(cconn, "ADA@example.com")
    assert [a.label for a in ada.addresses] == ["home", "work"]
    assert ada.addresses[0].is_default
    assert (await import_dir(cconn, tmp_path))[0].loaded == 3  # a second import upserts


async def test_import_of_a_directory_without_storefront_files_is_refused(cconn: Conn, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no storefront files"):
        await import_dir(cconn, tmp_path)


async def _shopper(conn: Conn, items: dict[str, int]) -> object:
    me = await customer_for_identity(conn, "web", "storefront-shopper")
    for sku, quantity in items.items():
        await cart.add_item(conn, me.id, sku, quantity, max_quantity=20)
    return me.id


async def test_chat_choices_make_the_order_total(cconn: Conn, tmp_path: Path) -> None:
    await import_dir(cconn, write_store(tmp_path))
    me = await _shopper(cconn, {"LAMP-W": 2})  # 2 × 34.50 = 69.00
    with pytest.raises(InvalidInput, match="unknown discount code"):
        await storefront.apply_discount_code(cconn, me, "NOPE")  # type: ignore[arg-type]
    quote = await storefront.apply_discount_code(cconn, me, "welcome10")  # type: ignore[arg-type]
    assert quote.discount_minor == 690
    with pytest.raises(InvalidInput, match="choose where to ship"):
        await place_order(cconn, me, DevPaymentProvider(SETTINGS), SETTINGS)  # type: ignore[arg-type]
    quote = await storefront.choose_shipping(cconn, me, "US", region="CA")  # type: ignore[arg-type]
    assert [o.service for o in quote.shipping_options] == ["standard", "express"]
    with pytest.raises(InvalidInput, match="offered: standard, express"):
        await storefront.choose_shipping(cconn, me, "US", "international")  # type: ignore[arg-type]
    quote = await storefront.choose_shipping(cconn, me, "US", "express", "CA")  # type: ignore[arg-type]
    # 6900 − 690 = 6210; + 1999 shipping; CA tax 7.25 % of 6210 = 450.2 → 450
    assert (quote.shipping_minor, quote.tax_minor, quote.total_minor) == (1_999, 450, 6_210 + 1_999 + 450)
    order = await place_order(cconn, me, DevPaymentProvider(SETTINGS), SETTINGS)  # type: ignore[arg-type]
    assert order.total_minor == quote.total_minor
    cur = await cconn.execute("SELECT used FROM discount_codes WHERE code = 'WELCOME10'")
    assert (await cur.fetchone()) == {"used": 1}


async def test_free_shipping_promotions_and_a_code_with_one_use(cconn: Conn, tmp_path: Path) -> None:
    await import_dir(cconn, write_store(tmp_path))
    me = await _shopper(cconn, {"BOOT-10": 1})  # 129.99: over the $100 threshold
    quote = await storefront.choose_shipping(cconn, me, "US", "standard")  # type: ignore[arg-type]
    assert quote.shipping_minor == 0
    assert quote.shipping_options[0].promotion == "Free standard shipping over $100"
    await storefront.apply_discount_code(cconn, me, "TAKE5")  # type: ignore[arg-type]
    order = await place_order(cconn, me, DevPaymentProvider(SETTINGS), SETTINGS)  # type: ignore[arg-type]
    assert order.total_minor == 12_999 - 500
    again = await _shopper(cconn, {"MUG-1": 3})  # mugs ship free anywhere, any service
    quote = await storefront.choose_shipping(cconn, again, "FR", "international")  # type: ignore[arg-type]
    assert quote.shipping_minor == 0
    with pytest.raises(InvalidInput, match="used up"):
        await storefront.apply_discount_code(cconn, again, "TAKE5")  # type: ignore[arg-type]


async def test_stacking_through_the_chat_choices(cconn: Conn, tmp_path: Path) -> None:
    await import_dir(cconn, write_store(tmp_path))
    me = await _shopper(cconn, {"LAMP-W": 1})
    await storefront.apply_discount_code(cconn, me, "WELCOME10")  # type: ignore[arg-type]
    quote = await storefront.apply_discount_code(cconn, me, "HALF")  # type: ignore[arg-type]
    assert [d.code for d in quote.discounts] == ["HALF"]
    assert quote.rejected_codes[0].code == "WELCOME10"
    quote = await storefront.remove_discount_code(cconn, me, "HALF")  # type: ignore[arg-type]
    assert [d.code for d in quote.discounts] == ["WELCOME10"]


async def test_no_choices_on_an_empty_cart(cconn: Conn) -> None:
    me = await customer_for_identity(cconn, "web", "empty-cart")
    with pytest.raises(Conflict, match="empty"):
        await storefront.apply_discount_code(cconn, me.id, "X")


def test_admin_routes_edit_the_storefront(commerce_db: str) -> None:
    settings = commerce_settings(commerce_db)
    with (
        commerce_service(settings) as url,
        httpx.Client(base_url=url, headers={"X-Admin-Key": ADMIN_KEY}) as c,
    ):
        admin = "/api/v1/admin"
        saved = c.put(f"{admin}/discounts", json={"code": "spring", "kind": "percentage", "percent_bp": 1500})
        assert saved.status_code == 200, saved.text
        assert saved.json()["code"] == "SPRING"
        assert c.put(f"{admin}/discounts", json={"code": "X", "kind": "fixed"}).status_code == 422
        assert [d["code"] for d in c.get(f"{admin}/discounts").json()] == ["SPRING"]
        rate = {"country": "US", "service": "standard", "title": "Std", "price_minor": 500, "currency": "USD"}
        assert c.put(f"{admin}/shipping-rates", json=rate).status_code == 200
        assert c.put(f"{admin}/tax-rates", json={"country": "US", "rate_bp": 600}).status_code == 200
        promo = {"id": "p1", "title": "Free", "product_ids": ["p-mug"]}
        assert c.put(f"{admin}/promotions", json=promo).status_code == 200
        buyer = {
            "email": "bo@example.com",
            "first_name": "Bo",
            "addresses": [
                {
                    "street_address": "2 Elm",
                    "address_locality": "Town",
                    "postal_code": "1",
                    "address_country": "GB",
                }
            ],
        }
        found = c.put(f"{admin}/customers", json=buyer)
        assert found.status_code == 200, found.text
        assert found.json()["addresses"][0]["address_country"] == "GB"
        assert c.get(f"{admin}/customers/nobody@example.com").status_code == 404
        assert c.delete(f"{admin}/discounts/spring").status_code == 204
        assert c.delete(f"{admin}/discounts/spring").status_code == 404
        assert c.get(f"{admin}/discounts", headers={"X-Admin-Key": "wrong"}).status_code == 401


async def test_an_order_keeps_its_quote(commerce_db: str, tmp_path: Path) -> None:
    async with connect(commerce_db) as conn, conn.transaction(force_rollback=True):
        await import_dir(conn, write_store(tmp_path))
        me = await _shopper(conn, {"MUG-1": 2})
        await storefront.choose_shipping(conn, me, "DE", "international")  # type: ignore[arg-type]
        order = await place_order(conn, me, DevPaymentProvider(SETTINGS), SETTINGS)  # type: ignore[arg-type]
        cur = await conn.execute("SELECT id FROM orders WHERE number = %s", (order.number,))
        row = await cur.fetchone()
        assert row is not None
        kept = await storefront.order_quote(conn, row["id"])
        assert kept is not None
        assert kept.total_minor == order.total_minor == 1_798 + 342  # DE 19 % of 17.98; mugs ship free
