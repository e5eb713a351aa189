"""Storefront DTOs. Amounts are integer minor units with an ISO 4217 currency; rates are basis points."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator, model_validator

COUNTRY = r"^[A-Z]{2}$"


def _upper(value: str) -> str:
    return value.strip().upper()


class DiscountCode(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    title: str = ""
    kind: Literal["percentage", "fixed"]
    percent_bp: int | None = Field(
        None, ge=1, le=10_000, description="percentage in basis points: 15% = 1500"
    )
    amount_minor: int | None = Field(None, gt=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    min_subtotal_minor: int = Field(0, ge=0)
    stackable: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = Field(None, gt=0, le=2_000_000_000)
    used: int = Field(0, ge=0, le=2_000_000_000)
    active: bool = True

    @field_validator("code")
    @classmethod
    def _code_upper(cls, value: str) -> str:
        return _upper(value)

    @model_validator(mode="after")
    def _shape(self) -> DiscountCode:
        if self.kind == "percentage" and (self.percent_bp is None or self.amount_minor is not None):
            raise ValueError("a percentage code needs percent_bp and no amount_minor")
        if self.kind == "fixed" and (self.amount_minor is None or self.currency is None or self.percent_bp):
            raise ValueError("a fixed code needs amount_minor and currency, and no percent_bp")
        return self


class Promotion(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1)
    kind: Literal["free_shipping"] = "free_shipping"
    min_subtotal_minor: int | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    product_ids: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True


class ShippingRate(BaseModel):
    country: str = Field(pattern=r"^(\*|[A-Z]{2})$", description="ISO 3166-1 alpha-2, or * for anywhere else")
    service: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=40)
    title: str = Field(min_length=1)
    price_minor: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    min_days: int | None = Field(None, ge=0, le=365)
    max_days: int | None = Field(None, ge=0, le=365)
    active: bool = True


class TaxRate(BaseModel):
    country: str = Field(pattern=COUNTRY)
    region: str = ""
    rate_bp: int = Field(ge=0, le=10_000, description="basis points: 8.25% = 825")
    shipping_taxable: bool = False


class Address(BaseModel):
    id: UUID | None = None
    label: str = Field("home", min_length=1, max_length=40)
    first_name: str | None = None
    last_name: str | None = None
    street_address: str = Field(min_length=1)
    extended_address: str | None = None
    address_locality: str = Field(min_length=1)
    address_region: str | None = None
    postal_code: str = Field(min_length=1)
    address_country: str = Field(pattern=COUNTRY)
    phone: str | None = None
    is_default: bool = False


class Buyer(BaseModel):
    email: str | None = Field(None, max_length=320)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class CustomerRecord(Buyer):
    """A customer as the storefront imports and shows them (buyer details plus saved addresses)."""

    id: UUID | None = None
    addresses: list[Address] = Field(default_factory=list)


# --- pricing -------------------------------------------------------------------------------------------
class PricedLine(BaseModel):
    sku: str
    product_id: str
    title: str
    quantity: int = Field(gt=0)
    unit_price_minor: int = Field(ge=0)


class Destination(BaseModel):
    country: str = Field(pattern=COUNTRY)
    region: str | None = None

    @field_validator("country", mode="before")
    @classmethod
    def _country_upper(cls, value: object) -> object:
        return _upper(value) if isinstance(value, str) else value


class AppliedDiscount(BaseModel):
    code: str
    title: str
    amount_minor: int
    allocations: dict[str, int]  # sku -> minor units taken off that line


class RejectedCode(BaseModel):
    code: str
    reason: str
    kind: Literal["invalid", "expired", "combination_disallowed", "ineligible"] = "invalid"


class ShippingOption(BaseModel):
    service: str
    title: str
    price_minor: int  # what the shopper pays (0 when a promotion makes it free)
    list_price_minor: int
    min_days: int | None = None
    max_days: int | None = None
    promotion: str | None = None  # the free-shipping promotion's title


class Quote(BaseModel):
    """Every total of a checkout, computed from the database: subtotal − discounts + shipping + tax."""

    currency: str
    subtotal_minor: int
    discounts: list[AppliedDiscount] = Field(default_factory=list)
    rejected_codes: list[RejectedCode] = Field(default_factory=list)
    discount_minor: int = 0
    shipping_required: bool = False
    destination: Destination | None = None
    shipping_options: list[ShippingOption] = Field(default_factory=list)
    shipping_service: str | None = None
    shipping_minor: int = 0
    tax_rate_bp: int = 0
    tax_minor: int = 0
    total_minor: int

    @property
    def shipping_chosen(self) -> bool:
        return not self.shipping_required or self.shipping_service is not None

    def line_discount(self, sku: str) -> int:
        return sum(d.allocations.get(sku, 0) for d in self.discounts)


class CartChoices(BaseModel):
    """What the chat shopper chose for the open cart."""

    discount_codes: list[str] = Field(default_factory=list)
    destination: Destination | None = None
    shipping_service: str | None = None


class ImportReport(BaseModel):
    file: str
    loaded: int
    errors: list[str] = Field(default_factory=list)
