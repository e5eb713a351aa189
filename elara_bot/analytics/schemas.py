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
Channel = Literal["web", "telegram", "slack", "email", "cli", "unknown"]
CHANNELS: tuple[str, ...] = ("web", "telegram", "slack", "email", "cli", "unknown")
"""Where an order came from: its customer's first channel identity; 'unknown' for a customer with none."""


class Period(BaseModel):
    """A half-open UTC interval ``[start, end)``."""

    label: str
    start: datetime
    end: datetime
    first_day: date | None = None  # the store's calendar days it covers (inclusive)
    last_day: date | None = None


class Totals(BaseModel):
    revenue_minor: int
    order_count: int
    average_order_minor: int


class SalesSummary(BaseModel):
    currency: str
    channel: str | None = None  # the one channel whose orders these are; None: every channel
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
    total: int = 0  # open carts idle as long, listed or not


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
    total: int = 0  # products asked for while out of stock, listed or not


class DailyRevenue(BaseModel):
    day: date
    revenue_minor: int
    order_count: int


RankDimension = Literal["product", "category", "channel", "customer"]


class RankedRow(BaseModel):
    key: str
    label: str
    units: int | None  # per product and category; channels and customers count orders
    revenue_minor: int
    orders: int


class Ranking(BaseModel):
    """The first rows of a ranking and how many there are in all (the list may be cut)."""

    by: RankDimension
    rows: list[RankedRow]
    total: int


class CategoryBest(BaseModel):
    category: str
    product_id: str
    title: str
    units: int
    revenue_minor: int


class ReturnsByStatus(BaseModel):
    status: str
    requests: int
    items: int


class RefundsReport(BaseModel):
    refunded_orders: int
    refunded_minor: int
    returns: list[ReturnsByStatus]


class Conversion(BaseModel):
    conversations: int
    shoppers: int
    buyers: int  # shoppers of those conversations who placed a sales order in the period
    rate_pct: float | None
    searches: int
    empty_searches: int
    top_empty_queries: list[tuple[str, int]]
    abandoned_carts: int
    abandoned_minor: int


class StockCover(BaseModel):
    sku: str
    product_id: str
    title: str
    stock: int
    units: int  # sold over the window
    cover_days: float | None  # days of stock left at the window's sales rate; None: it did not sell


class StockCoverReport(BaseModel):
    """Days of stock per variant, fewest first, and for a product or category asked about, all of it."""

    rows: list[StockCover]
    total: int  # how many variants qualify, listed or not
    product: str | None = None
    category: str | None = None
    stock: int = 0  # every variant asked about (product, category): stock now, units sold in the window
    units: int = 0
    cover_days: float | None = None  # their stock at their summed sales rate; None: none of them sold


class UnsoldProduct(BaseModel):
    product_id: str
    title: str
    category: str
    stock: int
