"""A labelled set of merchant questions in many wordings: the first tool call the offline planner must make
and the arguments it must carry (a subset), None for a question it must decline honestly ("I can't answer
that yet" and what it can do), or "help" for a greeting (what it can do).

Written as merchants ask, not from the planner's word lists; categories are those of the analytics test
store ("Outdoor > Footwear", "Home > Lighting", "Outdoor > Kitchen")."""

from __future__ import annotations

from typing import Any, Literal

Expected = tuple[str, dict[str, Any]] | Literal["help"] | None

QUESTIONS: list[tuple[str, Expected]] = [
    # revenue and orders over a period
    ("What did we sell in November?", ("sales_summary", {"period": "in november"})),
    ("how much money did we make yesterday", ("sales_summary", {"period": "yesterday"})),
    ("Revenue last month?", ("sales_summary", {"period": "last month"})),
    ("what's turnover looking like so far this month", ("sales_summary", {"period": "so far this month"})),
    ("How many orders did we get on Black Friday?", ("sales_summary", {"period": "black friday"})),
    ("sales since Monday", ("sales_summary", {"period": "since monday"})),
    ("how did we do over the last 30 days", ("sales_summary", {"period": "over the last 30 days"})),
    ("takings for Q4 2030", ("sales_summary", {"period": "q4 2030"})),
    (
        "what did we bring in between March 1 and March 7?",
        ("sales_summary", {"period": "between march 1 and march 7"}),
    ),
    ("year to date revenue please", ("sales_summary", {"period": "year to date"})),
    ("How's business today?", ("sales_summary", {"period": "today"})),
    # rankings
    ("which product sells best in Outdoor?", ("sales_breakdown", {"by": "product", "category": "Outdoor"})),
    (
        "top 3 lighting products last quarter",
        ("sales_breakdown", {"by": "product", "category": "Lighting", "limit": 3}),
    ),
    ("what are our best sellers this week", ("sales_breakdown", {"by": "product", "period": "this week"})),
    ("Most popular items by units in January", ("sales_breakdown", {"by": "product", "rank_by": "units"})),
    (
        "which products sold the most units last month",
        ("sales_breakdown", {"by": "product", "rank_by": "units"}),
    ),
    ("what's selling in footwear?", ("sales_breakdown", {"by": "product", "category": "Footwear"})),
    ("who are our top 5 customers?", ("sales_breakdown", {"by": "customer", "limit": 5})),
    ("Which customers spent the most in 2030?", ("sales_breakdown", {"by": "customer", "period": "in 2030"})),
    ("biggest buyers this year", ("sales_breakdown", {"by": "customer", "period": "this year"})),
    ("show me our VIP clients", ("sales_breakdown", {"by": "customer"})),
    ("sales by category this month", ("sales_breakdown", {"by": "category", "period": "this month"})),
    ("how are the departments doing?", ("sales_breakdown", {"by": "category"})),
    ("best seller in each category last month", ("best_sellers_by_category", {"period": "last month"})),
    ("what's the top product per category?", ("best_sellers_by_category", {})),
    ("sales by channel last quarter", ("sales_breakdown", {"by": "channel", "period": "last quarter"})),
    ("Do we sell more through Telegram or the website?", ("sales_breakdown", {"by": "channel"})),
    ("Which lamp sells most?", ("sales_breakdown", {"by": "product", "product": "lamp"})),
    (
        "how many units of socks did we sell last month",
        ("sales_breakdown", {"product": "sock", "rank_by": "units"}),
    ),
    (
        "how did the Trail Boot do in January?",
        ("sales_breakdown", {"product": "Trail Boot", "period": "in january"}),
    ),
    ("give me the numbers for last year", ("sales_summary", {"period": "last year"})),
    ("sales for the week of March 3rd", ("sales_summary", {"period": "week of march 3rd"})),
    ("What's our worst selling product?", ("sales_breakdown", {"by": "product", "lowest_first": True})),
    ("Which products didn't sell at all last month?", ("unsold_products", {"period": "last month"})),
    ("Show me yesterday's orders", ("sales_summary", {"period": "yesterday"})),
    ("sales on 3/14", ("sales_summary", {"period": "3/14"})),
    ("What did we sell on the 14th?", ("sales_summary", {"period": "the 14th"})),
    ("Did we hit $10k this month?", ("sales_summary", {"period": "this month"})),
    ("Which channel has the highest average order?", ("sales_breakdown", {"by": "channel"})),
    # comparisons and averages
    ("compare November with October", ("compare_periods", {"period": "november", "other_period": "october"})),
    ("this month vs last month", ("compare_periods", {"period": "this month", "other_period": "last month"})),
    ("Are sales up or down this week?", ("compare_periods", {"period": "this week"})),
    ("revenue growth in February", ("compare_periods", {"period": "in february"})),
    ("What's our AOV?", ("average_order_value", {})),
    ("average basket size last month", ("average_order_value", {"period": "last month"})),
    (
        "what do people typically spend per order in December",
        ("average_order_value", {"period": "in december"}),
    ),
    # refunds, conversion, carts
    ("how many refunds did we issue last month?", ("refunds_and_returns", {"period": "last month"})),
    ("Any returns this week?", ("refunds_and_returns", {"period": "this week"})),
    ("how much did we have to pay back to customers in January", ("refunds_and_returns", {})),
    ("what's our conversion rate from chats?", ("conversion", {})),
    ("searches that found nothing last week", ("conversion", {"period": "last week"})),
    ("What are people searching for that returns no results?", ("conversion", {})),
    ("How many people chatted with the bot but didn't buy?", ("conversion", {})),
    ("What are shoppers searching for that we don't stock?", ("wanted_out_of_stock", {})),
    ("how many carts were abandoned this week", ("conversion", {"period": "this week"})),
    ("abandoned carts", ("abandoned_carts", {"idle_hours": 24})),
    ("who left stuff in their cart for 48 hours?", ("abandoned_carts", {"idle_hours": 48})),
    # stock
    ("what is low on stock?", ("low_stock", {"threshold": 3})),
    ("which variants have fewer than 5 left in stock", ("low_stock", {"threshold": 4})),
    ("what's sold out?", ("low_stock", {"threshold": 0})),
    ("how long will our stock last?", ("stock_cover", {})),
    ("which items will run out within 2 weeks", ("stock_cover", {"max_days": 14})),
    ("days of inventory left at the current rate", ("stock_cover", {})),
    ("what do customers ask for that we don't have?", ("wanted_out_of_stock", {"days": 30})),
    ("order el-t00005", ("order_details", {"number": "EL-T00005"})),
    ("revenue trend last 30 days", ("sales_summary", {"period": "last 30 days"})),
    # declined honestly
    ("what's our profit margin this month?", None),
    ("how many visitors did the website get yesterday?", None),
    ("how much did we spend on ads last month?", None),
    ("forecast next month's sales", None),
    ("what is our customer lifetime value?", None),
    ("how much VAT do we owe for Q1?", None),
    ("refund order EL-T00001", None),
    ("change the price of the trail boot to $99", None),
    ("what are customers saying in their reviews?", None),
    ("what's the weather in Berlin?", None),
    ("hello", "help"),
    ("hi elara, what can you do?", "help"),
    ("How much did we make over the holidays?", None),
    ("what's the value of our stock?", None),
    ("Can you export the sales to CSV?", None),
    ("how many new customers signed up?", None),
    ("send an email to everyone who abandoned a cart", None),
]
