"""Render a platform-neutral reply as Telegram messages (MarkdownV2, inline keyboards, photos).

The input is the platform-neutral ``OutboundReply`` (elara_bot/contracts.py, docs/contracts.md), its parts
matched by type. Every piece
of text that comes from the model, the catalog or a shopper is escaped with PTB's ``escape_markdown``;
only the formatting written here is markup. Texts are split under Telegram's limits (4096 characters for a
message, 1024 for a caption), counted on the escaped text, which is never shorter than what Telegram counts.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.helpers import escape_markdown

from elara_bot.cart.schemas import CartLine, CartPublic
from elara_bot.contracts import (
    CardVariant,
    CartPart,
    ChartPart,
    CheckoutLinkPart,
    HandoffPart,
    OrderPart,
    OutboundReply,
    ProductCard,
    ProductCardsPart,
    QuickRepliesPart,
    QuickReply,
    ReplyPart,
    TablePart,
)
from elara_bot.money import format_amount
from elara_bot.orders.schemas import OrderLine, OrderPublic

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
CALLBACK_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_VARIANT_BUTTONS = 8
MAX_DESCRIPTION = 300
SAY_PREFIX = "say:"  # a quick reply without an action: the button sends its message as typed text
_BOLD = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")
BOLD_MARGIN = 200  # room for the bold markers model_text adds after splitting
_SPECIAL = set("_*[]()~`>#+-=|{}.!\\")


# --- output ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: MarkdownV2 ``text`` (the caption when ``photo`` is set)."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    photo: str | bytes | None = None


def esc(text: str) -> str:
    return escape_markdown(text, version=2)


def model_text(text: str) -> str:
    """The model's text escaped, keeping its ``**bold**`` spans (on one line) as Telegram bold."""
    pieces = _BOLD.split(text)
    return "".join(f"*{esc(p)}*" if i % 2 else esc(p) for i, p in enumerate(pieces))


def format_money(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def _escaped_len(char: str) -> int:
    return 2 if char in _SPECIAL else 1


def split_plain(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split plain text so that each piece, once escaped, fits ``limit`` (paragraph, line, word breaks)."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        size, fit = 0, 0
        for char in rest:
            size += _escaped_len(char)
            if size > limit:
                break
            fit += 1
        if fit == len(rest):
            pieces.append(rest)
            break
        cut = _break_point(rest[:fit])
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces


def _break_point(window: str) -> int:
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > len(window) // 2:
            return at + len(separator)
    return len(window)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def absolute_url(url: str, public_url: str) -> str:
    return urljoin(public_url.rstrip("/") + "/", url)


def is_photo_url(url: str) -> bool:
    """Telegram fetches photos by URL but cannot show SVG; only http(s) raster images qualify."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and not parts.path.lower().endswith(".svg")


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode()) <= CALLBACK_LIMIT


def _button(label: str, action: str) -> InlineKeyboardButton | None:
    return InlineKeyboardButton(label, callback_data=action) if fits_callback(action) else None


def _keyboard(rows: list[list[InlineKeyboardButton | None]]) -> InlineKeyboardMarkup | None:
    kept = [[b for b in row if b is not None] for row in rows]
    kept = [row for row in kept if row]
    return InlineKeyboardMarkup(kept) if kept else None


# --- parts ----------------------------------------------------------------------------------------
def _options(options: Mapping[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in options.items())


def _price_range(card: ProductCard) -> str:
    low = format_money(card.price_min_minor, card.currency)
    if card.price_max_minor == card.price_min_minor:
        return low
    return f"{low} – {format_money(card.price_max_minor, card.currency)}"


def _variant_label(variant: CardVariant, currency: str) -> str:
    options = " / ".join(variant.options.values())
    price = format_money(variant.price_minor, currency)
    return shorten(f"Add {options} · {price}" if options else f"Add to cart · {price}", 60)


def card_message(card: ProductCard, public_url: str) -> Outgoing:
    in_stock = [v for v in card.variants if v.in_stock]
    header = f"*{esc(f'{card.position}. {shorten(card.title, 200)}')}*\n{esc(_price_range(card))}"
    if not in_stock:
        header += "\n_" + esc("Out of stock") + "_"
    description = shorten(card.description, MAX_DESCRIPTION)
    text = f"{header}\n\n{esc(description)}" if description else header
    rows: list[list[InlineKeyboardButton | None]] = [
        [_button(_variant_label(v, card.currency), f"add:{v.sku}:1")] for v in in_stock[:MAX_VARIANT_BUTTONS]
    ]
    rows.append([_button("More like this", f"more_like:{card.product_id}")])
    image = absolute_url(card.image_url, public_url) if card.image_url else None
    photo = image if image and is_photo_url(image) and len(text) <= CAPTION_LIMIT else None
    return Outgoing(text=text, keyboard=_keyboard(rows), photo=photo)


def _line_text(line: CartLine | OrderLine, currency: str) -> str:
    options = f" ({_options(line.options)})" if line.options else ""
    total = format_money(line.line_total_minor, currency)
    return esc(f"• {line.quantity} × {shorten(line.title, 80)}{options} — {total}")


def cart_messages(cart: CartPublic) -> list[Outgoing]:
    if not cart.lines:
        return [Outgoing(text=esc("Your cart is empty."))]
    lines = [_line_text(line, line.currency) for line in cart.lines]
    total = esc(format_money(cart.total_minor, cart.currency))
    count = f"({cart.item_count} item{'' if cart.item_count == 1 else 's'})"
    title = f"*{esc('Your cart')}* {esc(count)}"
    rows: list[list[InlineKeyboardButton | None]] = [[_button("Checkout", "checkout")]]
    rows += [[_button(shorten(f"Remove {line.title}", 40), f"remove:{line.sku}")] for line in cart.lines[:5]]
    return _pack([title, *lines, "", f"*{esc('Total:')}* {total}"], _keyboard(rows))


def checkout_message(part: CheckoutLinkPart) -> Outgoing:
    total = format_money(part.total_minor, part.currency)
    text = f"*{esc('Order ' + part.order_number)}* {esc('is ready: ' + total + '.')}\n" + esc(
        "Tap the button to pay securely."
    )
    button = InlineKeyboardButton(f"Pay {total}", url=part.url)
    return Outgoing(text=text, keyboard=InlineKeyboardMarkup([[button]]))


def order_messages(order: OrderPublic) -> list[Outgoing]:
    status = order.status.replace("_", " ")
    lines = [_line_text(line, order.currency) for line in order.lines]
    total = esc(format_money(order.total_minor, order.currency))
    text = [f"*{esc('Order ' + order.number)}*: {esc(status)}", *lines, "", f"*{esc('Total:')}* {total}"]
    if order.tracking:
        text.append(esc("Tracking: " + ", ".join(order.tracking)))
    keyboard = None
    if order.payment_url and order.status == "pending_payment":
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Pay now", url=order.payment_url)]])
    return _pack(text, keyboard)


def quick_reply_keyboard(replies: list[QuickReply]) -> InlineKeyboardMarkup | None:
    buttons = [
        _button(shorten(r.label, 40), r.action if r.action else SAY_PREFIX + (r.message or r.label))
        for r in replies
    ]
    return _keyboard([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def table_message(part: TablePart) -> list[Outgoing]:
    columns, rows = part.columns, part.rows
    widths = [max(len(r[i]) for r in [columns, *rows] if i < len(r)) for i in range(len(columns))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in [columns, *rows]]
    escaped = [escape_markdown(shorten(line, 1000), version=2, entity_type="pre") for line in lines]
    title = f"*{esc(shorten(part.title, 200))}*"
    blocks = _pack(escaped, None, TEXT_LIMIT - len(title) - 10)
    return [
        Outgoing(text=(title + "\n" if i == 0 else "") + f"```\n{b.text}\n```") for i, b in enumerate(blocks)
    ]


def _pack(lines: list[str], keyboard: InlineKeyboardMarkup | None, limit: int = TEXT_LIMIT) -> list[Outgoing]:
    """Join already escaped lines into messages under the limit; the keyboard goes on the last one.

    Each line is well-formed MarkdownV2 on its own, so cutting between lines never breaks an entity.
    """
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [
        Outgoing(text=c, keyboard=keyboard if i == len(chunks) - 1 else None) for i, c in enumerate(chunks)
    ]


def render_part(part: ReplyPart, public_url: str) -> list[Outgoing]:
    """The messages of one part; quick replies ride on the text's keyboard instead (``render_reply``)."""
    match part:
        case ProductCardsPart():
            return [card_message(card, public_url) for card in part.cards]
        case CartPart():
            return cart_messages(part.cart)
        case CheckoutLinkPart():
            return [checkout_message(part)]
        case OrderPart():
            return order_messages(part.order)
        case HandoffPart() if part.detail:
            return [Outgoing(text="_" + esc(part.detail) + "_")]
        case ChartPart():
            caption = f"*{esc(shorten(part.title, 200))}*"
            return [Outgoing(text=caption, photo=base64.b64decode(part.png_base64))]
        case TablePart():
            return table_message(part)
    return []


def render_reply(reply: OutboundReply, public_url: str) -> list[Outgoing]:
    """All the messages for one reply: its text (with the quick replies), then each part in order."""
    replies = [r for p in reply.parts if isinstance(p, QuickRepliesPart) for r in p.replies]
    keyboard = quick_reply_keyboard(replies)
    text = reply.text.strip()
    if not text and keyboard is not None:
        text = "Choose an option:"
    messages = [Outgoing(text=model_text(piece)) for piece in split_plain(text, TEXT_LIMIT - BOLD_MARGIN)]
    if keyboard is not None:
        messages[-1] = Outgoing(text=messages[-1].text, keyboard=keyboard)
    said = _squash(text)
    for part in reply.parts:
        messages.extend(m for m in render_part(part, public_url) if not _repeats(m, said))
    return messages


def _repeats(message: Outgoing, said: str) -> bool:
    """A part's bare sentence that the reply's text already says ("Your cart is empty." under "Your cart
    is empty."): sent once. Messages with buttons or a photo always go."""
    if message.keyboard is not None or message.photo is not None:
        return False
    plain = _squash(re.sub(r"\\(.)", r"\1", message.text).strip("_*"))
    return bool(plain) and plain in said


def _squash(text: str) -> str:
    return " ".join(text.lower().split())
