"""``elara chat``: talk to the shopping assistant in the terminal, on the same services as the web chat."""

from __future__ import annotations

import asyncio
import getpass
import logging
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from elara_bot.config import Settings, get_settings
from elara_bot.contracts import (
    CartPart,
    CheckoutLinkPart,
    DeltaEvent,
    ErrorEvent,
    HandoffPart,
    InboundMessage,
    OrderPart,
    OutboundReply,
    ProductCardsPart,
    QuickRepliesPart,
    ReplyPart,
    ToolEvent,
)
from elara_bot.conversation.service import ConversationService
from elara_bot.errors import ElaraError
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder

EXIT_WORDS = {"quit", "exit", "bye", ":q"}


def _money(minor: int, currency: str) -> str:
    return f"{minor / 100:,.2f} {currency}"


def render_part(console: Console, part: ReplyPart) -> None:
    """One reply part as rich output (tables for cards, cart and order; a link for checkout)."""
    if isinstance(part, ProductCardsPart):
        table = Table("#", "Product", "Price", "Options (SKU)", show_lines=False)
        for card in part.cards:
            price = _money(card.price_min_minor, card.currency)
            if card.price_max_minor != card.price_min_minor:
                price += f" – {_money(card.price_max_minor, card.currency)}"
            options = ", ".join(
                "/".join(v.options.values()) + f" ({v.sku})" for v in card.variants[:4] if v.in_stock
            )
            table.add_row(str(card.position), card.title, price, options or "out of stock")
        console.print(table)
    elif isinstance(part, CartPart):
        table = Table("Item", "Qty", "Total", title="Your cart")
        for line in part.cart.lines:
            table.add_row(line.title, str(line.quantity), _money(line.line_total_minor, line.currency))
        table.add_row(
            "[b]Total[/b]", str(part.cart.item_count), _money(part.cart.total_minor, part.cart.currency)
        )
        console.print(table)
    elif isinstance(part, CheckoutLinkPart):
        console.print(
            f"[b]Pay for order {part.order_number}[/b] ({_money(part.total_minor, part.currency)}):"
        )
        console.print(f"  [link={part.url}]{part.url}[/link]")
    elif isinstance(part, OrderPart):
        order = part.order
        console.print(
            f"Order [b]{order.number}[/b]: {order.status}, {_money(order.total_minor, order.currency)}"
        )
    elif isinstance(part, QuickRepliesPart):
        console.print("[dim]Try: " + " · ".join(r.message for r in part.replies) + "[/dim]")
    elif isinstance(part, HandoffPart):
        console.print(f"[yellow]Handoff {part.status}[/yellow] {part.detail}")


async def _turn(console: Console, service: ConversationService, inbound: InboundMessage) -> None:
    streamed = False
    try:
        events = await service.stream(inbound)
    except ElaraError as exc:
        console.print(f"[red]{exc.message}[/red]")
        return
    async for event in events:
        data = event.data
        if isinstance(data, ToolEvent) and data.status == "started":
            console.print(f"[dim]… {data.name}[/dim]")
        elif isinstance(data, DeltaEvent):
            streamed = True
        elif isinstance(data, OutboundReply):
            console.print(Markdown(data.text) if not streamed or data.text else "")
            for part in data.parts:
                render_part(console, part)
        elif isinstance(data, ErrorEvent):
            console.print(f"[red]{data.detail}[/red]")


async def chat_runtime(settings: Settings, embedder: Embedder | None = None) -> Runtime:
    """The runtime of a terminal chat: the services, without the connectors and the sweepers (the
    serving process runs those; a second copy would answer webhooks it never receives)."""
    from elara_bot.app import start_runtime

    return await start_runtime(settings, embedder, serve=False)


async def _session(user: str, messages: list[str]) -> None:
    from elara_bot.app import stop_runtime

    console = Console()
    with console.status("Starting Elara (database, catalog, model)…"):
        runtime = await chat_runtime(get_settings())
    service = runtime.chat()
    console.print(f"[b]Elara[/b] ({service.model._llm_type}). Ask for products; 'quit' leaves.")
    try:
        for text in messages or _prompts(console):
            if messages:
                console.print(f"[b cyan]you>[/b cyan] {text}")
            inbound = InboundMessage(channel="cli", external_user_id=user, conversation_key=user, text=text)
            await _turn(console, service, inbound)
    finally:
        await stop_runtime(runtime)


def _prompts(console: Console) -> Iterator[str]:
    while True:
        try:
            text = console.input("[b cyan]you>[/b cyan] ").strip()
        except (EOFError, KeyboardInterrupt):
            return
        if text.lower() in EXIT_WORDS:
            return
        if text:
            yield text


def chat(
    message: Annotated[
        list[str] | None, typer.Option("--message", "-m", help="send these messages and exit (repeatable)")
    ] = None,
    user: Annotated[str, typer.Option(help="who you are: your conversation and cart are kept per name")] = "",
) -> None:
    """Chat with the shopping assistant in the terminal (the conversation is resumed next time)."""
    if logging.getLogger().level < logging.WARNING:  # keep the chat readable unless --verbose
        logging.getLogger().setLevel(logging.WARNING)
    asyncio.run(_session(user or getpass.getuser(), message or []))


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
