"""Money as the house keeps it: an integer amount in the currency's minor unit plus an ISO 4217 code.

The one place that knows how many minor units a major unit has (ISO 4217's exponent: 0 for JPY, 2 for
USD, 3 for KWD) and so the one place that turns an amount into text or a typed major-unit amount into
minor units. Every formatter of the service, the CLI and the connectors goes through here; only the
widget (JavaScript) keeps its own, through ``Intl.NumberFormat``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 currencies whose exponent is not 2 (every other code has two decimals).
_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split())
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_FOUR_DECIMAL = frozenset("CLF UYW".split())
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}  # only unambiguous ones; others print their code


def exponent(currency: str) -> int:
    """How many decimal places the currency's major unit has (ISO 4217)."""
    code = currency.strip().upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    if code in _FOUR_DECIMAL:
        return 4
    return 2


def to_major(minor: int, currency: str) -> Decimal:
    """The amount in major units, exactly (``1999, "USD"`` → ``19.99``)."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_amount(minor: int, currency: str, *, symbol: bool = True, grouping: bool = True) -> str:
    """``$1,234.50``, ``€9.99``; ``1,500 JPY``, ``1.250 KWD`` for a currency without a symbol here.

    ``symbol=False`` always writes the code after the amount; ``grouping=False`` leaves out the thousands
    separators.
    """
    code = currency.strip().upper()
    places = exponent(code)
    amount = f"{to_major(minor, code):{',' if grouping else ''}.{places}f}"
    sign = SYMBOLS.get(code) if symbol else None
    if sign is None:
        return f"{amount} {code}"
    return f"-{sign}{amount[1:]}" if amount.startswith("-") else f"{sign}{amount}"


def to_minor(amount: str | int | float | Decimal, currency: str) -> int:
    """A major-unit amount (``"49.99"``, ``1500``) in the currency's minor units, rounded half up to
    the nearest minor unit (``"49.99", "JPY"`` → ``50``). Raises ``ValueError`` on a non-number."""
    try:
        major = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{amount!r} is not an amount") from exc
    if not major.is_finite():
        raise ValueError(f"{amount!r} is not an amount")
    return int(major.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
