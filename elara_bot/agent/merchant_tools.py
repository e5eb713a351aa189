"""Read-only analytics tools for the merchant analyst. Bound only for merchants, never for shoppers.

Each tool takes a connection and plain arguments and returns a `ToolResult`: a short text plus
compact `table` parts (and, for trends, a `chart` part: a matplotlib PNG of the daily revenue).
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from elara_bot.analytics import service as analytics
from elara_bot.analytics.schemas import DailyRevenue, Period
from elara_bot.contracts import ChartPart, ReplyPart, TablePart
from elara_bot.db import Conn
from elara_bot.money import format_amount, to_major


@dataclass
class ToolResult:
    text: str
    parts: list[ReplyPart] = field(default_factory=list)


def money(minor: int, currency: str = "USD") -> str:
    return format_amount(minor, currency)


def _period(args: dict[str, Any]) -> Period:
    first, last = args.get("first_day"), args.get("last_day")
    return analytics.resolve_period(
        args.get("period", "last_7_days"),
        now=args.get("now"),
        first_day=date.fromisoformat(first) if first else None,
        last_day=date.fromisoformat(last) if last else None,
    )


def _change(pct: float | None) -> str:
    return "n/a" if pct is None else f"{pct:+.1f}%"


async def sales_summary(conn: Conn, args: dict[str, Any]) -> ToolResult:
    s = await analytics.sales_summary(conn, _period(args))
    cur, prev, c = s.current, s.previous, s.currency
    text = (
        f"Revenue {s.period.label}: {money(cur.revenue_minor, c)} from {cur.order_count} orders "
        f"(average {money(cur.average_order_minor, c)}); previous period {money(prev.revenue_minor, c)} "
        f"from {prev.order_count} orders ({_change(s.revenue_change_pct)})."
    )
    rows = [
        ["Revenue", money(cur.revenue_minor, c), money(prev.revenue_minor, c)],
        ["Orders", str(cur.order_count), str(prev.order_count)],
        ["Average order", money(cur.average_order_minor, c), money(prev.average_order_minor, c)],
    ]
    table = TablePart(title=f"Sales, {s.period.label}", columns=["", s.period.label, "previous"], rows=rows)
    return ToolResult(text, [table])


async def top_products(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    by, limit = args.get("by", "revenue"), int(args.get("limit", 5))
    rows = await analytics.top_products(conn, period, by=by, limit=limit)
    if not rows:
        return ToolResult(f"No products sold {period.label}.")
    table = TablePart(
        title=f"Top {len(rows)} products by {by}, {period.label}",
        columns=["#", "Product", "Units", "Revenue"],
        rows=[[str(i), r.title, str(r.units), money(r.revenue_minor)] for i, r in enumerate(rows, 1)],
    )
    best = f"{rows[0].title} ({money(rows[0].revenue_minor)})"
    return ToolResult(f"Top product {period.label}: {best}.", [table])


async def sales_by_category(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    rows = await analytics.sales_by_category(conn, period)
    if not rows:
        return ToolResult(f"No sales {period.label}.")
    table = TablePart(
        title=f"Sales by category, {period.label}",
        columns=["Category", "Units", "Revenue"],
        rows=[[r.category or "(none)", str(r.units), money(r.revenue_minor)] for r in rows],
    )
    return ToolResult(f"Sales by category {period.label}: {len(rows)} categories.", [table])


async def low_stock(conn: Conn, args: dict[str, Any]) -> ToolResult:
    threshold = int(args.get("threshold", 3))
    rows = await analytics.low_stock(conn, threshold=threshold)
    if not rows:
        return ToolResult(f"No variant has {threshold} or fewer in stock.")
    table = TablePart(
        title=f"Variants with stock <= {threshold}",
        columns=["SKU", "Product", "Options", "Stock"],
        rows=[[r.sku, r.title, ", ".join(r.options.values()), str(r.stock)] for r in rows],
    )
    return ToolResult(f"{len(rows)} variants have {threshold} or fewer in stock.", [table])


async def abandoned_carts(conn: Conn, args: dict[str, Any]) -> ToolResult:
    hours = int(args.get("idle_hours", 24))
    rows = await analytics.abandoned_carts(conn, idle_hours=hours, now=args.get("now"))
    if not rows:
        return ToolResult(f"No open carts untouched for {hours} hours.")
    table = TablePart(
        title=f"Open carts untouched for {hours}h",
        columns=["Customer", "Items", "Value", "Last change"],
        rows=[
            [
                r.customer_name or r.customer_id[:8],
                str(r.units),
                money(r.value_minor),
                r.updated_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for r in rows
        ],
    )
    total = sum(r.value_minor for r in rows)
    return ToolResult(f"{len(rows)} abandoned carts worth {money(total)}.", [table])


async def order_details(conn: Conn, args: dict[str, Any]) -> ToolResult:
    o = await analytics.order_details(conn, str(args["number"]))
    table = TablePart(
        title=f"Order {o.number}",
        columns=["SKU", "Item", "Qty", "Total"],
        rows=[[ln.sku, ln.title, str(ln.quantity), money(ln.line_total_minor, o.currency)] for ln in o.lines],
    )
    text = (
        f"Order {o.number} ({o.status}) by {o.customer_name or 'a customer'} on "
        f"{o.created_at:%Y-%m-%d}: {money(o.total_minor, o.currency)}."
    )
    return ToolResult(text, [table])


async def wanted_out_of_stock(conn: Conn, args: dict[str, Any]) -> ToolResult:
    days = int(args.get("days", 30))
    rows = await analytics.wanted_out_of_stock(conn, days=days, now=args.get("now"))
    if not rows:
        return ToolResult(f"No searches returned out-of-stock products in the last {days} days.")
    table = TablePart(
        title=f"Asked for but out of stock (last {days} days)",
        columns=["Product", "Searches"],
        rows=[[r.title, str(r.searches)] for r in rows],
    )
    return ToolResult(f"Most asked-for out-of-stock product: {rows[0].title}.", [table])


_MATPLOTLIB = threading.Lock()  # matplotlib is not thread-safe: one chart renders at a time


def revenue_png(series: list[DailyRevenue], title: str) -> bytes:
    """A line chart of daily revenue (major units), as PNG bytes."""
    with _MATPLOTLIB:
        return _render(series, title)


def _render(series: list[DailyRevenue], title: str) -> bytes:
    # imported on the first chart: matplotlib costs the service ~40 MB that shoppers' turns never need
    from matplotlib.figure import Figure  # the object API needs no GUI backend

    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.subplots()
    revenue = [float(to_major(p.revenue_minor, analytics.DEFAULT_CURRENCY)) for p in series]
    ax.plot(range(len(series)), revenue, marker="o")
    step = max(1, len(series) // 8)
    ticks = list(range(0, len(series), step))
    ax.set_xticks(ticks, [series[i].day.strftime("%m-%d") for i in ticks])
    ax.set_title(title)
    ax.set_ylabel("Revenue")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


async def revenue_chart(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    series = await analytics.daily_revenue(conn, period)
    title = f"Daily revenue, {period.label}"
    # rendering takes ~0.2 s of CPU (more for the first chart, which imports matplotlib): off the event loop
    png = base64.b64encode(await asyncio.to_thread(revenue_png, series, title)).decode()
    best = max(series, key=lambda p: p.revenue_minor)
    text = f"Best day {period.label}: {best.day.isoformat()} with {money(best.revenue_minor)}."
    return ToolResult(text, [ChartPart(title=title, png_base64=png)])


MerchantTool = Callable[[Conn, dict[str, Any]], Awaitable[ToolResult]]

MERCHANT_TOOLS: dict[str, MerchantTool] = {
    "sales_summary": sales_summary,
    "top_products": top_products,
    "sales_by_category": sales_by_category,
    "low_stock": low_stock,
    "abandoned_carts": abandoned_carts,
    "order_details": order_details,
    "wanted_out_of_stock": wanted_out_of_stock,
    "revenue_chart": revenue_chart,
}
