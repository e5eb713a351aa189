"""Catalog models: the public shapes of docs/contracts.md and the validated import rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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


class ProductPublic(BaseModel):
    id: str
    title: str
    description: str
    brand: str | None
    category: str
    attributes: dict[str, Any]
    image_url: str | None
    price_min_minor: int
    price_max_minor: int
    currency: str
    variants: list[VariantPublic]


class SearchHit(BaseModel):
    product: ProductPublic
    score: float
    matching_variants: list[VariantPublic]


class SearchResult(BaseModel):
    query: str
    filters: SearchFilters
    hits: list[SearchHit]


class VariantIn(BaseModel):
    sku: str = Field(min_length=1)
    options: dict[str, str] = {}
    price_minor: int = Field(ge=0)
    stock: int = Field(default=0, ge=0)


class ProductIn(BaseModel):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    brand: str | None = None
    category: str = ""
    attributes: dict[str, Any] = {}
    image_url: str | None = None
    currency: str = Field(default="USD", min_length=3, max_length=3)
    variants: list[VariantIn] = Field(min_length=1)


class RowError(BaseModel):
    line: int
    reason: str


class ImportReport(BaseModel):
    loaded: int = 0
    embedded: int = 0
    skipped: int = 0
    errors: list[RowError] = []
