"""The pricing rules on their own: discounts and stacking, free-shipping promotions, shipping, tax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from elara_bot.storefront import pricing
from elara_bot.storefront.schemas import (
    Destination,
    DiscountCode,
    PricedLine,
    Promotion,
    Quote,
    ShippingRate,
    TaxRate,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LINES = [
    PricedLine(sku="A", product_id="p-a", title="A", quantity=2, unit_price_minor=1_000),
    PricedLine(sku="B", product_id="p-b", title="B", quantity=1, unit_price_minor=3_001),
]
CODES = {
    "TEN": DiscountCode(code="TEN", kind="percentage", percent_bp=1_000, stackable=True),
    "FIVE": DiscountCode(code="FIVE", kind="fixed", amount_minor=500, currency="USD", stackable=True),
    "HALF": DiscountCode(code="HALF", kind="percentage", percent_bp=5_000),
    "BIG": DiscountCode(
        code="BIG", kind="fixed", amount_minor=100, currency="USD", min_subtotal_minor=10_000
    ),
    "OLD": DiscountCode(
        code="OLD", kind="fixed", amount_minor=100, currency="USD", ends_at=NOW - timedelta(1)
    ),
    "GONE": DiscountCode(code="GONE", kind="fixed", amount_minor=100, currency="USD", max_uses=3, used=3),
    "EUR5": DiscountCode(code="EUR5", kind="fixed", amount_minor=500, currency="EUR"),
}
RATES = [
    ShippingRate(country="US", service="standard", title="Standard", price_minor=500, currency="USD"),
    ShippingRate(country="US", service="express", title="Express", price_minor=1_500, currency="USD"),
    ShippingRate(country="*", service="intl", title="International", price_minor=2_500, currency="USD"),
]


def _quote(codes: list[str] = (), **kw: object) -> Quote:  # type: ignore[assignment]
    args: dict[str, object] = {
        "codes": list(codes),
        "known_codes": CODES,
        "promotions": [],
        "rates": [],
        "taxes": [],
        "destination": None,
        "service": None,
        "now": NOW,
    }
    return pricing.quote(LINES, "USD", **{**args, **kw})  # type: ignore[arg-type]


def test_nothing_configured_leaves_the_total_the_subtotal() -> None:
    found = _quote(destination=Destination(country="US"), service="standard")
    assert (found.subtotal_minor, found.total_minor) == (5_001, 5_001)
    assert (found.discount_minor, found.shipping_minor, found.tax_minor) == (0, 0, 0)
    assert found.shipping_chosen
    assert not found.shipping_required


def test_stackable_codes_combine_percentage_first_and_allocations_sum_up() -> None:
    found = _quote(["five", " ten "])
    # 10 % of 5001 = 500 (half up), then 500 fixed
    assert [(d.code, d.amount_minor) for d in found.discounts] == [("TEN", 500), ("FIVE", 500)]
    assert found.total_minor == 4_001
    for applied in found.discounts:
        assert sum(applied.allocations.values()) == applied.amount_minor
    assert found.line_discount("A") + found.line_discount("B") == 1_000


def test_a_code_that_does_not_stack_applies_alone_when_it_takes_more_off() -> None:
    found = _quote(["TEN", "FIVE", "HALF"])
    assert [d.code for d in found.discounts] == ["HALF"]
    assert found.discount_minor == 2_501
    assert {r.code for r in found.rejected_codes} == {"TEN", "FIVE"}


def test_invalid_codes_are_reported_with_their_reason_and_take_nothing_off() -> None:
    found = _quote(["BIG", "OLD", "GONE", "EUR5", "NOPE"])
    reasons = {r.code: r.reason for r in found.rejected_codes}
    assert set(reasons) == {"BIG", "OLD", "GONE", "EUR5", "NOPE"}
    assert "subtotal" in reasons["BIG"]
    assert "used up" in reasons["GONE"]
    assert "EUR" in reasons["EUR5"]
    assert reasons["NOPE"] == "unknown discount code"
    assert found.total_minor == found.subtotal_minor


def test_a_discount_never_takes_more_than_the_subtotal() -> None:
    codes = {"HUGE": DiscountCode(code="HUGE", kind="fixed", amount_minor=10**9, currency="USD")}
    found = _quote(["HUGE"], known_codes=codes)
    assert found.total_minor == 0
    assert found.discount_minor == 5_001


def test_shipping_options_for_a_country_and_the_rest_of_the_world() -> None:
    us = _quote(rates=RATES, destination=Destination(country="us"))
    assert [o.service for o in us.shipping_options] == ["standard", "express"]
    assert us.shipping_required
    assert not us.shipping_chosen
    fr = _quote(rates=RATES, destination=Destination(country="FR"), service="intl")
    assert [o.service for o in fr.shipping_options] == ["intl"]
    assert fr.shipping_minor == 2_500
    assert fr.total_minor == 5_001 + 2_500


def test_free_shipping_over_a_threshold_counts_what_is_left_after_discounts() -> None:
    promo = Promotion(
        id="free50", title="Free over 50", min_subtotal_minor=5_000, currency="USD", services=["standard"]
    )
    dest = Destination(country="US")
    free = _quote(rates=RATES, promotions=[promo], destination=dest, service="standard")
    assert free.shipping_minor == 0
    assert free.shipping_options[0].promotion == "Free over 50"
    express = _quote(rates=RATES, promotions=[promo], destination=dest, service="express")
    assert express.shipping_minor == 1_500
    discounted = _quote(["TEN"], rates=RATES, promotions=[promo], destination=dest, service="standard")
    assert discounted.shipping_minor == 500  # 4501 after the code: under the threshold


def test_free_shipping_for_given_products() -> None:
    promo = Promotion(id="b-free", title="B ships free", product_ids=["p-b"])
    found = _quote(rates=RATES, promotions=[promo], destination=Destination(country="US"), service="express")
    assert found.shipping_minor == 0
    other = Promotion(id="c-free", title="C ships free", product_ids=["p-c"])
    found = _quote(rates=RATES, promotions=[other], destination=Destination(country="US"), service="express")
    assert found.shipping_minor == 1_500


def test_tax_by_country_and_region_on_goods_and_taxable_shipping() -> None:
    taxes = [
        TaxRate(country="US", rate_bp=500),
        TaxRate(country="US", region="CA", rate_bp=825, shipping_taxable=True),
    ]
    ny = _quote(
        rates=RATES, taxes=taxes, destination=Destination(country="US", region="NY"), service="standard"
    )
    assert ny.tax_rate_bp == 500
    assert ny.tax_minor == 250
    ca = _quote(
        rates=RATES, taxes=taxes, destination=Destination(country="US", region="ca"), service="standard"
    )
    assert ca.tax_minor == 454  # 8.25 % of 5501 = 453.83
    assert ca.total_minor == 5_001 + 500 + 454
    assert _quote(taxes=taxes, destination=Destination(country="DE")).tax_minor == 0
