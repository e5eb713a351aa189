"""Read-only analytics tools for the merchant analyst. Bound only for merchants, never for shoppers.

Each tool is a plain coroutine ``(conn, args) -> ToolResult`` (``MERCHANT_TOOLS``: a short text naming
its exact period, plus compact `table` parts and, for trends, a `chart` part) and a LangChain tool of the
same name (``MERCHANT_LC_TOOLS``) whose arguments are all the model may choose: periods are phrases as a
merchant says them ("last month", "November", "since Monday", "2031-03-01 to 2031-03-14"), resolved in
the store's time zone. No tool takes SQL or writes anything. The connection, the clock and the time zone
come from the run's `MerchantContext`, never from the model.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from elara_bot.agent.tool_schema import lean_schemas
from elara_bot.analytics import service as analytics
from elara_bot.analytics.schemas import Channel, DailyRevenue, Period, Ranking, StockCoverReport
from elara_bot.contracts import ChartPart, ReplyPart, TablePart
from elara_bot.db import Conn
from elara_bot.errors import ElaraError
from elara_bot.money import format_amount, to_major

DEFAULT_PERIOD = "last 7 days"


@dataclass
class ToolResult:
    text: str
    parts: list[ReplyPart] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)  # the exact periods the figures cover (labels)
    error: str | None = None


@dataclass
class MerchantContext:
    """What the analyst's tools may use; built by the analyst, never by the model."""

    conn: Conn
    zone: str = "UTC"
    now: datetime | None = None
    prompt: str = ""
    categories: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)  # product titles: the offline planner's vocabulary


def money(minor: int, currency: str = "USD") -> str:
    return format_amount(minor, currency)


def _period(args: dict[str, Any], key: str = "period") -> Period:
    zone, now = args.get("zone") or "UTC", args.get("now")
    first, last = args.get("first_day"), args.get("last_day")
    if first and last:
        return analytics.resolve_period(
            "range", first_day=date.fromisoformat(first), last_day=date.fromisoformat(last), zone=zone
        )
    return analytics.period_for(str(args.get(key) or DEFAULT_PERIOD), now=now, zone=zone)


CHANNEL_NAMES = {"web": "the web", "cli": "the command line", "unknown": "no known channel"}


def _through(channel: str | None) -> str:
    """' through Telegram' for a channel's figures, '' for the whole store's."""
    if not channel:
        return ""
    name = str(channel).strip().lower()
    return f" through {CHANNEL_NAMES.get(name, name.title())}"


def _change(pct: float | None) -> str:
    return "n/a" if pct is None else f"{pct:+.1f}%"


SINGULAR = {"categories": "category", "orders": "order", "products": "product", "variants": "variant"}


def _n(count: int, noun: str) -> str:
    """'1 order', '2 orders' (``noun`` singular)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _of_total(shown: int, total: int, noun: str, end: str = "top") -> str:
    """'3 products', '1 product' or, for a cut list, 'the top 20 of 261 products'."""
    if total == 1 and shown >= 1:
        return f"1 {SINGULAR.get(noun, noun.removesuffix('s'))}"
    return (
        f"{total} {noun}" if shown >= total else f"the {end} {shown} of {total} {noun} (list cut at {shown})"
    )


async def sales_summary(conn: Conn, args: dict[str, Any]) -> ToolResult:
    """Revenue, orders and AOV of a period against the one before (of one channel's orders when given)."""
    period = _period(args)
    s = await analytics.sales_summary(conn, period, channel=args.get("channel"))
    cur, prev, c, through = s.current, s.previous, s.currency, _through(s.channel)
    text = (
        f"Revenue{through} {period.label}: {money(cur.revenue_minor, c)} from {_n(cur.order_count, 'order')} "
        f"(average {money(cur.average_order_minor, c)}); {s.previous_period.label}: "
        f"{money(prev.revenue_minor, c)} from {_n(prev.order_count, 'order')}"
        f" ({_change(s.revenue_change_pct)})."
    )
    rows = [
        ["Revenue", money(cur.revenue_minor, c), money(prev.revenue_minor, c)],
        ["Orders", str(cur.order_count), str(prev.order_count)],
        ["Average order", money(cur.average_order_minor, c), money(prev.average_order_minor, c)],
    ]
    columns = ["", period.label, s.previous_period.label]
    table = TablePart(title=f"Sales{through}, {period.label}", columns=columns, rows=rows)
    return ToolResult(text, [table], [period.label])


async def average_order_value(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    s = await analytics.sales_summary(conn, period, channel=args.get("channel"))
    cur, prev, c = s.current, s.previous, s.currency
    text = (
        f"Average order value{_through(s.channel)} {period.label}: {money(cur.average_order_minor, c)}"
        f" over {_n(cur.order_count, 'order')}"
        f" ({money(cur.revenue_minor, c)}); {s.previous_period.label}:"
        f" {money(prev.average_order_minor, c)} over {_n(prev.order_count, 'order')}."
    )
    return ToolResult(text, [], [period.label])


async def compare_periods(conn: Conn, args: dict[str, Any]) -> ToolResult:
    """Two periods side by side; the second defaults to the one just before the first."""
    period = _period(args)
    other = _period(args, "other_period") if args.get("other_period") else analytics.previous_period(period)
    channel = args.get("channel")
    a = await analytics.sales_summary(conn, period, channel=channel)
    b = await analytics.sales_summary(conn, other, channel=channel)
    x, y, c, through = a.current, b.current, a.currency, _through(a.channel)
    pct = (
        None if not y.revenue_minor else round((x.revenue_minor - y.revenue_minor) * 100 / y.revenue_minor, 1)
    )
    text = (
        f"Revenue{through} {period.label}: {money(x.revenue_minor, c)} from {_n(x.order_count, 'order')}; "
        f"{other.label}: {money(y.revenue_minor, c)} from {_n(y.order_count, 'order')} ({_change(pct)})."
    )
    rows = [
        ["Revenue", money(x.revenue_minor, c), money(y.revenue_minor, c)],
        ["Orders", str(x.order_count), str(y.order_count)],
        ["Average order", money(x.average_order_minor, c), money(y.average_order_minor, c)],
    ]
    table = TablePart(title=f"Comparison{through}", columns=["", period.label, other.label], rows=rows)
    return ToolResult(text, [table], [period.label, other.label])


_NOUNS = {"product": "products", "category": "categories", "channel": "channels", "customer": "customers"}


def _ranking_table(ranking: Ranking, title: str) -> TablePart:
    if ranking.by in ("product", "category"):
        rows = [
            [str(i), r.label or "(none)", str(r.units), money(r.revenue_minor)]
            for i, r in enumerate(ranking.rows, 1)
        ]
        return TablePart(title=title, columns=["#", ranking.by.title(), "Units", "Revenue"], rows=rows)
    rows = [
        [
            str(i),
            r.label or "(none)",
            str(r.orders),
            money(r.revenue_minor),
            money(_average(r.revenue_minor, r.orders)),
        ]
        for i, r in enumerate(ranking.rows, 1)
    ]
    return TablePart(
        title=title, columns=["#", ranking.by.title(), "Orders", "Revenue", "Average order"], rows=rows
    )


def _average(total: int, count: int) -> int:
    """Rounded half up, as the sales summary's average order value."""
    return (total + count // 2) // count if count else 0


async def sales_breakdown(conn: Conn, args: dict[str, Any]) -> ToolResult:
    """Sales per product, category, channel or customer, highest first (products: in one category, or
    titled like a word); of one channel's orders when given."""
    period = _period(args)
    by, rank_by = args.get("by", "product"), args.get("rank_by", "revenue")
    category, product = args.get("category") or None, args.get("product") or None
    channel = args.get("channel") or None
    limit = int(args.get("limit") or 10)
    lowest = bool(args.get("lowest_first"))
    ranking = await analytics.ranking(
        conn,
        period,
        by,
        rank_by=rank_by,
        limit=limit,
        category=category,
        product=product,
        lowest_first=lowest,
        channel=channel,
    )
    where = (f" in {category}" if category else "") + (f" matching {product!r}" if product else "")
    where += _through(channel)
    if not ranking.rows:
        return ToolResult(f"No sales{where} {period.label}.", [], [period.label])
    first = ranking.rows[0]
    noun = _NOUNS[by]
    units_first = by == "product" and rank_by == "units"
    lead = f"{first.label or '(none)'} ({_figures(first.units, first.revenue_minor, units_first)})"
    shown = _of_total(len(ranking.rows), ranking.total, noun, "bottom" if lowest else "top")
    order = ", lowest first" if lowest and by == "product" else ""
    text = f"Sales by {by}{where} {period.label}{order}: {shown}; first: {lead}."
    if by == "product" and product and not lowest:  # how one product (or those titled so) sold: it leads
        alone = _product_sales(ranking, where, _through(channel), period.label, units_first)
        text = alone if ranking.total == 1 else f"{alone} {text}"
    title = f"Sales by {by}{where}, {period.label}" + (
        f" ({len(ranking.rows)} of {ranking.total})" if ranking.total > len(ranking.rows) else ""
    )
    return ToolResult(text, [_ranking_table(ranking, title)], [period.label])


def _figures(units: int | None, revenue_minor: int, units_first: bool) -> str:
    """'25 units, $375.00' when units were asked about, else '$375.00, 25 units'."""
    if units is None:
        return money(revenue_minor)
    return (
        f"{_n(units, 'unit')}, {money(revenue_minor)}"
        if units_first
        else f"{money(revenue_minor)}, {_n(units, 'unit')}"
    )


def _product_sales(ranking: Ranking, where: str, through: str, label: str, units_first: bool) -> str:
    """The sales of the product a question named (or of those titled so, summed), in the measure it asked
    about first: units for "how many did we sell", revenue otherwise."""
    rows = ranking.rows
    units, revenue = sum(r.units or 0 for r in rows), sum(r.revenue_minor for r in rows)
    if units_first:
        figures = f"{_n(units, 'unit')} sold ({money(revenue)})"
    else:
        figures = f"{money(revenue)} from {_n(units, 'unit')} sold"
    if ranking.total == 1:
        orders = f"{rows[0].orders} order{'' if rows[0].orders == 1 else 's'}"
        return f"{rows[0].label or '(none)'}{through} {label}: {figures}, in {orders}."
    listed = f" (the top {len(rows)} of {ranking.total})" if ranking.total > len(rows) else ""
    return f"Products{where}{listed} {label}: {figures} in all."


async def unsold_products(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    rows, total = await analytics.unsold_products(conn, period, limit=int(args.get("limit") or 20))
    if not rows:
        return ToolResult(f"Every product on sale sold at least once {period.label}.", [], [period.label])
    table = TablePart(
        title=f"Products with no sales, {period.label}",
        columns=["Product", "Category", "Stock"],
        rows=[[r.title, r.category or "(none)", str(r.stock)] for r in rows],
    )
    text = f"No sales {period.label} for {_of_total(len(rows), total, 'products')}."
    return ToolResult(text, [table], [period.label])


async def top_products(conn: Conn, args: dict[str, Any]) -> ToolResult:
    return await sales_breakdown(conn, {**args, "by": "product", "rank_by": args.get("by", "revenue")})


async def sales_by_category(conn: Conn, args: dict[str, Any]) -> ToolResult:
    return await sales_breakdown(conn, {**args, "by": "category", "limit": args.get("limit") or 50})


async def top_customers(conn: Conn, args: dict[str, Any]) -> ToolResult:
    return await sales_breakdown(conn, {**args, "by": "customer", "limit": args.get("limit") or 5})


async def best_sellers_by_category(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    rows = await analytics.best_per_category(conn, period)
    if not rows:
        return ToolResult(f"No sales {period.label}.", [], [period.label])
    table = TablePart(
        title=f"Best seller per category, {period.label}",
        columns=["Category", "Product", "Units", "Revenue"],
        rows=[[r.category or "(none)", r.title, str(r.units), money(r.revenue_minor)] for r in rows],
    )
    best = "; ".join(f"{r.category or '(none)'}: {r.title} ({money(r.revenue_minor)})" for r in rows[:5])
    more = f" and {len(rows) - 5} more categories" if len(rows) > 5 else ""
    return ToolResult(f"Best sellers per category {period.label}: {best}{more}.", [table], [period.label])


async def refunds_and_returns(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    r = await analytics.refunds_and_returns(conn, period)
    requests = sum(x.requests for x in r.returns)
    statuses = ", ".join(f"{x.requests} {x.status}" for x in r.returns)
    text = (
        f"Refunds {period.label}: {_n(r.refunded_orders, 'order')} refunded, {money(r.refunded_minor)}."
        f" Return requests: {requests}" + (f" ({statuses})." if statuses else ".")
    )
    rows = [["Refunded orders", str(r.refunded_orders)], ["Refunded amount", money(r.refunded_minor)]]
    rows += [[f"Returns {x.status}", f"{x.requests} ({x.items} items)"] for x in r.returns]
    table = TablePart(title=f"Refunds and returns, {period.label}", columns=["", "Count"], rows=rows)
    return ToolResult(text, [table], [period.label])


async def conversion(conn: Conn, args: dict[str, Any]) -> ToolResult:
    period = _period(args)
    c = await analytics.conversion(conn, period, now=args.get("now"))
    rate = "n/a" if c.rate_pct is None else f"{c.rate_pct:.1f}%"
    asked = ", ".join(f'"{q}" ({n})' for q, n in c.top_empty_queries)
    text = (
        f"Conversion {period.label}: {c.buyers} of {c.shoppers} shoppers who chatted placed an order"
        f" ({rate});"
        f" {c.empty_searches} of {c.searches} searches found nothing"
        + (f" (most asked: {asked})" if asked else "")
        + f"; {c.abandoned_carts} carts abandoned, worth {money(c.abandoned_minor)}."
    )
    rows = [
        ["Conversations", str(c.conversations)],
        ["Shoppers who chatted", str(c.shoppers)],
        ["... who ordered", str(c.buyers)],
        ["Conversion", rate],
        ["Searches", str(c.searches)],
        ["Searches with no result", str(c.empty_searches)],
        ["Abandoned carts", f"{c.abandoned_carts} ({money(c.abandoned_minor)})"],
    ]
    table = TablePart(title=f"Conversion, {period.label}", columns=["", "Value"], rows=rows)
    return ToolResult(text, [table], [period.label])


async def stock_cover(conn: Conn, args: dict[str, Any]) -> ToolResult:
    """Days of stock left at the sales rate of the period (the last 30 days unless one is named): of one
    product or category when named (it leads the answer), else the variants that run out first."""
    period = _period({**args, "period": args.get("period") or "last 30 days"})
    max_days = args.get("max_days")
    report = await analytics.stock_cover(
        conn,
        period,
        max_days=float(max_days) if max_days is not None else None,
        limit=int(args.get("limit") or 10),
        product=args.get("product") or None,
        category=args.get("category") or None,
    )
    rows, asked, unit = report.rows, _asked_about(report), str(args.get("unit") or "days")
    if not rows:
        within = f" with at most {max_days:g} days of stock" if max_days is not None else ""
        noun = f"{asked} has no variant" if asked else "No variant"
        return ToolResult(
            f"{noun}{within} at the sales rate of {period.label}" + ("." if within else ": none sold."),
            [],
            [period.label],
        )
    table = TablePart(
        title=f"Days of stock at the sales rate of {period.label}" + (f": {asked}" if asked else ""),
        columns=["SKU", "Product", "Stock", "Sold", "Days left"],
        rows=[[r.sku, r.title, str(r.stock), str(r.units), _days(r.cover_days, "")] for r in rows],
    )
    first = rows[0]
    shortest = f"{first.title} ({first.sku}), {first.stock} in stock, {_cover(first.cover_days, unit)}"
    if asked:
        return ToolResult(_cover_of(asked, report, period.label, shortest, unit), [table], [period.label])
    text = (
        f"Stock cover at the sales rate of {period.label}: {_of_total(len(rows), report.total, 'variants')};"
        f" shortest: {shortest}."
    )
    return ToolResult(text, [table], [period.label])


def _asked_about(report: StockCoverReport) -> str:
    """What a stock cover question named: the product's title when one product matched, else the search
    word or the category; '' for the whole store."""
    if report.product is not None:
        titles = {r.title for r in report.rows}
        return titles.pop() if len(titles) == 1 and report.total == len(report.rows) else repr(report.product)
    return report.category or ""


def _days(cover: float | None, unit: str = " days") -> str:
    return "no sales" if cover is None else f"{cover:.1f}{unit}"


COVER_UNITS = {"days": 1, "weeks": 7, "months": 30}


def _cover(cover: float | None, unit: str = "days") -> str:
    """Days of stock in the unit asked: '3.2 weeks (22.4 days)', '22.4 days'."""
    if cover is None:
        return "no sales"
    size = COVER_UNITS.get(unit.lower().rstrip("s") + "s", 1)
    if size == 1:
        return f"{cover:.1f} days"
    return f"{cover / size:.1f} {unit.lower().rstrip('s')}s ({cover:.1f} days)"


def _cover_of(asked: str, report: StockCoverReport, label: str, shortest: str, unit: str = "days") -> str:
    """'Camp Mug: 200 in stock, 26 sold in last 30 days (...): 230.8 days at that rate.'"""
    held = f"{asked}: {report.stock} in stock"
    if report.cover_days is None:
        return f"{held}; none sold {label}, so there is no sales rate to count days of stock from."
    text = f"{held}, {report.units} sold {label}: {_cover(report.cover_days, unit)} of stock at that rate."
    if report.total > 1:
        text += (
            f" By variant ({_of_total(len(report.rows), report.total, 'variants')}), shortest: {shortest}."
        )
    return text


async def low_stock(conn: Conn, args: dict[str, Any]) -> ToolResult:
    threshold = int(args.get("threshold", 3))
    limit = int(args.get("limit") or 20)
    rows = await analytics.low_stock(conn, threshold=threshold, limit=limit)
    if not rows:
        return ToolResult(f"No variant has {threshold} or fewer in stock (now).")
    total = await analytics.low_stock_count(conn, threshold)
    shown = f" (list cut at {len(rows)})" if total > len(rows) else ""
    table = TablePart(
        title=f"Variants with stock <= {threshold}" + (f" ({len(rows)} of {total})" if shown else ""),
        columns=["SKU", "Product", "Options", "Stock"],
        rows=[[r.sku, r.title, ", ".join(r.options.values()), str(r.stock)] for r in rows],
    )
    many = f"{total} variants have" if total != 1 else "1 variant has"
    return ToolResult(f"{many} {threshold} or fewer in stock (now){shown}.", [table])


async def abandoned_carts(conn: Conn, args: dict[str, Any]) -> ToolResult:
    hours = int(args.get("idle_hours", 24))
    rows = await analytics.abandoned_carts(conn, idle_hours=hours, now=args.get("now"), limit=20)
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
                f"{r.updated_at:%Y-%m-%d %H:%M}",
            ]
            for r in rows
        ],
    )
    value = sum(r.value_minor for r in rows)
    if rows[0].total > len(rows):
        text = f"{rows[0].total} abandoned carts; the {len(rows)} most valuable are worth {money(value)}."
    else:
        text = f"{len(rows)} abandoned carts worth {money(value)}."
    return ToolResult(text, [table])


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
    period = _period(args) if args.get("period") else None
    rows = await analytics.wanted_out_of_stock(conn, days=days, now=args.get("now"), period=period)
    when = period.label if period else f"last {days} days"
    periods = [period.label] if period else []
    if not rows:
        return ToolResult(f"No searches returned out-of-stock products ({when}).", [], periods)
    table = TablePart(
        title=f"Asked for but out of stock ({when})",
        columns=["Product", "Searches"],
        rows=[[r.title, str(r.searches)] for r in rows],
    )
    count = _of_total(len(rows), rows[0].total, "products")
    text = f"Asked for while out of stock ({when}): {count}; most asked-for: {rows[0].title}."
    return ToolResult(text, [table], periods)


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
    return ToolResult(text, [ChartPart(title=title, png_base64=png)], [period.label])


MerchantTool = Callable[[Conn, dict[str, Any]], Awaitable[ToolResult]]

MERCHANT_TOOLS: dict[str, MerchantTool] = {
    "sales_summary": sales_summary,
    "average_order_value": average_order_value,
    "compare_periods": compare_periods,
    "sales_breakdown": sales_breakdown,
    "top_products": top_products,
    "sales_by_category": sales_by_category,
    "top_customers": top_customers,
    "unsold_products": unsold_products,
    "best_sellers_by_category": best_sellers_by_category,
    "refunds_and_returns": refunds_and_returns,
    "conversion": conversion,
    "stock_cover": stock_cover,
    "low_stock": low_stock,
    "abandoned_carts": abandoned_carts,
    "order_details": order_details,
    "wanted_out_of_stock": wanted_out_of_stock,
    "revenue_chart": revenue_chart,
}


# --- the same tools for a chat model -------------------------------------------------------------------

Runtime = ToolRuntime[Any, Any]  # untyped: pydantic cannot build a schema over the connection
Answer = tuple[str, ToolResult]  # (what the model reads, the artifact the analyst reads)
PERIOD_HELP = (
    "period: a phrase as the merchant said it, e.g. 'today', 'yesterday', 'last week' (previous Monday to"
    " Sunday), 'last month' (previous calendar month), 'November', 'November 2030', 'on Black Friday',"
    " 'since Monday', 'last 30 days', 'year to date', '2031-03-01 to 2031-03-14'."
)


async def run_tool(name: str, runtime: Runtime, args: dict[str, Any]) -> Answer:
    """Run one merchant tool with the context's connection, clock and time zone; an `ElaraError` is
    answered as text for the model (and marked on the artifact), never raised."""
    ctx = runtime.context
    if not isinstance(ctx, MerchantContext):
        raise TypeError("the merchant tools need a MerchantContext")
    given = {k: v for k, v in args.items() if v is not None}
    try:
        for key in ("period", "other_period"):  # "all time" runs from the first sale: its days are named
            if isinstance(given.get(key), str):
                given[key] = await analytics.with_first_order(
                    ctx.conn, given[key], now=ctx.now, zone=ctx.zone
                )
        result = await MERCHANT_TOOLS[name](ctx.conn, {**given, "now": ctx.now, "zone": ctx.zone})
    except ElaraError as exc:
        return f"error: {exc.message}", ToolResult(exc.message, error=type(exc).__name__)
    return _for_model(result), result


def _for_model(result: ToolResult) -> str:
    """The text and every table, as plain lines a model can quote from."""
    lines = [result.text]
    for part in result.parts:
        if isinstance(part, TablePart):
            lines += ["", part.title, " | ".join(part.columns), *(" | ".join(row) for row in part.rows)]
    return "\n".join(lines)


@tool("sales_summary", response_format="content_and_artifact")
async def lc_sales_summary(
    runtime: Runtime, period: str = DEFAULT_PERIOD, channel: Channel | None = None
) -> Answer:
    """Revenue, number of orders and average order value for a period, compared with the period just
    before (the previous calendar month for a whole month). channel='telegram' (or 'web', ...) gives only
    the orders that came through that channel ("how much came in via Telegram in January?")."""
    return await run_tool("sales_summary", runtime, {"period": period, "channel": channel})


@tool("average_order_value", response_format="content_and_artifact")
async def lc_average_order_value(
    runtime: Runtime, period: str = DEFAULT_PERIOD, channel: Channel | None = None
) -> Answer:
    """Average order value (AOV) for a period and the period before (of one channel's orders when
    channel is given)."""
    return await run_tool("average_order_value", runtime, {"period": period, "channel": channel})


@tool("compare_periods", response_format="content_and_artifact")
async def lc_compare_periods(
    runtime: Runtime, period: str, other_period: str | None = None, channel: Channel | None = None
) -> Answer:
    """Revenue, orders and AOV of two periods side by side (period over period). other_period defaults to
    the period just before `period`; channel limits both to one channel's orders."""
    args = {"period": period, "other_period": other_period, "channel": channel}
    return await run_tool("compare_periods", runtime, args)


@tool("sales_breakdown", response_format="content_and_artifact")
async def lc_sales_breakdown(
    runtime: Runtime,
    by: Literal["product", "category", "channel", "customer"],
    period: str = DEFAULT_PERIOD,
    rank_by: Literal["revenue", "units"] = "revenue",
    category: str | None = None,
    product: str | None = None,
    lowest_first: bool = False,
    limit: int = 10,
    channel: Channel | None = None,
) -> Answer:
    """Sales per product, category, channel (web, telegram, ...) or customer, highest first, with how many
    there are in all. by='customer' gives the top customers; by='product' with category='Outdoor' gives
    the best sellers of one category; product='lamp' only products whose title contains it (how a product
    sold: with rank_by='units' the answer leads with units sold, for "how many did we sell"); rank_by='units'
    ranks products by units sold; lowest_first=True lists the worst sellers first (of those that sold:
    products that sold nothing come from unsold_products); channel='telegram' counts only the orders that
    came through that channel (one channel's total: sales_summary with channel)."""
    args = {"by": by, "period": period, "rank_by": rank_by, "category": category, "limit": limit}
    args.update(product=product, lowest_first=lowest_first, channel=channel)
    return await run_tool("sales_breakdown", runtime, args)


@tool("unsold_products", response_format="content_and_artifact")
async def lc_unsold_products(runtime: Runtime, period: str = DEFAULT_PERIOD, limit: int = 20) -> Answer:
    """Products on sale that sold nothing in a period, with their stock."""
    return await run_tool("unsold_products", runtime, {"period": period, "limit": limit})


@tool("best_sellers_by_category", response_format="content_and_artifact")
async def lc_best_sellers_by_category(runtime: Runtime, period: str = DEFAULT_PERIOD) -> Answer:
    """The best-selling product of every category."""
    return await run_tool("best_sellers_by_category", runtime, {"period": period})


@tool("refunds_and_returns", response_format="content_and_artifact")
async def lc_refunds_and_returns(runtime: Runtime, period: str = DEFAULT_PERIOD) -> Answer:
    """Orders refunded in a period (count and amount) and return requests made in it, by status."""
    return await run_tool("refunds_and_returns", runtime, {"period": period})


@tool("conversion", response_format="content_and_artifact")
async def lc_conversion(runtime: Runtime, period: str = DEFAULT_PERIOD) -> Answer:
    """From conversations to orders: shoppers who chatted and ordered, searches that found nothing (and
    what was searched), carts abandoned."""
    return await run_tool("conversion", runtime, {"period": period})


@tool("stock_cover", response_format="content_and_artifact")
async def lc_stock_cover(
    runtime: Runtime,
    period: str = "last 30 days",
    product: str | None = None,
    category: str | None = None,
    max_days: float | None = None,
    limit: int = 10,
    unit: Literal["days", "weeks", "months"] = "days",
) -> Answer:
    """Days of stock left at the sales rate of `period`. product='Camp Mug' (a title, or a word of titles
    such as 'boot') or category='Footwear': how long that stock lasts ("how many days until the Camp Mug
    runs out?"), then each of its variants; without them, the store's variants that run out first. Only
    those with at most max_days when given. unit: the unit the merchant asked in ("weeks of stock" ->
    'weeks'); the answer gives it with the days."""
    args = {
        "period": period, "product": product, "category": category, "max_days": max_days, "limit": limit,
        "unit": unit,
    }  # fmt: skip
    return await run_tool("stock_cover", runtime, args)


@tool("low_stock", response_format="content_and_artifact")
async def lc_low_stock(runtime: Runtime, threshold: int = 3, limit: int = 20) -> Answer:
    """Variants with `threshold` or fewer in stock now, lowest first, with how many there are in all."""
    return await run_tool("low_stock", runtime, {"threshold": threshold, "limit": limit})


@tool("abandoned_carts", response_format="content_and_artifact")
async def lc_abandoned_carts(runtime: Runtime, idle_hours: int = 24) -> Answer:
    """Open carts with items, untouched for `idle_hours`, valued at current prices."""
    return await run_tool("abandoned_carts", runtime, {"idle_hours": idle_hours})


@tool("order_details", response_format="content_and_artifact")
async def lc_order_details(runtime: Runtime, number: str) -> Answer:
    """One order by its number (EL-XXXXXX): status, customer, lines, total."""
    return await run_tool("order_details", runtime, {"number": number})


@tool("wanted_out_of_stock", response_format="content_and_artifact")
async def lc_wanted_out_of_stock(runtime: Runtime, period: str | None = None, days: int = 30) -> Answer:
    """Products shoppers searched for while they were out of stock, over `period` (else the last `days`
    days)."""
    return await run_tool("wanted_out_of_stock", runtime, {"period": period, "days": days})


@tool("revenue_chart", response_format="content_and_artifact")
async def lc_revenue_chart(runtime: Runtime, period: str = DEFAULT_PERIOD) -> Answer:
    """A chart of daily revenue over a period (trends) and its best day."""
    return await run_tool("revenue_chart", runtime, {"period": period})


MERCHANT_LC_TOOLS: list[BaseTool] = [
    lc_sales_summary,
    lc_average_order_value,
    lc_compare_periods,
    lc_sales_breakdown,
    lc_best_sellers_by_category,
    lc_unsold_products,
    lc_refunds_and_returns,
    lc_conversion,
    lc_stock_cover,
    lc_low_stock,
    lc_abandoned_carts,
    lc_order_details,
    lc_wanted_out_of_stock,
    lc_revenue_chart,
]
for _tool in MERCHANT_LC_TOOLS:  # every period argument is described the same way
    _tool.description = f"{_tool.description}\n{PERIOD_HELP}"
lean_schemas(MERCHANT_LC_TOOLS)
