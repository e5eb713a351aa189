"""Storefront DTOs. Amounts are integer minor units with an ISO 4217 currency; rates are basis points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, field_validator, model_validator


def _json_int(value: object) -> object:
    """A JSON integer: 7 and 7.0 (JSON Schema's integers); not true, "7" or 7.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _iso_time(value: object) -> object:
    """An RFC 3339 text (or a datetime already): a bare number is not a time."""
    if value is not None and not isinstance(value, str | datetime):
        raise ValueError("must be an RFC 3339 date-time")
    return value


StrictInt = Annotated[int, BeforeValidator(_json_int)]
Time = Annotated[datetime, BeforeValidator(_iso_time)]


COUNTRY = r"^[A-Z]{2}$"


def _upper(value: str) -> str:
    return value.strip().upper()


class DiscountCode(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    title: str = ""
    kind: Literal["percentage", "fixed"]
    percent_bp: (
        Annotated[
            int,
            Field(ge=1, le=10_000, description="percentage in basis points: 15% = 1500"),
            BeforeValidator(_json_int),
        ]
        | None
    ) = None
    amount_minor: Annotated[int, Field(gt=0), BeforeValidator(_json_int)] | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    min_subtotal_minor: StrictInt = Field(0, ge=0)
    stackable: StrictBool = False
    starts_at: Time | None = None
    ends_at: Time | None = None
    max_uses: Annotated[int, Field(gt=0, le=2_000_000_000), BeforeValidator(_json_int)] | None = None
    used: StrictInt = Field(0, ge=0, le=2_000_000_000)
    active: StrictBool = True

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


class PercentageCodeIn(BaseModel):
    """A percentage code as the admin API takes it (the shape the schema states: no invalid mix)."""

    code: str = Field(min_length=1, max_length=64)
    title: str = ""
    kind: Literal["percentage"]
    percent_bp: StrictInt = Field(ge=1, le=10_000, description="percentage in basis points: 15% = 1500")
    min_subtotal_minor: StrictInt = Field(0, ge=0)
    stackable: StrictBool = False
    starts_at: Time | None = None
    ends_at: Time | None = None
    max_uses: Annotated[int, Field(gt=0, le=2_000_000_000), BeforeValidator(_json_int)] | None = None
    active: StrictBool = True

    def to_code(self) -> DiscountCode:
        return DiscountCode.model_validate(self.model_dump())


class FixedCodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    title: str = ""
    kind: Literal["fixed"]
    amount_minor: StrictInt = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    min_subtotal_minor: StrictInt = Field(0, ge=0)
    stackable: StrictBool = False
    starts_at: Time | None = None
    ends_at: Time | None = None
    max_uses: Annotated[int, Field(gt=0, le=2_000_000_000), BeforeValidator(_json_int)] | None = None
    active: StrictBool = True

    def to_code(self) -> DiscountCode:
        return DiscountCode.model_validate(self.model_dump())


class Promotion(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1)
    kind: Literal["free_shipping"] = "free_shipping"
    min_subtotal_minor: Annotated[int, Field(ge=0), BeforeValidator(_json_int)] | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    product_ids: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    starts_at: Time | None = None
    ends_at: Time | None = None
    active: StrictBool = True


class ShippingRate(BaseModel):
    country: str = Field(pattern=r"^(\*|[A-Z]{2})$", description="ISO 3166-1 alpha-2, or * for anywhere else")
    service: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=40)
    title: str = Field(min_length=1)
    price_minor: StrictInt = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    min_days: Annotated[int, Field(ge=0, le=365), BeforeValidator(_json_int)] | None = None
    max_days: Annotated[int, Field(ge=0, le=365), BeforeValidator(_json_int)] | None = None
    active: StrictBool = True


class TaxRate(BaseModel):
    country: str = Field(pattern=COUNTRY)
    region: str = ""
    rate_bp: StrictInt = Field(ge=0, le=10_000, description="basis points: 8.25% = 825")
    shipping_taxable: StrictBool = False


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
    is_default: StrictBool = False


class Buyer(BaseModel):
    email: str | None = Field(None, max_length=320)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class CustomerRecord(Buyer):
    """A customer as the storefront imports and shows them (buyer details plus saved addresses)."""

    id: UUID | None = None
    addresses: list[Address] = Field(default_factory=list)


class CustomerIn(BaseModel):
    """A customer as the admin API takes it: the email is the key."""

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: list[Address] = Field(default_factory=list, max_length=20)


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
