"""Checks for catalog values that PostgreSQL, a browser or a spreadsheet would otherwise choke on.

Every check raises ``ValueError`` with a reason a merchant can act on; the import reports it with the
row's line number (pydantic wraps it) and goes on with the next row."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

# Prices are bigint in PostgreSQL, but a cart multiplies them by quantities and sums lines, and browsers
# read JSON numbers as doubles (exact up to 2**53): ten billion major units of a two-decimal currency.
MAX_PRICE_MINOR = 10**12
MAX_STOCK = 2**31 - 1  # variants.stock is a PostgreSQL integer
MAX_JSON_DEPTH = 32

# ISO 4217 codes of circulating currencies (funds codes, precious metals, bond units, XDR and the
# testing and "no currency" codes are left out: a price is never in them).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

IMAGE_SCHEMES = ("http", "https")
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters and backslashes


def storable_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and UTF-8 cannot encode a lone surrogate (which is also what an
    undecodable byte of the file becomes)."""
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate or bytes that are not UTF-8") from None
    return value


def storable_json(value: Any, depth: int = 0) -> Any:
    """A JSON value PostgreSQL's jsonb accepts: storable strings and keys, finite numbers, bounded depth."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number (NaN and Infinity are not JSON)")
    if isinstance(value, dict):
        for key, item in value.items():
            storable_text(str(key))
            storable_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            storable_json(item, depth + 1)
    return value


def currency_code(value: Any) -> Any:
    """``usd`` and `` USD `` are USD; anything that is not a circulating ISO 4217 code is refused."""
    if not isinstance(value, str):
        return value  # pydantic reports the type
    code = value.strip().upper()
    if code not in ISO_4217:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (such as USD, EUR, JPY)")
    return code


def image_url_problem(url: str) -> str | None:
    """Why ``url`` may not be rendered as an image source, or None: only absolute ``http(s)`` URLs and
    relative paths pass. Control characters and backslashes are refused outright, because browsers drop
    or rewrite them (``java\\tscript:``, ``\\\\host``) before they read the scheme."""
    if _UNSAFE_URL_CHARS.search(url):
        return "contains control characters or backslashes"
    if url != url.strip():
        return "has leading or trailing spaces"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme:
        if parts.scheme.lower() not in IMAGE_SCHEMES:
            return f"uses the scheme {parts.scheme!r}; only http(s) URLs and relative paths are allowed"
        if not parts.hostname:
            return "is an http(s) URL without a host"
    elif url.startswith("//"):
        return "is a protocol-relative URL; write https://host/..."
    return None


def image_url(value: str) -> str:
    problem = image_url_problem(value)
    if problem:
        raise ValueError(f"image URL {problem}")
    return value


def safe_image_url(value: str | None) -> str | None:
    """The URL when it may be rendered, else None (for rows stored before import checked URLs)."""
    return value if value and image_url_problem(value) is None else None
