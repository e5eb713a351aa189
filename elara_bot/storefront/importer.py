"""``elara store import DIR``: the storefront's CSV files, each optional, each row checked on its own.

discounts.csv       code, title, kind (percentage|fixed), percent, amount_minor, currency, min_subtotal_minor,
                    stackable, starts_at, ends_at, max_uses, active
promotions.csv      id, title, kind (free_shipping), min_subtotal_minor, currency, product_ids, countries,
                    services, starts_at, ends_at, active   (lists separated by spaces or ';')
shipping_rates.csv  country (ISO alpha-2 or *), service, title, price_minor, currency, min_days, max_days,
                    active
taxes.csv           country, region, rate_percent, shipping_taxable
customers.csv       email, first_name, last_name, phone
addresses.csv       email, label, first_name, last_name, street_address, extended_address, address_locality,
                    address_region, postal_code, address_country, phone, is_default

Amounts are integer minor units; booleans are true/false/yes/no/1/0; times are ISO 8601 with an offset.
"""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from elara_bot.db import Conn
from elara_bot.errors import ElaraError, InvalidInput
from elara_bot.storefront import repository as repo
from elara_bot.storefront import service
from elara_bot.storefront.schemas import (
    Address,
    CustomerRecord,
    DiscountCode,
    ImportReport,
    Promotion,
    ShippingRate,
    TaxRate,
)

FILES = (
    "discounts.csv",
    "promotions.csv",
    "shipping_rates.csv",
    "taxes.csv",
    "customers.csv",
    "addresses.csv",
)
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


def _bool(value: str | None, default: bool) -> bool:
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InvalidInput(f"{value!r} is not true or false")


def _list(value: str | None) -> list[str]:
    return [v for v in (value or "").replace(";", " ").replace(",", " ").split() if v]


def _blank_none(row: dict[str, str | None]) -> dict[str, Any]:
    return {k.strip(): (v.strip() if v and v.strip() else None) for k, v in row.items() if k}


def _int(value: str | None) -> int | None:
    """A whole number of minor units (or days, or uses); blank is none."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a whole number") from exc


def _ints(row: dict[str, Any], *names: str) -> dict[str, int | None]:
    return {name: _int(row.get(name)) for name in names}


def _percent_bp(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        bp = Decimal(value) * 100
    except InvalidOperation as exc:
        raise InvalidInput(f"{value!r} is not a percentage") from exc
    if bp != bp.to_integral_value():
        raise InvalidInput(f"{value!r}: at most two decimals in a percentage")
    return int(bp)


def discount(row: dict[str, Any]) -> DiscountCode:
    return DiscountCode.model_validate(
        {
            **{k: row.get(k) for k in ("code", "kind", "currency", "starts_at", "ends_at")},
            **_ints(row, "amount_minor", "max_uses"),
            "title": row.get("title") or "",
            "percent_bp": _percent_bp(row.get("percent")),
            "min_subtotal_minor": _int(row.get("min_subtotal_minor")) or 0,
            "stackable": _bool(row.get("stackable"), False),
            "active": _bool(row.get("active"), True),
        }
    )


def promotion(row: dict[str, Any]) -> Promotion:
    lists = {k: _list(row.get(k)) for k in ("product_ids", "countries", "services")}
    lists["countries"] = [c.upper() for c in lists["countries"]]
    return Promotion.model_validate(
        {
            **row,
            **lists,
            **_ints(row, "min_subtotal_minor"),
            "kind": row.get("kind") or "free_shipping",
            "active": _bool(row.get("active"), True),
        }
    )


def shipping_rate(row: dict[str, Any]) -> ShippingRate:
    return ShippingRate.model_validate(
        {
            **row,
            **_ints(row, "price_minor", "min_days", "max_days"),
            "country": (row.get("country") or "").upper(),
            "active": _bool(row.get("active"), True),
        }
    )


def tax_rate(row: dict[str, Any]) -> TaxRate:
    return TaxRate.model_validate(
        {
            "country": (row.get("country") or "").upper(),
            "region": (row.get("region") or "").upper(),
            "rate_bp": _percent_bp(row.get("rate_percent")),
            "shipping_taxable": _bool(row.get("shipping_taxable"), False),
        }
    )


def customer(row: dict[str, Any]) -> CustomerRecord:
    return CustomerRecord.model_validate(row)


def address(row: dict[str, Any]) -> tuple[str, Address]:
    if not row.get("email"):
        raise InvalidInput("an address needs the customer's email")
    fields = {**row, "address_country": (row.get("address_country") or "").upper()}
    fields["is_default"] = _bool(row.get("is_default"), False)
    fields["label"] = row.get("label") or "home"
    return str(row["email"]), Address.model_validate(fields)


async def _save_address(conn: Conn, item: tuple[str, Address]) -> None:
    email, found = item
    row = await repo.customer_by_email(conn, email)
    if row is None:
        raise InvalidInput(f"no customer with email {email} (list them in customers.csv)")
    await repo.upsert_address(conn, row["id"], found)


async def _save_customer(conn: Conn, record: CustomerRecord) -> None:
    await service.save_customer(conn, record)


Parser = Callable[[dict[str, Any]], Any]
Saver = Callable[[Conn, Any], Awaitable[Any]]
LOADERS: dict[str, tuple[Parser, Saver]] = {
    "discounts.csv": (discount, repo.upsert_discount),
    "promotions.csv": (promotion, repo.upsert_promotion),
    "shipping_rates.csv": (shipping_rate, repo.upsert_shipping_rate),
    "taxes.csv": (tax_rate, repo.upsert_tax_rate),
    "customers.csv": (customer, _save_customer),
    "addresses.csv": (address, _save_address),
}


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors())
    return exc.message if isinstance(exc, ElaraError) else str(exc)


async def import_file(conn: Conn, path: Path) -> ImportReport:
    """Load one file; a bad row is reported (with its line number) and skipped, the others are kept."""
    parse, save = LOADERS[path.name]
    report = ImportReport(file=path.name, loaded=0)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                item = parse(_blank_none(raw))
                async with conn.transaction():  # a savepoint: a refused row leaves nothing behind
                    await save(conn, item)
            except (ValidationError, ElaraError, ValueError) as exc:
                report.errors.append(f"{path.name} line {number}: {_problem(exc)}")
            else:
                report.loaded += 1
    return report


async def import_dir(conn: Conn, directory: Path) -> list[ImportReport]:
    """Every storefront file present in the directory, in dependency order (customers before addresses)."""
    found = [directory / name for name in FILES if (directory / name).is_file()]
    if not found:
        raise InvalidInput(f"no storefront files in {directory}: expected some of {', '.join(FILES)}")
    return [await import_file(conn, path) for path in found]
