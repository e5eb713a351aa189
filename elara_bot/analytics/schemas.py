"""Analytics DTOs. Money is integer minor units with its currency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

SALES_STATUSES: tuple[str, ...] = ("paid", "fulfilled", "delivered")
"""Order statuses that count as sales. ``pending_payment``, ``cancelled``, ``refunded`` and
``expired`` orders are never counted."""

PeriodName = Literal["today", "yesterday", "last_7_days", "last_30_days", "this_month", "range"]
RankBy = Literal["revenue", "units"]


class Period(BaseModel):
    """A half-open UTC interval ``[start, end)``."""

    label: str
    start: datetime
    end: datetime


class Totals(BaseModel):
    revenue_minor: int
    order_count: int
    average_order_minor: int


class SalesSummary(BaseModel):
    currency: str
    period: Period
    previous_period: Period
    current: Totals
    previous: Totals
    revenue_change_pct: float | None


class ProductSales(BaseModel):
    product_id: str
    title: str
    units: int
    revenue_minor: int


class CategorySales(BaseModel):
    category: str
    units: int
    revenue_minor: int


class LowStockVariant(BaseModel):
    sku: str
    product_id: str
    title: str
    options: dict[str, str]
    stock: int


class AbandonedCart(BaseModel):
    cart_id: int
    customer_id: str
    customer_name: str | None
    line_count: int
    units: int
    value_minor: int
    updated_at: datetime


class OrderLineDetail(BaseModel):
    sku: str
    title: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int


class OrderDetails(BaseModel):
    number: str
    status: str
    currency: str
    total_minor: int
    customer_name: str | None
    created_at: datetime
    lines: list[OrderLineDetail]


class WantedProduct(BaseModel):
    product_id: str
    title: str
    searches: int


class DailyRevenue(BaseModel):
    day: date
    revenue_minor: int
    order_count: int
