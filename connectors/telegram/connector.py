"""Telegram for shoppers: python-telegram-bot's Application in webhook mode inside the FastAPI app.

Updates arrive at ``POST /webhooks/telegram`` (routes.py), are deduplicated on ``update_id`` in
PostgreSQL and processed in a background task with ``Application.process_update``. Text and button
presses become :class:`InboundMessage` turns of the conversation service; the platform-neutral reply is
rendered by render.py. Every Bot API call is retried on 429 and transient errors; a shopper who blocked
the bot has their identity marked inactive and is not written to again until they write first.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

from psycopg_pool import AsyncConnectionPool
from pydantic import ValidationError
from telegram import LinkPreviewOptions, Message, Update, User
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential

from connectors.telegram import repository
from connectors.telegram.render import SAY_PREFIX, Outgoing, esc, render_reply
from elara_bot.config import TelegramSettings
from elara_bot.contracts import InboundMessage, OutboundReply
from elara_bot.db import Conn
from elara_bot.errors import ElaraError

log = logging.getLogger(__name__)

T = TypeVar("T")
Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
TelegramApp = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Context]
]
DEFAULT_API = "https://api.telegram.org"
ALLOWED_UPDATES = ["message", "callback_query"]
TYPING_EVERY_S = 4.0
GREETING = (
    "Hi {name}! I'm the shop assistant.\n\n"
    'Tell me what you are looking for, e.g. "running shoes under $100" or "a red hoodie in size M". '
    "I'll show products with buttons to add them to your cart, then send you a secure link to pay.\n\n"
    "You can also ask about your orders, shipping and returns. /cart shows your cart."
)
SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
TEXT_ONLY = "I can only read text messages for now. Tell me what you are looking for!"
UNREADABLE = "Sorry, I couldn't take that message ({reason}). Please send it again, shorter or in plain text."
CLEARS_KEYBOARD = {"checkout", "confirm", "deny"}


class Conversation(Protocol):
    async def handle(self, message: InboundMessage) -> OutboundReply: ...


def webhook_secret(settings: TelegramSettings) -> str:
    """The configured secret token, or one derived from the bot token (Telegram allows [A-Za-z0-9_-])."""
    if settings.secret_token is not None:
        return settings.secret_token.get_secret_value()
    if settings.token is None:
        raise ValueError("ELARA_TELEGRAM__TOKEN is not set")
    seed = b"elara-telegram-webhook:" + settings.token.get_secret_value().encode()
    return hashlib.sha256(seed).hexdigest()


def build_application(settings: TelegramSettings) -> TelegramApp:
    if settings.token is None:
        raise ValueError("ELARA_TELEGRAM__TOKEN is not set")
    base = (settings.api_base or DEFAULT_API).rstrip("/")
    return (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .updater(None)
        .build()
    )


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _transient(exc: BaseException) -> bool:
    """429s, time-outs and network failures; a BadRequest is a NetworkError in PTB but is final."""
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


class TelegramConnector:
    def __init__(
        self,
        application: TelegramApp,
        pool: AsyncConnectionPool[Conn],
        conversation: Conversation,
        public_url: str,
        *,
        max_attempts: int = 5,
        max_retry_wait_s: float = 30.0,
    ) -> None:
        self.application = application
        self._pool = pool
        self._conversation = conversation
        self._public_url = public_url
        self._max_attempts = max_attempts
        self._max_retry_wait_s = max_retry_wait_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._add_handlers()

    @property
    def bot(self) -> ExtBot[None]:
        return self.application.bot

    @property
    def bot_id(self) -> str:
        return self.bot.token.split(":", 1)[0]

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.application.initialize()  # getMe
        await self.application.start()
        async with self._pool.connection() as conn:
            await repository.prune_updates(conn)

    async def stop(self, grace_s: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in self._tasks:
            task.cancel()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    # --- inbound ---------------------------------------------------------------------------------
    async def accept(self, data: Mapping[str, Any]) -> bool:
        """Record the update and process it in the background; False for a duplicate delivery."""
        async with self._pool.connection() as conn:
            new = await repository.record_update(conn, self.bot_id, int(data["update_id"]))
        if new:
            task = asyncio.create_task(self._process_logged(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return new

    async def process(self, data: Mapping[str, Any]) -> None:
        """Run the handlers for one update (inline: they are done when this returns)."""
        update = Update.de_json(dict(data), self.bot)
        await self.application.process_update(update)

    async def _process_logged(self, data: Mapping[str, Any]) -> None:
        try:
            await self.process(data)
        except Exception:  # a malformed update: handler errors are already routed to _on_error
            log.exception("telegram update %s could not be processed", data.get("update_id"))

    async def poll(self, *, once: bool = False, timeout_s: int = 30) -> int:
        """Long polling for local development (the webhook is removed first); returns updates handled."""
        await self._call(lambda: self.bot.delete_webhook())
        offset: int | None = None
        handled = 0
        while True:
            updates = await self._call(partial(self._get_updates, offset, timeout_s))
            for update in updates:
                offset = update.update_id + 1
                await self.application.process_update(update)
                handled += 1
            if once:
                return handled

    async def _get_updates(self, offset: int | None, timeout_s: int) -> tuple[Update, ...]:
        return await self.bot.get_updates(offset=offset, timeout=timeout_s, allowed_updates=ALLOWED_UPDATES)

    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(CommandHandler(["start", "help"], self._on_start))
        app.add_handler(CommandHandler("cart", self._on_cart))
        new_message = filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(new_message, self._on_other))
        app.add_error_handler(self._on_error)

    async def _on_start(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return
        await self._reactivate(str(user.id))
        await self._send(chat.id, [Outgoing(text=esc(GREETING.format(name=user.first_name)))], str(user.id))

    async def _on_cart(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.effective_user:
            await self._turn(update.effective_chat.id, update.effective_user, "Show my cart", "view_cart")

    async def _on_text(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        await self._turn(message.chat_id, user, message.text, None)

    async def _on_button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        await self._call(lambda: query.answer())
        message = query.message if isinstance(query.message, Message) else None
        chat_id = message.chat_id if message else query.from_user.id
        if query.data.startswith(SAY_PREFIX):
            await self._turn(chat_id, query.from_user, query.data.removeprefix(SAY_PREFIX), None)
            return
        if message is not None and query.data in CLEARS_KEYBOARD:
            with suppress(BadRequest):
                await self._call(lambda: message.edit_reply_markup(reply_markup=None))
        await self._turn(chat_id, query.from_user, _button_label(message, query.data), query.data)

    async def _on_other(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.effective_user and update.effective_message:
            await self._send(
                update.effective_chat.id, [Outgoing(text=esc(TEXT_ONLY))], str(update.effective_user.id)
            )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed: %r", update, exc_info=context.error)

    # --- one turn --------------------------------------------------------------------------------
    async def _turn(self, chat_id: int, user: User, text: str, action: str | None) -> None:
        try:
            inbound = InboundMessage(
                channel="telegram",
                external_user_id=str(user.id),
                conversation_key=str(chat_id),
                text=text,
                display_name=user.full_name,
                action=action,
            )
        except ValidationError as exc:  # answered, never dropped in silence
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            log.warning("telegram message from chat %s refused: %s", chat_id, reason)
            await self._send(chat_id, [Outgoing(text=esc(UNREADABLE.format(reason=reason)))], str(user.id))
            return
        await self._reactivate(str(user.id))
        async with self._chat_lock(chat_id):
            async with self._typing(chat_id):
                messages = await self._answer(inbound)
            await self._send(chat_id, messages, str(user.id))

    async def _answer(self, inbound: InboundMessage) -> list[Outgoing]:
        try:
            reply = await self._conversation.handle(inbound)
        except ElaraError as exc:
            return [Outgoing(text=esc(exc.message))]
        except Exception:
            log.exception("conversation turn failed for telegram chat %s", inbound.conversation_key)
            return [Outgoing(text=esc(SORRY))]
        return render_reply(reply, self._public_url)

    @asynccontextmanager
    async def _chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        """Turns of one chat run one after another, so replies keep the order of the messages."""
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        async with lock:
            yield

    @asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" while the agent works (Telegram clears it after 5 s, so it is repeated)."""

        async def keep_typing() -> None:
            while True:
                with suppress(TelegramError):
                    await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY_S)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # --- outbound --------------------------------------------------------------------------------
    async def send_reply(self, chat_id: int | str, reply: OutboundReply) -> bool:
        """Send a reply that is not the answer to a turn (e.g. a merchant's message during a handoff).

        Returns False without calling Telegram when the shopper blocked the bot, or when they block it now.
        """
        external_id = str(chat_id)
        async with self._pool.connection() as conn:
            if not await repository.identity_active(conn, external_id):
                log.info("telegram identity %s is inactive: reply not sent", external_id)
                return False
        return await self._send(int(chat_id), render_reply(reply, self._public_url), external_id)

    async def _send(self, chat_id: int, messages: list[Outgoing], external_id: str) -> bool:
        try:
            for message in messages:
                await self._deliver(chat_id, message)
        except Forbidden as exc:
            log.info("telegram user %s blocked the bot (%s): marking the identity inactive", external_id, exc)
            async with self._pool.connection() as conn:
                await repository.set_identity_active(conn, external_id, False)
            return False
        return True

    async def _deliver(self, chat_id: int, message: Outgoing) -> None:
        if message.photo is not None:
            photo = message.photo
            try:
                await self._call(
                    lambda: self.bot.send_photo(
                        chat_id,
                        photo=photo,
                        caption=message.text,
                        parse_mode=ParseMode.MARKDOWN_V2,
                        reply_markup=message.keyboard,
                    )
                )
                return
            except BadRequest as exc:  # e.g. Telegram could not fetch the image: send the text alone
                log.warning("telegram sendPhoto failed, sending text instead: %s", exc)
        await self._call(
            lambda: self.bot.send_message(
                chat_id,
                message.text,
                parse_mode=ParseMode.MARKDOWN_V2,
                reply_markup=message.keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call, retried on 429 (waiting ``retry_after``) and on transient errors."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=self._wait,
            stop=stop_after_attempt(self._max_attempts),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await request()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryAfter):
            return min(_seconds(exc.retry_after), self._max_retry_wait_s)
        backoff: float = wait_exponential(multiplier=0.5, max=8)(state)
        return backoff

    async def _reactivate(self, external_id: str) -> None:
        """A shopper who writes to the bot has unblocked it."""
        async with self._pool.connection() as conn:
            if await repository.set_identity_active(conn, external_id, True):
                log.info("telegram identity %s is active again", external_id)


def _button_label(message: Message | None, data: str) -> str:
    """The text of the pressed button (what the shopper "said"), else the action itself."""
    if message is not None and message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    return button.text
    return data
