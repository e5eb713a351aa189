"""The offline model's understanding of merchant questions, and the offline merchant chat model.

`understand_merchant(text, categories)` turns a question into the read-only tool calls a real model would
make (`elara_bot.agent.merchant_tools`), or an honest decline. Deterministic, no network, no database. It
reads a question as slots rather than sentences:

- what is measured: revenue/orders, average order value, refunds/returns, conversion, stock, carts, an
  order number, what shoppers asked for that is out of stock, a trend;
- how it is split: per product, category (or one named category of the store), channel, customer, the
  best seller of each category; ranked by revenue or units; how many ("top 5");
- the period as the merchant said it (`analytics.periods`, read on the run's own day), two of them for a
  comparison; one channel ("via Telegram"), one product or category ("the Camp Mug", "our boot stock").

What it cannot answer (profit, costs, suppliers and lead times, traffic, forecasts, changing anything...)
is declined with what it can do, never answered with another question's figures. Questions about data the
store does not hold are declined before any matcher reads them, so "how long does our boot supplier take
to deliver?" is not taken for stock cover.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from elara_bot.agent.scripted import (
    ScriptedChatModel,
    ToolCallPlan,
    last_human_text,
    tool_calls,
    tool_results_since_last_human,
)
from elara_bot.analytics.periods import Found, find_periods, normalize, plain
from elara_bot.analytics.service import store_today
from elara_bot.errors import InvalidInput

CAN_DO = (
    'I can tell you: revenue, orders and average order value for any period ("last month", "November",'
    ' "since Monday"); sales by product, category, channel or customer; top customers; the best seller of'
    " each category; one period against another; refunds and returns; conversion from chats (searches that"
    " found nothing, abandoned carts); low stock and days of stock left; an order by its number."
)
CANNOT = "I can't answer that yet."

ORDER_NUMBER = re.compile(r"\b(EL[A-Z]?-[A-Z0-9]{3,12})\b", re.IGNORECASE)
TOP_N = re.compile(
    r"\b(?:top|best|biggest|largest|first|leading|highest)[- ](\d{1,3}|three|five|ten|twenty)\b"
    r"|\b(\d{1,3}|three|five|ten|twenty) (?:best|top|biggest|most|largest)\b"
)
WORD_N = {"three": 3, "five": 5, "ten": 10, "twenty": 20}
NUMBERS_SMALL = {"a": 1, "one": 1, "two": 2, "four": 4}
COUNTS = {
    "zero": 0, "no": 0, "one": 1, "a single": 1, "two": 2, "a couple": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20,
    "fifty": 50,
}  # fmt: skip
_COUNT = r"(\d{1,4}|" + "|".join(sorted(COUNTS, key=len, reverse=True)) + r")"
# stock thresholds as said: "fewer than 5" is at most 4; "5 or fewer", "at most 5", "only 5 left" are 5
BELOW = re.compile(rf"\b(?:below|under|less than|fewer than|lower than)\s+{_COUNT}\b")
AT_MOST = re.compile(
    rf"\b(?:at most|no more than|not more than|up to|a maximum of|max(?:imum)?)\s+{_COUNT}\b"
    rf"|\b{_COUNT}\s+(?:or|and)\s+(?:fewer|less|under|below|lower)\b"
)
COUNT_LEFT = re.compile(
    rf"\b{_COUNT}\s+(?:(?:units?|items?|pieces?|pcs|pairs?)\s+)?(?:left|remaining|in stock|on hand)\b"
    rf"|\b(?:down to|last)\s+(?:(?:its|the|their|our)\s+)?(?:last\s+)?{_COUNT}"
    r"\s+(?:units?|items?|pieces?|pairs?|left)\b"
)
# "nearly out of stock", "almost sold out", "about to run out": low, not out
NEARLY = re.compile(
    r"\b(?:nearly|almost|close to|near|about to|soon to be|practically|virtually|all but)\s+(?:\w+\s+)?"
    r"(?:out|sold out|gone|empty|finished|run(?:ning)? out|runs out|sell(?:ing)? out|sells out)\b"
)
LOW_WORDS = (
    "running low|run low|getting low|low on|low stock|stock is low|low in stock|running out|few left"
    "|short on|almost gone|nearly gone|nearly out|almost out|last few|dwindling|running short|low inventory"
)
HOURS = re.compile(r"\b(\d{1,3})\s*(?:hours|hrs|h)\b")
SEARCH_RESULTS = re.compile(
    r"\b(?:returns?|returned|returning|gives?|gave|shows?|showed) (?:no|zero|any|0|empty)\b"
)
WRITE = re.compile(
    r"\b(?:refund|cancel|delete|ship) (?:order|el-)"
    r"|\b(?:set|change|update|raise|lower|increase|decrease|reduce|drop|make)\b.{0,40}\b(?:price|prices|discount)\b"
)
LOW = re.compile(
    r"\b(?:what's|what is|whats|anything|which are|what are|items|variants|skus|products) (?:running )?low\b"
)
SENT_BACK = re.compile(r"\b(?:sent|send|sending|brought|bring|took|take) (?:\w+ ){0,2}back\b")
RAN_OUT = re.compile(r"\b(?:'ve|have|has|had) run out\b|\bran out\b")
# what the store does not carry at all ("we don't sell", "can't find", "no results"): asked for, it is a
# search that found nothing (conversion), not a product out of stock
NOT_CARRIED = re.compile(
    r"\b(?:do ?n'?t|do not|does ?n'?t|does not|did ?n'?t|did not)"
    r" (?:(?:yet|even|currently|actually|really|already) )?(?:have|stock|carry|sell|offer|list|make)\b"
    r"|\b(?:can'?t|cannot|could ?n'?t|could not|unable to|fail(?:ed|s)? to|did ?n'?t|did not|do ?n'?t|do not)"
    r" (?:\w+ )?find\b"
    r"|\b(?:no|zero) (?:results?|matches|hits)\b|\bnothing (?:found|came up|matched)\b|\bfound nothing\b"
    r"|\b(?:not|isn'?t|aren'?t) (?:in|on) (?:our|the)"
    r" (?:catalog(?:ue)?|range|site|website|shelves|store|shop)\b"
    r"|\bnot something we (?:sell|carry|stock|have|offer)\b"
)
# what the store carries but has none of now: asked for, it is wanted while out of stock
OUT_NOW = re.compile(
    r"\b(?:out[- ]of[- ]stock|sold out|sell(?:s|ing)? out|unavailable|not available|in stock|back in stock"
    r"|restock\w*|none left|no stock|zero stock|(?:any|no|none) (?:more )?left|run(?:ning)? out|ran out"
    r"|anymore|any more|no longer)\b"
)
ASKED = (
    "ask for|asks for|asked for|asking for|look for|looks for|looked for|looking for|search*|want*|request*"
    "|missing|demand|wish*|hoping for|hope to find|try to find|tries to find|trying to find|tried to find"
    "|after|need*"
)
N_LEFT = re.compile(
    r"\b(?:only|just|at most)? ?(\d{1,3}|one|two|three|four|five|ten) (?:or (?:fewer|less) )?left\b"
)
LEFT_IN_CART = re.compile(r"\b(?:left|leave|leaving|forgot|forgotten)\b.{0,30}\bcarts?\b")
DAYS_LEFT = re.compile(
    r"\b(?:less than|under|within|fewer than|below|in the next|over the next|in|within the next)"
    r" (\d{1,3}|a|one|two|three|four) (days?|weeks?)\b"
    r"|\b(?:in|within|over) the next (day|week|month)\b|\bnext (week|month)\b"
)
# stock cover: said outright, or "how long", "will last"... of stock, a product or a category
COVER_WORDS = (
    "stock cover|days of stock|weeks of stock|months of stock|days of inventory|weeks of inventory"
    "|days of cover|weeks of cover|days of supply|run out*|runs out|sell out|sells out|selling out|runway"
    "|days left|weeks left|days remaining|cover"
)
COVER_ASKED = (
    "how long|last us|will last|lasts|last for|going to last|gonna last|how many days|how many weeks"
    "|how soon|enough stock|enough inventory"
)
STOCK_NOUNS = "stock*|inventory|supply|supplies|on hand"
# delivery and lead times ("how long does a restock take?"): no data, declined
TAKES = re.compile(
    r"\b(?:take|takes|took|taking)\b(?: \w+){0,3} (?:to )?(?:deliver|restock|replenish|arriv|dispatch|ship"
    r"|come in|get here)\w*"
    r"|\b(?:deliver|restock|replenish|arriv|dispatch|shipp?)\w*(?: \w+){0,2} (?:take|takes|took)\b"
    r"|\b(?:when|how soon) (?:will|does|do|is|are|should)\b.{0,40}\b(?:arrive|be delivered|come in|get here"
    r"|be back in stock|back in stock|be restocked)\b"
    r"|\b(?:take|takes|took)\b(?: \w+){0,3} to (?:get|bring|receive) (?:in )?"
    r"(?:more|new|fresh|another|the next)\b"
    r"|\b(?:next|incoming|upcoming|expected) (?:shipment|delivery|deliveries|restock|batch|container)s?\b"
    r"|\b(?:shipment|delivery|restock)s? (?:is |are )?due\b"
)


def _any(msg: str, *phrases: str) -> bool:
    """Whether any of ``phrases`` (each one or several, "a|b|c") occurs as whole words (a trailing '*'
    matches any ending)."""
    return _vocabulary("|".join(phrases)).search(msg) is not None


@cache
def _vocabulary(phrases: str) -> re.Pattern[str]:
    ends = (re.escape(w.rstrip("*")) + ("" if w.endswith("*") else r"\b") for w in phrases.split("|"))
    return re.compile(r"\b(?:" + "|".join(ends) + ")")


# what the analyst has no data for: declined honestly, before any matcher reads the question
UNSUPPORTED: list[tuple[str, str]] = [
    (
        "profit*|margin*|cost of goods|cogs|gross profit|net income|markup*|mark-up*|cost price*|unit cost*"
        "|landed cost*|purchase price*|buying price*|cost per unit|wholesale price*|cost|costs|costing"
        "|after cost*|net|net of|nett|clear|cleared|clearing|take home|take-home|took home|taken home"
        "|bottom line|overhead*|expense*|break even|breakeven|break-even|roi|return on investment"
        "|pocketed|in our pocket*|keep after|kept after|earn after|made after|left over after",
        "costs and profit",
    ),
    (
        "supplier*|vendor*|wholesaler*|manufacturer*|distributor*|lead time*|purchase order*|restock time*"
        "|delivery time*|shipping time*|transit time*|incoming stock|incoming shipment*|inbound|in transit"
        "|on order|courier*|carrier*|dhl|ups|fedex|usps|royal mail|parcel*",
        "suppliers, lead times or deliveries",
    ),
    (
        "visitor*|visit|visits|visited|visiting|traffic|page view*|pageview*|views|viewed|bounce*|session*"
        "|click*|impression*|footfall|unique users|hits|landing page*|ctr|click-through|time on site"
        "|came to the site|came to our site|on the site|browsing the site",
        "website traffic",
    ),
    (
        "ad spend|ads|advert*|campaign*|marketing|roas|cac|acquisition cost|facebook|instagram|google ads"
        "|tiktok|adwords|ppc|cpc|cpm|sponsored|influencer*|meta",
        "marketing",
    ),
    ("lifetime value|ltv|clv|churn*|retention|cohort*", "customer lifetime and retention"),
    (
        "tax|taxes|taxed|taxable|vat|gst|hst|pst|qst|sales tax*|shipping cost*|postage cost*|fees|payout*"
        "|stripe fee*|duty|duties|customs|owe|owed|owing|remit*|irs|hmrc|ato|cra|1099",
        "taxes, fees and payouts",
    ),
    (
        "review*|rating*|nps|net promoter|satisf*|complain*|feedback|sentiment|unhappy|happy",
        "reviews and satisfaction",
    ),
    ("inventory value|stock value|value of stock|value of our stock|value of inventory", "stock value"),
    ("export*|csv|spreadsheet|excel|download*", "exports (I answer here in the chat)"),
    (
        "items per order|units per order|repeat customer*|repeat rate|returning customer*|new customer*"
        "|signed up|sign up*|signup*|registration*",
        "that",
    ),
    (
        "employee*|staff*|team|teams|teammate*|colleague*|coworker*|co-worker*|agent*|operator*|rep|reps"
        "|worker*|personnel|payroll|wage*|salar*|shifts|on shift|per shift|hours worked|who on|which of us"
        "|handled|handles|handling|answered the most|replied the most|who answered|who replied",
        "the team (who handled what)",
    ),
    (
        "competitor*|competition|rival*|other shops|other stores|other retailers|other brands|market share"
        "|price comparison|compare prices|comparing prices|price match*|undercut*|amazon|decathlon|walmart"
        "|ebay|etsy|shopify stores|the market",
        "competitors or the market",
    ),
    (
        "weather|rain|rains|rainy|rained|raining|rainfall|snow|snowy|snowed|snowing|snowstorm*|heat|heatwave*"
        "|heat wave*|hot weather|cold weather|cold snap|storm|storms|stormy|sunny|sunshine|temperature*"
        "|hurricane*|flood*|wind|windy|climate",
        "the weather",
    ),
]
# "cheaper than Decathlon", "more expensive than the shop down the road": competitors' prices
PRICED_AGAINST = re.compile(
    r"\b(?:cheaper|dearer|pricier|more expensive|less expensive|better priced|priced (?:higher|lower)"
    r"|higher priced|lower priced)\b(?: \w+){0,3} than\b"
)
# "did the rain hurt our sales?", "why are sales down?": the data holds no causes
CAUSE = re.compile(
    r"\b(?:did|does|do|has|have|had|will|would|could|might|is|was|are|were)\b(?: \S+){1,4}"
    r" (?:hurt|hurts|help|helps|helped|affect|affects|affected|impact|impacts|impacted|boost|boosted"
    r"|drive|drove|driven|cause|caused|influence|influenced|damage|damaged|kill|killed|dent|dented|lift"
    r"|lifted|harm|harmed)\b(?: \w+){0,2} (?:our |the |my )?(?:sales|revenue|orders|business|numbers"
    r"|takings|turnover)\b"
    r"|\bwhy (?:did|do|does|were|was|are|is|have|has|had)\b|\bwhat (?:caused|drove|is driving|was driving)\b"
    r"|\b(?:because of|due to|the reason for|reasons for|what's behind|what is behind)\b"
)
# what it could only guess: declined after stock cover ("what will sell out next week?" is answered)
FORECASTS = (
    "forecast*|predict*|projection*|next month|next week|next year|will we sell|going to sell"
    "|expect to sell|tomorrow|will we make|will we earn|will revenue|will sales|going to make"
)
# periods it cannot pin to days: asked to name the days rather than answered for another period
HAZY = (
    "holiday*|season*|summer|winter|spring|autumn|easter|ramadan|diwali|prime day|fiscal|launch|the sale"
    "|black week"
)
GREETING = re.compile(
    r"^(?:hi|hello|hey|heya|hiya|yo|howdy|thanks|thank you|thx|cheers|good (?:morning|afternoon|evening)"
    r"|morning|help)\b|what can you do"
)
# small talk around a question ("Hey! quick one -", "hello, how are you?"): not what is asked
SMALL_TALK = re.compile(
    r"^(?:(?:hi|hello|hey|heya|hiya|yo|howdy|thanks|thank you|thx|cheers|good (?:morning|afternoon|evening)"
    r"|morning|ok|okay|hey there|hi there|team|all|folks|elara|bot|mate|quick one|quick question"
    r"|question|one more)\b[\s!,.:;?-]*)+"
    r"|\b(?:how are (?:you|u|things)(?: doing)?|how's it going|hows it going|how're you"
    r"|hope you're (?:well|good)"
    r"|hope all is well)\b[\s!,.?]*"
)
LOWEST = (
    "worst|least|lowest|slowest|weakest|bottom|poorest|not selling|slow mover*|slow-moving|slow selling"
    "|underperform*"
)
UNSOLD = (
    "didn't sell|did not sell|didnt sell|no sales|zero sales|haven't sold|havent sold|never sold|unsold"
    "|not sold|nothing sold|sold nothing|without sales|without a sale"
)
WRITES = (
    "refund order|issue a refund|give a refund|change the price|set the price|update the price"
    "|discount code|create a discount|send an email|email the|message the customer|cancel order"
    "|cancel the order|delete|restock the|add stock|mark as shipped|ship order|raise the price"
    "|lower the price"
)


@dataclass
class MerchantPlan:
    calls: list[ToolCallPlan] = field(default_factory=list)
    decline: str | None = None


def _decline(reason: str) -> MerchantPlan:
    return MerchantPlan(decline=f"{CANNOT} {reason} {CAN_DO}".replace("  ", " "))


def _unavailable(msg: str) -> MerchantPlan | None:
    """A question about data the store does not hold (costs, suppliers, traffic, marketing...)."""
    for vocabulary, topic in UNSUPPORTED:
        if _any(msg, vocabulary):
            what = "" if topic == "that" else f" I have no data on {topic}."
            return _decline(what.strip())
    if PRICED_AGAINST.search(msg):
        return _decline("I have no data on competitors or the market.")
    if CAUSE.search(msg):
        return _decline(
            "I have figures, not their causes: I can show how sales moved over a period, not why."
        )
    if TAKES.search(msg):
        return _decline("I have no data on suppliers, lead times or deliveries.")
    return None


def _refused(msg: str) -> MerchantPlan | None:
    """A change to make, or a forecast."""
    if _any(msg, WRITES) or WRITE.search(msg):
        return _decline(
            "I only read the store's data: I can't change orders, prices, stock or message anyone."
        )
    if _any(msg, FORECASTS):
        return _decline("I have no data on forecasts.")
    return None


def _limit(msg: str, default: int) -> int:
    found = TOP_N.search(msg)
    if not found:
        return default
    word = found.group(1) or found.group(2)
    return max(1, min(100, WORD_N.get(word) or int(word)))


def _category(msg: str, categories: Sequence[str]) -> str | None:
    """The store category named in the question ("in Outdoor", "footwear sales"), matched on any level."""
    names = {part.strip() for path in categories for part in path.split(">") if part.strip()}
    for name in sorted(names, key=len, reverse=True):
        low = name.lower()
        stem = low[:-1] if low.endswith("s") and len(low) > 3 else low
        if re.search(r"\b" + re.escape(stem) + r"(?:s|es)?\b", msg):
            return name
    return None


def _periods(msg: str, today: date) -> tuple[list[Found], str]:
    """The period phrases of the question, read on ``today`` (the run's day in the store's calendar), and
    why a period said could not be read ('' when none)."""
    try:
        return find_periods(msg, today), ""
    except InvalidInput as exc:
        return [], f"({exc.message})"


# time words left once the periods read are taken out: a period said that could not be read
UNREAD = re.compile(
    r"\b(?:since|ago|between)\b|\b(?:until|till)\b(?! now\b| today\b| date\b)"
    r"|\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b|\b(?:19|20)\d{2}\b"
    r"|\bq[05-9]\b|\b(?:h[12]|fy\d*|financial year|fiscal year|half[- ]year\w*)\b"
    r"|\b(?:first|second|1st|2nd|front|back|latter|last|later|closing|opening) half\b"
    r"|\bfirst (?:six|6) months\b"
    r"|\b(?:last|past|previous|these|the) (?:few|couple(?: of)?|several|many) (?:days|weeks|months)\b"
    r"|\b(?:recently|lately|these days|the other day|a while (?:ago|back))\b"
    r"|\b(?:day|weekend) (?:after|before) \w+"
)


def _unread_period(msg: str, found: list[Found]) -> str:
    """'("...")' naming the time words of ``msg`` no period read covers, '' when there are none."""
    rest = plain(msg)
    for item in found:
        rest = rest.replace(item.phrase, " ")
    hit = UNREAD.search(rest)
    return "" if hit is None else f'("{hit.group(0)}")'


GENERIC = {"the", "and", "for", "with", "set", "pack", "pro", "plus", "mini", "max", "new", "classic", "one"}


def _product(msg: str, products: Sequence[str], categories: Sequence[str]) -> str | None:
    """A product the question names: a whole title, else a distinctive word of one ("lamp", "socks")."""
    for title in sorted(products, key=len, reverse=True):
        if len(title) > 3 and title.lower() in msg:
            return title
    taken = {part.strip().lower() for path in categories for part in path.split(">")}
    words: set[str] = {w for title in products for w in re.findall(r"[a-z]{3,}", title.lower())}
    words -= GENERIC | taken | RESERVED
    for word in sorted(words, key=len, reverse=True):
        if re.search(r"\b" + re.escape(word) + r"(?:s|es)?\b", msg):
            return word
    return None


SALES = (
    "sell*|sold|sale|sales|revenue*|turnover|earn*|made|make|income|takings|gmv|orders|order count|business"
    "|rev|revs|receipts|proceeds|top line|topline|banked|rang up|rung up|ring up|cash in|cashed in|bucks"
    "|dollars|brought in|pulled in|raked in|rake in|rakes in|raking in|shifted|moved|trade|trading|volume"
    "|bring in|come in|came in"
    "|how did we do|perform*|money|bring in|brought in|how much|doing|numbers|figures|stats|statistics|kpi*"
    "|report|results|summary|overview|hit|reach*|target*|goal*|take|taking*|gross*"
)
RANK = (
    "top|best|most popular|bestsell*|best-sell*|popular|biggest|leading|sells best|selling best|sold most"
    "|most sold|highest|number one|#1|star|rank*|leaderboard|placed the most|most orders|the most"
)
CUSTOMERS = (
    "customer*|client*|buyer*|shopper*|spender*|who bought|who spent|who buys|who spends|vip*|who ordered"
    "|loyal|who placed|who has ordered"
)
CHANNELS = (
    "channel*|telegram|webchat|web chat|website|widget|platform*|where do orders|where our orders"
    "|which source|source*|web vs|slack|per channel|web|online|came through|through the web"
)
COMPARE = (
    "compare*|comparison|vs|versus|against|than|growth|grow*|grew|change*|increase*|decrease*|up or down"
    "|difference|trend up|better|worse|improv*|period over period|week over week|month over month"
    "|year over year|yoy|mom|wow"
)
TREND = "trend*|chart*|graph*|plot*|daily|per day|day by day"
# the channels an order comes through, as merchants name them
CHANNEL_WORDS = {
    "telegram": "telegram",
    "web": "web|website|webchat|web chat|widget|web shop|webshop|online shop|online store|our site|the site",
    "slack": "slack",
    "email": "email|e-mail",
    "cli": "command line|terminal|cli",
}
# a question about how channels share the sales, not about one channel's figure
CHANNEL_SPLIT = (
    "share|percent*|proportion|split|breakdown|by channel|per channel|each channel|which channel*"
    "|what channel*|channels|mix|rest of|other channels"
)
# "how many ... did we sell / move": units, unless it counts something else
HOW_MANY_UNITS = re.compile(
    r"\b(?:how many|number of|count of|quantity of)\b"
    r"(?! (?:orders?|customers?|clients?|buyers?|refunds?|returns?|carts?|searches|shoppers?"
    r"|people|chats?|conversations?|days?|weeks?|months?|times|variants?|skus?|categories|channels?"
    r"|dollars?|euros?|pounds?)\b)"
)
# the planner's own words ("top", "sales", "best"...): never read as a product's name
RESERVED = set(re.findall(r"[a-z]+", "|".join((SALES, RANK, CUSTOMERS, CHANNELS, COMPARE))))


def _cover_days(msg: str) -> int | None:
    """'within 2 weeks', 'in the next week', 'next month' as a number of days."""
    found = DAYS_LEFT.search(msg)
    if not found:
        return None
    count = found.group(1)
    unit = found.group(2) or found.group(3) or found.group(4)
    number = 1 if count is None else WORD_N.get(count) or NUMBERS_SMALL.get(count) or int(count)
    return number * {"day": 1, "week": 7, "month": 30}[unit.rstrip("s")]


def _stock_cover(msg: str, product: str | None, category: str | None) -> list[ToolCallPlan]:
    """Days of stock left: asked outright ("when do we run out of socks?", "days of stock"), or "how long
    will it last" of stock, a product or a category; of the product or category named."""
    if RAN_OUT.search(msg):  # "we've run out of" is out of stock now
        return []
    named = product is not None or category is not None
    days = _cover_days(msg)
    if NEARLY.search(msg) and not named and days is None:  # "what's about to run out?" is low stock
        return []
    running_out = _any(msg, "running out") and named  # "are we running out of boots?"
    asked = _any(msg, COVER_ASKED) and (named or _any(msg, STOCK_NOUNS))
    if not (_any(msg, COVER_WORDS) or asked or running_out or (named and _on_hand(msg))):
        return []
    args: dict[str, Any] = {} if days is None else {"max_days": days}
    asked_in = re.search(r"\b(weeks?|months?)\b(?! (?:ago|from now)\b)", msg)
    if asked_in and days is None:  # "weeks of stock left": answered in weeks
        args["unit"] = asked_in.group(1).rstrip("s") + "s"
    if product is not None:
        args["product"] = product
    elif category is not None:
        args["category"] = category
    return [ToolCallPlan("stock_cover", args)]


def _on_hand(msg: str) -> bool:
    """'How many Trail Boots do we have left?': the stock of what is named (with how long it lasts), not a
    threshold, a low or out-of-stock list, or its sales."""
    if not _any(msg, "left|in stock|on hand|remaining|" + STOCK_NOUNS):
        return False
    sales = _any(msg, "sold|sell*|sales|revenue|made|bought|ordered|orders")
    out = _any(msg, "out of stock|sold out|none left|no stock|zero|low*") or NEARLY.search(msg)
    return not (sales or out or _stock_bound(msg) is not None or LEFT_IN_CART.search(msg))


def _count(word: str) -> int:
    return COUNTS[word] if word in COUNTS else int(word)


def _stock_bound(msg: str) -> int | None:
    """The stock threshold said: 'fewer than 5' -> 4, '5 or fewer', 'at most 5', 'only 5 left' -> 5."""
    if found := BELOW.search(msg):
        return max(0, _count(found.group(1)) - 1)
    if found := AT_MOST.search(msg):
        return _count(found.group(1) or found.group(2))
    if found := COUNT_LEFT.search(msg):
        return _count(found.group(1) or found.group(2))
    return None


def _threshold(msg: str) -> int:
    """The threshold said, else 3 (what "low" means here)."""
    bound = _stock_bound(msg)
    return 3 if bound is None else bound


def _stock(msg: str, period: dict[str, str]) -> list[ToolCallPlan]:
    msg = re.sub(
        r"\b(?:the )?(?:last|past) (?:few|couple(?: of)?) (?:days|weeks|months)\b", " ", msg
    )  # a time
    wanted = _any(
        msg,
        "ask for|asked for|asking for|looking for|searched for|searching for|search*|don't stock"
        "|dont stock|do not stock|don't carry|do not carry|don't sell|search for|requested|want*"
        "|don't have|dont have|do not have|missing|demand",
    )
    stocky = _any(msg, "out of stock|sold out|unavailable|stock*|inventory|restock*|reorder*")
    lacking = "don't have|dont have|do not have|don't stock|dont stock|do not stock|don't carry"
    # asked for and not carried ("searching for that we don't sell"): searches that found nothing, unless it
    # is said to be out of stock now ("that we don't have in stock", "that's sold out")
    rest = NOT_CARRIED.sub(" ", msg)
    lacking_found = NOT_CARRIED.search(msg)
    searched = lacking_found is not None and re.search(r"find|result|match|hit|found|came", lacking_found[0])
    out_now = OUT_NOW.search(rest) or RAN_OUT.search(rest)
    if lacking_found and (searched or _any(rest, ASKED)) and not out_now:
        return [ToolCallPlan("conversion", dict(period))]
    if wanted and (stocky or RAN_OUT.search(msg) or _any(msg, lacking)):
        return [ToolCallPlan("wanted_out_of_stock", {"days": 30, **period})]
    # low before out: "nearly out of stock" is low stock, and "2 or fewer units left" a threshold
    counted = _stock_bound(msg) is not None and _any(msg, "left|remaining|in stock|on hand|" + STOCK_NOUNS)
    low = NEARLY.search(msg) or LOW.search(msg) or N_LEFT.search(msg) or _any(msg, LOW_WORDS)
    if (counted and not LEFT_IN_CART.search(msg)) or low:
        return [ToolCallPlan("low_stock", {"threshold": _threshold(msg)})]
    out = _any(msg, "out of stock|sold out|none left|zero stock|no stock|zero inventory|nothing left")
    if out or RAN_OUT.search(msg):
        return [ToolCallPlan("low_stock", {"threshold": 0})]
    if stocky:
        return [ToolCallPlan("low_stock", {"threshold": _threshold(msg)})]
    return []


def _other(msg: str, period: dict[str, str]) -> list[ToolCallPlan]:
    calls: list[ToolCallPlan] = []
    about_returns = SEARCH_RESULTS.sub(" ", msg)  # "searches that return no results" are not returns
    if SENT_BACK.search(msg) or _any(
        about_returns,
        "refund*|return*|sent back|send back|money back|chargeback*|rma|pay back|paid back"
        "|give back|gave back|reimburs*",
    ):
        calls.append(ToolCallPlan("refunds_and_returns", dict(period)))
    if _any(
        msg,
        "conversion*|convert*|funnel|no result*|zero result*|found nothing|without finding"
        "|couldn't find|could not find|can't find|cant find|cannot find|not found|no match*|found no"
        "|nothing found|empty search*"
        "|failed search*|chats to orders|chat to order|conversations|chatted|purchase rate"
        "|chat to purchase|buy rate|close rate|chats|talked to|didn't buy|did not buy"
        "|without buying|browsed|turned into orders|lead to orders|led to orders|searches",
    ):
        calls.append(ToolCallPlan("conversion", dict(period)))
    elif LEFT_IN_CART.search(msg) or _any(
        msg,
        "abandon*|left in cart*|left in their cart*|unfinished cart*|unpaid cart*"
        "|unfinished checkout*|incomplete checkout*|abandoned checkout*|didn't complete"
        "|not completed|idle|open carts|carts|never checked out|didn't check out|did not check out",
    ):
        found = HOURS.search(msg)
        if period and not found:  # carts abandoned over a period: counted with the conversion figures
            calls.append(ToolCallPlan("conversion", dict(period)))
        else:
            calls.append(
                ToolCallPlan("abandoned_carts", {"idle_hours": int(found.group(1)) if found else 24})
            )
    return calls


def _channel(msg: str) -> str | None:
    """The one channel a question is about ("how much came in via Telegram?"); None when it names none or
    several, or asks how channels share the sales."""
    named = [name for name, words in CHANNEL_WORDS.items() if _any(msg, words)]
    return named[0] if len(named) == 1 and not _any(msg, CHANNEL_SPLIT) else None


def _sales(
    msg: str, period: dict[str, str], phrases: list[str], categories: Sequence[str], product: str | None
) -> list[ToolCallPlan]:
    ranked = _any(msg, RANK) or bool(TOP_N.search(msg))
    units = _any(msg, "units|quantity|most sold|sold most|how many units|volume|pieces") or (
        product is not None and HOW_MANY_UNITS.search(msg) is not None
    )
    rank_by = "units" if units else "revenue"
    category = _category(msg, categories)
    channel = _channel(msg)
    if _any(msg, CHANNELS) and channel is None:
        return [ToolCallPlan("sales_breakdown", {"by": "channel", **period, "limit": 10})]
    calls = _sales_of(msg, period, phrases, product, ranked, rank_by, category)
    if not calls and channel is not None:  # "how did Telegram do in December?": that channel's sales
        calls = [ToolCallPlan("sales_summary", dict(period))]
    if channel is not None:  # one channel's figures: every sales tool but the chart and per-category takes it
        calls = [
            ToolCallPlan(c.name, {**c.args, "channel": channel}) if c.name in CHANNEL_TOOLS else c
            for c in calls
        ]
    return calls


CHANNEL_TOOLS = frozenset(("sales_summary", "average_order_value", "compare_periods", "sales_breakdown"))


def _sales_of(
    msg: str,
    period: dict[str, str],
    phrases: list[str],
    product: str | None,
    ranked: bool,
    rank_by: str,
    category: str | None,
) -> list[ToolCallPlan]:
    if _any(msg, "which day|what day|best day|busiest day|peak day|slowest day|worst day"):
        return [ToolCallPlan("revenue_chart", dict(period))]  # the daily series names its best day
    if _any(msg, UNSOLD):
        return [ToolCallPlan("unsold_products", dict(period))]
    if _any(msg, LOWEST):
        args = {"by": "product", **period, "rank_by": rank_by, "lowest_first": True, "limit": _limit(msg, 5)}
        return [ToolCallPlan("sales_breakdown", {**args, **({"category": category} if category else {})})]
    if _any(
        msg,
        "aov|average order*|avg order*|average basket*|basket size*|average spend|order value*"
        "|average sale|average transaction|typical order*|average ticket|per order|order size*"
        "|per transaction|per purchase|avg basket*|basket value*|typical basket*|avg spend|typical spend"
        "|avg sale*|avg ticket|ticket size|avg transaction*|mean order*|average cart|avg cart|cart size"
        "|cart value|spend per order|spent per order|usual order*|normal order*|order average|basket average"
        "|mean basket*|typical purchase*|average purchase*|avg purchase*|typical transaction*",
    ):
        return [ToolCallPlan("average_order_value", dict(period))]
    ranks_customers = ranked or _any(msg, "who|which|most|spent|spend|vip*|loyal*|key")
    if _any(msg, CUSTOMERS) and ranks_customers:
        return [ToolCallPlan("sales_breakdown", {"by": "customer", **period, "limit": _limit(msg, 5)})]
    if product is not None:
        args = {"by": "product", **period, "product": product, "rank_by": rank_by, "limit": _limit(msg, 10)}
        return [ToolCallPlan("sales_breakdown", args)]
    per_category = _any(
        msg,
        "each category|every category|per category|each department|by category|each section|in each"
        "|for each|category by category",
    )
    if per_category and ranked:
        return [ToolCallPlan("best_sellers_by_category", dict(period))]
    if per_category or _any(msg, "categor*", "department*", "section*") and not category:
        return [ToolCallPlan("sales_breakdown", {"by": "category", **period, "limit": 50})]
    if ranked or _any(
        msg,
        "which product*|what product*|which item*|what item*|by product|per product|each product"
        "|product breakdown|what sold|what sells|what's selling|whats selling|what is selling"
        "|what did we sell",
    ):
        args = {"by": "product", **period, "rank_by": rank_by, "limit": _limit(msg, 5 if ranked else 10)}
        calls = [ToolCallPlan("sales_breakdown", {**args, **({"category": category} if category else {})})]
        summary = not ranked and _any(
            msg, "what did we sell", "what sold", "what have we sold", "what we sold"
        )
        if summary or _any(msg, "how much", "revenue", "total", "how many orders") and "and" in msg.split():
            calls.insert(0, ToolCallPlan("sales_summary", dict(period)))
        return calls
    if category:
        return [
            ToolCallPlan("sales_breakdown", {"by": "product", **period, "category": category, "limit": 10})
        ]
    if len(phrases) >= 2 or _any(msg, COMPARE):
        other = {"other_period": phrases[1]} if len(phrases) >= 2 else {}
        return [
            ToolCallPlan("compare_periods", {"period": phrases[0] if phrases else "last 7 days", **other})
        ]
    if _any(msg, SALES, TREND):
        return [ToolCallPlan("sales_summary", dict(period))]
    return []


def understand_merchant(
    text: str, categories: Sequence[str] = (), products: Sequence[str] = (), today: date | None = None
) -> MerchantPlan:
    """The tool calls answering ``text``, or an honest decline; ``categories`` and ``products`` (titles)
    are the store's, for questions about one of them; ``today`` is the run's day in the store's calendar
    (the periods are read on it; the system clock's UTC day when not given)."""
    msg = normalize(text).replace("'", "'")
    greeted = GREETING.search(msg) is not None
    msg = SMALL_TALK.sub(" ", msg).strip()  # a greeting is the answer only when nothing else is asked
    unavailable = _unavailable(msg)  # before any matcher: "how long does our supplier take" is not cover
    if unavailable is not None:
        return unavailable
    product = _product(msg, products, categories)
    cover = _stock_cover(msg, product, _category(msg, categories))  # "what will sell out next week" too
    if cover:
        return MerchantPlan(cover)
    refused = _refused(msg)
    if refused is not None:
        return refused
    order = ORDER_NUMBER.search(text)
    if order:
        return MerchantPlan([ToolCallPlan("order_details", {"number": order.group(1).upper()})])
    if not msg or GREETING.search(msg) and not _any(msg, SALES, RANK, CUSTOMERS, "stock*|refund*|return*"):
        return MerchantPlan(decline=f"Hello! {CAN_DO}")
    day = today or store_today(None)
    found, unreadable = _periods(msg, day)
    if len(found) > 1:  # "in total last month": the named period, not all time against it
        found = [f for f in found if f.span.name != "all time"] or found
    phrases = [f.phrase for f in found]
    period = {"period": phrases[0]} if phrases else {}
    calls = _stock(msg, period) or _other(msg, period)
    if not calls:
        calls = _sales(msg, period, phrases, categories, product)
    multi_day = not found or found[0].span.days > 1
    trend = _any(msg, TREND, "over time")
    store_wide = not any("channel" in c.args for c in calls)  # the chart is the whole store's
    if calls and store_wide and (trend or (multi_day and calls[0].name == "sales_summary")):
        calls.append(ToolCallPlan("revenue_chart", dict(period)))  # sales over days come with their trend
    if not calls:
        return MerchantPlan(decline=f"Hello! {CAN_DO}") if greeted else _decline("")
    dated = any(c.name in PERIOD_TOOLS for c in calls)
    unread = unreadable or _unread_period(msg, found)
    if dated and unread:  # never answered for another period (the default 7 days) than the one said
        return _decline(
            f"I couldn't read the period {unread}. I read periods such as 'last month', 'November',"
            " 'since Monday', 'last 30 days', 'Q1 2031', 'Black Friday last year', 'all time' or"
            " '2031-03-01 to 2031-03-14'."
        )
    if not found and _any(msg, HAZY) and any(c.name in PERIOD_TOOLS for c in calls):
        return _decline(
            'I can\'t tell which days that period covers: name them, e.g. "from December 20 to January 2".'
        )
    return MerchantPlan(calls)


PERIOD_TOOLS = frozenset(
    (
        "sales_summary", "average_order_value", "compare_periods", "sales_breakdown",
        "best_sellers_by_category", "unsold_products", "refunds_and_returns", "conversion", "stock_cover",
        "revenue_chart",
    )
)  # fmt: skip


class OfflineMerchantModel(ScriptedChatModel):
    """The analyst's model when no hosted one is configured (or it failed): `understand_merchant` picks
    the tool calls; once their results are back, the reply is their texts (the tables are parts)."""

    llm_type = "elara-offline-merchant"

    def reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        if results := tool_results_since_last_human(messages):  # each one's first paragraph, as a sentence
            texts = (r.text.split("\n\n")[0].removeprefix("error: ") for r in results)
            return AIMessage(content="\n".join(texts))
        vocabulary = _configured("merchant_categories"), _configured("merchant_products")
        today = _configured("merchant_today")
        day = date.fromisoformat(today) if isinstance(today, str) else None
        plan = understand_merchant(last_human_text(messages), *vocabulary, today=day)
        return tool_calls(plan.calls, plan.decline or "")


def _configured(key: str) -> Any:
    """What the analyst put in the run's config: the store's vocabulary (categories, product titles, as
    lists) and the run's day (an ISO date); () when absent."""
    try:
        from langgraph.config import get_config

        given = get_config().get("configurable", {}).get(key)
    except RuntimeError:  # called outside a graph run
        return ()
    return given if isinstance(given, list | tuple | str) else ()
