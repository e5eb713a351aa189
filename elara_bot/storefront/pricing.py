"""The pricing rules, as pure functions over rows already read from the database.

subtotal = Σ unit price × quantity (the catalog's prices); discounts come off the subtotal (percentages first,
then fixed amounts, never more than the subtotal); shipping is the chosen service's rate for the destination,
zero when a free-shipping promotion covers it; tax is the destination's rate on what is left (and on shipping
where it is taxable), zero where no rate is configured. With nothing configured the total is the subtotal.
"""

from __future__ import annotations

from datetime import datetime

from elara_bot.storefront.schemas import (
    AppliedDiscount,
    DiscountCode,
    PricedLine,
    Promotion,
    Quote,
    RejectedCode,
    ShippingOption,
    ShippingRate,
    TaxRate,
)
from elara_bot.storefront.schemas import Destination as Dest


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _in_window(starts: datetime | None, ends: datetime | None, now: datetime) -> bool:
    return (starts is None or starts <= now) and (ends is None or now < ends)


def code_problem(code: DiscountCode, currency: str, subtotal: int, now: datetime) -> RejectedCode | None:
    """Why a code cannot apply to this checkout, or None when it can."""
    if not code.active or not _in_window(code.starts_at, code.ends_at, now):
        return RejectedCode(code=code.code, reason="this code is not valid now", kind="expired")
    if code.max_uses is not None and code.used >= code.max_uses:
        return RejectedCode(code=code.code, reason="this code has been used up", kind="expired")
    if code.kind == "fixed" and code.currency != currency:
        reason = f"this code is for {code.currency} orders"
        return RejectedCode(code=code.code, reason=reason, kind="ineligible")
    if subtotal < code.min_subtotal_minor:
        reason = f"this code needs a subtotal of at least {code.min_subtotal_minor} minor units"
        return RejectedCode(code=code.code, reason=reason, kind="ineligible")
    return None


def _amount(code: DiscountCode, base: int) -> int:
    if code.kind == "percentage":
        assert code.percent_bp is not None
        return _half_up(base * code.percent_bp, 10_000)
    return min(int(code.amount_minor or 0), base)


def _allocate(amount: int, lines: list[PricedLine], remaining: dict[str, int]) -> dict[str, int]:
    """Split a discount over the lines in proportion to what is left of each (largest remainder)."""
    base = sum(remaining.values())
    if base <= 0 or amount <= 0:
        return {}
    shares = {line.sku: amount * remaining[line.sku] // base for line in lines}
    left = amount - sum(shares.values())
    by_remainder = sorted(lines, key=lambda ln: (-(amount * remaining[ln.sku] % base), ln.sku))
    for line in by_remainder[:left]:
        shares[line.sku] += 1
    return {sku: value for sku, value in shares.items() if value}


def _apply(codes: list[DiscountCode], lines: list[PricedLine]) -> list[AppliedDiscount]:
    remaining = {line.sku: line.unit_price_minor * line.quantity for line in lines}
    applied: list[AppliedDiscount] = []
    for code in sorted(codes, key=lambda c: c.kind != "percentage"):  # stable: percentages first
        amount = _amount(code, sum(remaining.values()))
        allocations = _allocate(amount, lines, remaining)
        for sku, value in allocations.items():
            remaining[sku] -= value
        if amount:
            title = code.title or code.code
            applied.append(
                AppliedDiscount(code=code.code, title=title, amount_minor=amount, allocations=allocations)
            )
    return applied


def choose_discounts(
    requested: list[str],
    known: dict[str, DiscountCode],
    lines: list[PricedLine],
    currency: str,
    now: datetime,
) -> tuple[list[AppliedDiscount], list[RejectedCode]]:
    """Stacking: every stackable code combines; a code that does not stack applies alone. When both kinds are
    asked for, the shopper gets whichever choice takes the most off, and the others are reported."""
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    rejected: list[RejectedCode] = []
    valid: list[DiscountCode] = []
    for raw in dict.fromkeys(c.strip().upper() for c in requested if c.strip()):
        code = known.get(raw)
        if code is None:
            rejected.append(RejectedCode(code=raw, reason="unknown discount code"))
        elif (problem := code_problem(code, currency, subtotal, now)) is not None:
            rejected.append(problem)
        else:
            valid.append(code)
    choices = [[c for c in valid if c.stackable]] + [[c] for c in valid if not c.stackable]
    best = max(choices, key=lambda group: sum(d.amount_minor for d in _apply(group, lines)))
    for code in valid:
        if code not in best:
            reason = "cannot be combined with the other codes"
            rejected.append(RejectedCode(code=code.code, reason=reason, kind="combination_disallowed"))
    return _apply(best, lines), rejected


def promotion_covers(
    promo: Promotion,
    lines: list[PricedLine],
    goods_minor: int,
    currency: str,
    dest: Dest,
    service: str,
    now: datetime,
) -> bool:
    if not promo.active or not _in_window(promo.starts_at, promo.ends_at, now):
        return False
    if promo.countries and dest.country not in promo.countries:
        return False
    if promo.services and service not in promo.services:
        return False
    if promo.min_subtotal_minor is not None and (
        promo.currency not in (None, currency) or goods_minor < promo.min_subtotal_minor
    ):
        return False
    return not promo.product_ids or any(line.product_id in promo.product_ids for line in lines)


def shipping_options(
    rates: list[ShippingRate],
    promotions: list[Promotion],
    lines: list[PricedLine],
    goods_minor: int,
    currency: str,
    dest: Dest,
    now: datetime,
) -> list[ShippingOption]:
    """The destination's services (its country's own rates, else the '*' rates), cheapest first."""
    usable = [r for r in rates if r.active and r.currency == currency]
    own = [r for r in usable if r.country == dest.country] or [r for r in usable if r.country == "*"]
    options = []
    for rate in own:
        free = next(
            (
                p
                for p in promotions
                if promotion_covers(p, lines, goods_minor, currency, dest, rate.service, now)
            ),
            None,
        )
        options.append(
            ShippingOption(
                service=rate.service,
                title=rate.title,
                price_minor=0 if free else rate.price_minor,
                list_price_minor=rate.price_minor,
                min_days=rate.min_days,
                max_days=rate.max_days,
                promotion=free.title if free else None,
            )
        )
    return sorted(options, key=lambda o: (o.price_minor, o.service))


def tax_for(rates: list[TaxRate], dest: Dest | None) -> TaxRate | None:
    if dest is None:
        return None
    region = (dest.region or "").strip().upper()
    exact = [r for r in rates if r.country == dest.country and r.region.upper() == region and region]
    country = [r for r in rates if r.country == dest.country and r.region == ""]
    return next(iter(exact or country), None)


def quote(
    lines: list[PricedLine],
    currency: str,
    *,
    codes: list[str],
    known_codes: dict[str, DiscountCode],
    promotions: list[Promotion],
    rates: list[ShippingRate],
    taxes: list[TaxRate],
    destination: Dest | None,
    service: str | None,
    now: datetime,
) -> Quote:
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    applied, rejected = choose_discounts(codes, known_codes, lines, currency, now)
    discount = sum(d.amount_minor for d in applied)
    goods = subtotal - discount
    required = any(r.active and r.currency == currency for r in rates)
    options = (
        shipping_options(rates, promotions, lines, goods, currency, destination, now)
        if destination and required
        else []
    )
    chosen = next((o for o in options if o.service == service), None)
    shipping = chosen.price_minor if chosen else 0
    tax_rate = tax_for(taxes, destination)
    taxable = goods + (shipping if tax_rate and tax_rate.shipping_taxable else 0)
    tax = _half_up(taxable * tax_rate.rate_bp, 10_000) if tax_rate else 0
    return Quote(
        currency=currency,
        subtotal_minor=subtotal,
        discounts=applied,
        rejected_codes=rejected,
        discount_minor=discount,
        shipping_required=required,
        destination=destination,
        shipping_options=options,
        shipping_service=chosen.service if chosen else None,
        shipping_minor=shipping,
        tax_rate_bp=tax_rate.rate_bp if tax_rate else 0,
        tax_minor=tax,
        total_minor=goods + shipping + tax,
    )
