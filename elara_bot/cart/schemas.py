"""Cart DTOs: every price comes from the database at read time."""

from __future__ import annotations

from pydantic import BaseModel


class CartLine(BaseModel):
    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    quantity: int
    unit_price_minor: int
    line_total_minor: int
    currency: str
    stock: int


class CartPublic(BaseModel):
    lines: list[CartLine]
    item_count: int
    total_minor: int
    currency: str
