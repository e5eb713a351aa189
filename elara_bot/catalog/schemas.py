"""Catalog models: the public shapes of docs/contracts.md and the validated import rows."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from elara_bot.catalog.validation import (
    MAX_PRICE_MINOR,
    MAX_STOCK,
    currency_code,
    image_url,
    storable_json,
)


class SearchFilters(BaseModel):
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    category: str | None = None
    options: dict[str, list[str]] = {}
    in_stock: bool = False


class VariantPublic(BaseModel):
    sku: str
    product_id: str
    options: dict[str, str]
    price_minor: int
    currency: str
    stock: int
    in_stock: bool


class ProductInfo(BaseModel):
    """What the catalog stores about a product itself (its variants and prices aside)."""

    id: str
    title: str
    description: str
    brand: str | None
    category: str
    attributes: dict[str, Any]
    image_url: str | None


class ProductPublic(ProductInfo):
    price_min_minor: int
    price_max_minor: int
    currency: str
    variants: list[VariantPublic]


class SearchHit(BaseModel):
    product: ProductPublic
    score: float
    matching_variants: list[VariantPublic]


class Constraint(BaseModel):
    """One condition on the results: a price range, an option's values, in stock, or a category."""

    kind: Literal["price", "option", "in_stock", "category"]
    text: str = Field(description="as the query said it ('under $50', 'size 10') or as the parameter set it")
    source: Literal["query", "parameter"]
    key: str | None = Field(default=None, description="the option's name ('size', 'color'), for kind option")
    values: list[str] = Field(default=[], description="the option's accepted values, for kind option")
    min_price_minor: int | None = None
    max_price_minor: int | None = None


class SearchConstraints(BaseModel):
    applied: list[Constraint] = Field(default=[], description="every hit meets these")
    relaxed: list[Constraint] = Field(
        default=[], description="no product met these with the rest: the alternatives leave them out"
    )
    unmatched: list[str] = Field(
        default=[],
        description="words of the query no product in the catalog is near (below the relevance floor)",
    )


class SearchResult(BaseModel):
    query: str
    filters: SearchFilters
    hits: list[SearchHit]
    constraints: SearchConstraints = SearchConstraints()
    alternatives: list[SearchHit] = Field(
        default=[],
        description="when nothing met every constraint: the nearest products without the relaxed ones"
        " (a price relaxed: cheapest first; an option relaxed: their in-stock variants)",
    )
    note: str | None = Field(
        default=None, description="when nothing matched: one sentence saying so and naming the alternative"
    )


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _no_bool(value: Any) -> Any:
    """``true`` is not a price: lax int parsing would read it as 1 (CSV's digit strings stay accepted)."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


def _image_url(value: str | None) -> str | None:
    return None if value is None else image_url(value)


Whole = Annotated[int, BeforeValidator(_no_bool)]


class VariantIn(BaseModel):
    # the cart API takes SKUs of up to 100 characters
    sku: str = Field(min_length=1, max_length=100)
    options: dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=500)]] = {}
    price_minor: Whole = Field(ge=0, le=MAX_PRICE_MINOR)
    stock: Whole = Field(default=0, ge=0, le=MAX_STOCK)


class ProductIn(BaseModel):
    """One product of an import. Lengths keep each value inside PostgreSQL's index and ``tsvector``
    limits; text must be storable (no NUL: pydantic already refuses lone surrogates in ``str`` fields);
    JSON must be jsonb (finite numbers)."""

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=50_000)
    brand: Annotated[str, Field(max_length=200)] | None = None
    category: str = Field(default="", max_length=500)
    attributes: Annotated[dict[str, Any], AfterValidator(storable_json)] = {}
    image_url: Annotated[
        Annotated[str, Field(max_length=2048)] | None,
        BeforeValidator(_blank_to_none),
        AfterValidator(_image_url),
    ] = None
    currency: Annotated[str, BeforeValidator(currency_code)] = "USD"
    variants: list[VariantIn] = Field(min_length=1)

    @model_validator(mode="after")
    def _storable(self) -> ProductIn:
        """No NUL in any text: one scan of the joined text per product (a validator per field cost
        more than the rest of the validation), then the field is looked up only to name it."""
        texts = [self.id, self.title, self.description, self.brand or "", self.category, self.image_url or ""]
        for variant in self.variants:
            texts += [variant.sku, *variant.options, *variant.options.values()]
        if "\x00" in "".join(texts):
            raise ValueError(f"{self._with_nul()} contains a NUL byte (PostgreSQL text cannot hold it)")
        return self

    def _with_nul(self) -> str:
        fields = ("id", "title", "description", "brand", "category", "image_url")
        for name in fields:
            if "\x00" in (getattr(self, name) or ""):
                return name
        for i, variant in enumerate(self.variants):
            options = [*variant.options, *variant.options.values()]
            for name, texts in (("sku", [variant.sku]), ("options", options)):
                if any("\x00" in text for text in texts):
                    return f"variants.{i}.{name}"
        return "a value"

    @model_validator(mode="after")
    def _unique_skus(self) -> ProductIn:
        counts = Counter(v.sku for v in self.variants)
        if repeated := sorted(sku for sku, n in counts.items() if n > 1):
            raise ValueError(f"SKU {', '.join(map(repr, repeated))} appears twice in this product")
        return self


class RowError(BaseModel):
    line: int
    reason: str


class ImportReport(BaseModel):
    loaded: int = 0
    embedded: int = 0
    skipped: int = 0
    moved: int = 0  # variants moved to another product (only with allow_sku_move)
    errors: list[RowError] = []
