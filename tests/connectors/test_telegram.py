"""The Telegram connector over real HTTP: python-telegram-bot against the Bot API stand-in, updates
posted to the live service's webhook with the secret token, and the database checked afterwards."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from connectors.telegram import TelegramConnector, webhook_secret
from connectors.telegram import routes as telegram_routes
from elara_bot.api.errors import install_error_handlers
from elara_bot.app import start_runtime, stop_runtime
from elara_bot.config import TelegramSettings
from elara_bot.contracts import OutboundReply
from elara_bot.db import connect, migrate
from elara_bot.runtime import Runtime
from retrieval.embedding import Embedder
from tests.conftest import create_database, drop_database, make_settings
from tests.connectors.conftest import TELEGRAM_SECRET as SECRET
from tests.connectors.conftest import ids as _ids
from tests.helpers import serve_in_thread
from tests.stubs.telegram_stub import TelegramCall, TelegramStub

WEBHOOK = "/webhooks/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


# --- helpers ------------------------------------------------------------------------------------------
def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Ada", "last_name": "Lovelace"}


def message_update(user_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": next(_ids), "message": message}


def button_update(user_id: int, sent: TelegramCall, data: str) -> dict[str, Any]:
    """A press on one of the buttons of a message the bot sent (as the stand-in recorded it)."""
    assert data in [b.get("callback_data") for b in sent.buttons], (data, sent.buttons)
    message = {**sent.result, "from": {"id": 999, "is_bot": True, "first_name": "Shop"}}
    query = {
        "id": str(next(_ids)),
        "from": user(user_id),
        "chat_instance": "ci-1",
        "data": data,
        "message": message,
    }
    return {"update_id": next(_ids), "callback_query": query}


def new_user() -> int:
    return 10_000_000 + next(_ids)


@pytest.fixture
def bot_service(
    bare_db_url: str, tmp_path: Path, embedder: Embedder, telegram: dict[str, Any]
) -> Iterator[str]:
    """The webhook on loopback: the real runtime (lifespan), error handlers and Telegram router."""
    settings = make_settings(bare_db_url, tmp_path, telegram=telegram, public_url="https://shop.example.com")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await start_runtime(settings, embedder)
        yield
        await stop_runtime(app.state.runtime)

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(telegram_routes.router)
    with serve_in_thread(app) as base_url:
        yield base_url


@pytest.fixture
def shop_service(
    live_service: Callable[..., AbstractContextManager[str]], telegram: dict[str, Any]
) -> Iterator[str]:
    """The whole service with the demo store, for a shopper's purchase."""
    with live_service(telegram=telegram) as base_url:
        yield base_url


@pytest.fixture
async def bare_db_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A database with the migrations only (no demo store): enough for the connector's own behaviour."""
    name = f"elara_tg_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_admin_url, name)
    await migrate(url)
    yield url
    drop_database(pg_admin_url, name)


@pytest.fixture
async def runtime(
    bare_db_url: str, tmp_path: Path, embedder: Embedder, telegram: dict[str, Any]
) -> AsyncIterator[Runtime]:
    """The real runtime in this test's event loop (the connector's handlers run inline)."""
    settings = make_settings(bare_db_url, tmp_path, telegram=telegram, public_url="https://shop.example.com")
    rt = await start_runtime(settings, embedder)
    yield rt
    await stop_runtime(rt)


@pytest.fixture
def connector(runtime: Runtime) -> TelegramConnector:
    conn: TelegramConnector = runtime.connectors["telegram"]
    return conn


async def post_update(base_url: str, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    headers = {HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post(WEBHOOK, json=update, headers=headers)


async def quiet(seconds: float = 0.5) -> None:
    """Give background processing the time to (wrongly) send something."""
    await asyncio.sleep(seconds)


async def identity_active(db_url: str, external_id: str) -> bool | None:
    async with connect(db_url) as conn:
        cur = await conn.execute(
            "SELECT active FROM customer_identities WHERE channel = 'telegram' AND external_id = %s",
            (external_id,),
        )
        row = await cur.fetchone()
        return None if row is None else bool(row["active"])


# --- the webhook ---------------------------------------------------------------------------------------
class TestWebhook:
    async def test_missing_and_forged_secret_are_refused(
        self, bot_service: str, tg: TelegramStub, token: str
    ) -> None:
        uid = new_user()
        missing = await post_update(bot_service, message_update(uid, "/start"), secret=None)
        forged = await post_update(bot_service, message_update(uid, "/start"), secret=SECRET + "x")
        assert (missing.status_code, forged.status_code) == (403, 403)
        assert forged.json()["error"] == "Forbidden"
        await quiet()
        assert tg.calls_for(token, "sendMessage") == []

    async def test_only_json_updates(self, bot_service: str, tg: TelegramStub, token: str) -> None:
        async with httpx.AsyncClient(base_url=bot_service, headers={HEADER: SECRET}) as client:
            form = await client.post(WEBHOOK, data={"update_id": "1"})
            text = await client.post(WEBHOOK, content=b"{}", headers={"Content-Type": "text/plain"})
            broken = await client.post(
                WEBHOOK, content=b"{not json", headers={"Content-Type": "application/json"}
            )
            no_id = await client.post(WEBHOOK, json={"message": {}})
        assert (form.status_code, text.status_code) == (415, 415)
        assert (broken.status_code, no_id.status_code) == (400, 400)
        await quiet()
        assert tg.calls_for(token, "sendMessage") == []

    async def test_start_greets_and_explains(self, bot_service: str, tg: TelegramStub, token: str) -> None:
        uid = new_user()
        response = await post_update(bot_service, message_update(uid, "/start"))
        assert response.status_code == 200
        [sent] = await tg.wait_for(token, "sendMessage")
        assert sent.fields["chat_id"] == str(uid)
        assert sent.fields["parse_mode"] == "MarkdownV2"
        assert "Hi Ada\\! I'm the shop assistant\\." in sent.fields["text"]
        assert "/cart" in sent.fields["text"]

    async def test_same_update_twice_gets_one_reply(
        self, bot_service: str, tg: TelegramStub, token: str
    ) -> None:
        update = message_update(new_user(), "/start")
        first = await post_update(bot_service, update)
        second = await post_update(bot_service, update)
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
        await tg.wait_for(token, "sendMessage")
        await quiet()
        assert len(tg.calls_for(token, "sendMessage")) == 1


# --- sending ----------------------------------------------------------------------------------------------
class TestSending:
    async def test_429_is_retried_after_retry_after(
        self, connector: TelegramConnector, tg: TelegramStub, token: str
    ) -> None:
        uid = new_user()
        tg.fail_next(token, "sendMessage", "429", retry_after=1)
        started = time.monotonic()
        await connector.process(message_update(uid, "/start"))
        elapsed = time.monotonic() - started
        calls = tg.calls_for(token, "sendMessage")
        assert [c.failed for c in calls] == [True, False]
        assert calls[0].fields == calls[1].fields
        assert elapsed >= 1.0

    async def test_server_errors_are_retried_with_backoff(
        self, connector: TelegramConnector, tg: TelegramStub, token: str
    ) -> None:
        tg.fail_next(token, "sendMessage", "500", times=2)
        await connector.process(message_update(new_user(), "/help"))
        assert [c.failed for c in tg.calls_for(token, "sendMessage")] == [True, True, False]

    async def test_blocked_bot_marks_the_identity_inactive(
        self, connector: TelegramConnector, runtime: Runtime, tg: TelegramStub, token: str, bare_db_url: str
    ) -> None:
        from elara_bot.customers.service import customer_for_identity

        uid = new_user()
        async with runtime.pool.connection() as conn:
            await customer_for_identity(conn, "telegram", str(uid), display_name="Ada")
        tg.fail_next(token, "sendMessage", "403")
        await connector.process(message_update(uid, "/start"))
        assert [c.failed for c in tg.calls_for(token, "sendMessage")] == [True]  # not retried
        assert await identity_active(bare_db_url, str(uid)) is False

        relayed = OutboundReply(text="Hello from the shop")
        assert await connector.send_reply(uid, relayed) is False
        assert len(tg.calls_for(token, "sendMessage")) == 1  # nothing sent to an inactive identity

        await connector.process(message_update(uid, "/start"))  # the shopper unblocked and wrote again
        assert await identity_active(bare_db_url, str(uid)) is True
        assert await connector.send_reply(uid, relayed) is True
        assert tg.calls_for(token, "sendMessage")[-1].fields["text"] == "Hello from the shop"


# --- development tools --------------------------------------------------------------------------------------
class TestDevelopmentTools:
    async def test_poll_handles_queued_updates(
        self, connector: TelegramConnector, tg: TelegramStub, token: str
    ) -> None:
        uid = new_user()
        tg.queue_updates(token, [message_update(uid, "/start")])
        assert await connector.poll(once=True, timeout_s=1) == 1
        assert [c.method for c in tg.calls_for(token)] == [
            "getMe",
            "deleteWebhook",
            "getUpdates",
            "sendMessage",
        ]
        [get] = tg.calls_for(token, "getUpdates")
        assert get.fields["allowed_updates"] == ["message", "callback_query"]
        assert tg.calls_for(token, "sendMessage")[0].fields["chat_id"] == str(uid)

    def test_set_webhook_cli_sends_the_secret_token(
        self, tg: TelegramStub, token: str, telegram: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from typer.testing import CliRunner

        from elara_bot.cli.telegram import telegram_app
        from elara_bot.config import get_settings

        monkeypatch.setenv("ELARA_TELEGRAM__TOKEN", token)
        monkeypatch.setenv("ELARA_TELEGRAM__API_BASE", telegram["api_base"])
        monkeypatch.delenv("ELARA_TELEGRAM__SECRET_TOKEN", raising=False)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(telegram_app, ["set-webhook", "https://shop.example.com"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert "https://shop.example.com/webhooks/telegram" in result.output
        [call] = tg.calls_for(token, "setWebhook")
        expected = webhook_secret(TelegramSettings(token=token))
        assert call.fields["url"] == "https://shop.example.com/webhooks/telegram"
        assert call.fields["secret_token"] == expected
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", expected)  # what Telegram accepts
        assert call.fields["allowed_updates"] == ["message", "callback_query"]


# --- a whole purchase -------------------------------------------------------------------------------------
def callback_data(call: TelegramCall, prefix: str) -> list[str]:
    return [b["callback_data"] for b in call.buttons if str(b.get("callback_data", "")).startswith(prefix)]


def url_buttons(call: TelegramCall) -> list[dict[str, Any]]:
    return [b for b in call.buttons if "url" in b]


def on_service(url: str, base_url: str) -> str:
    """A link the service made from its ``public_url``, pointed at the service the test started."""
    parts = httpx.URL(url)
    return f"{base_url}{parts.raw_path.decode()}"


async def pay_on_dev_page(url: str) -> None:
    """Pay the order the way a shopper does on the TEST MODE checkout page: open it, submit its form."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as client:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        assert "TEST MODE" in page.text
        form = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        assert form is not None, page.text
        paid = await client.post(httpx.URL(url).join(form.group(1)))
        assert paid.status_code == 303, paid.text


async def eventually(probe: Callable[[], Any], expected: Any, within: float = 15.0) -> None:
    """Poll an async ``probe`` until it returns ``expected``."""
    deadline = time.monotonic() + within
    while True:
        got = await probe()
        if got == expected or time.monotonic() > deadline:
            assert got == expected
            return
        await asyncio.sleep(0.1)


async def sql(db_url: str, query: str, *args: Any) -> list[dict[str, Any]]:
    async with connect(db_url) as conn:
        cur = await conn.execute(query, args)
        return await cur.fetchall()


async def cart_of(db_url: str, uid: int) -> list[tuple[str, int]]:
    rows = await sql(
        db_url,
        "SELECT l.sku, l.quantity FROM cart_lines l JOIN carts c ON c.id = l.cart_id AND c.status = 'open'"
        " JOIN customer_identities i ON i.customer_id = c.customer_id"
        " WHERE i.channel = 'telegram' AND i.external_id = %s ORDER BY l.sku",
        str(uid),
    )
    return [(r["sku"], r["quantity"]) for r in rows]


async def raster_images(db_url: str) -> None:
    """The demo's product images are SVG, which Telegram cannot show as photos: give the catalog
    raster image URLs (the stand-in does not fetch them)."""
    async with connect(db_url) as conn:
        await conn.execute("UPDATE products SET image_url = 'https://cdn.example.com/p/' || id || '.jpg'")
        await conn.commit()


class TestShopperPurchase:
    async def test_search_add_by_button_checkout_pay_and_status(
        self, shop_service: str, tg: TelegramStub, token: str, db_url: str
    ) -> None:
        await raster_images(db_url)
        uid = new_user()
        await post_update(shop_service, message_update(uid, "/start"))
        [greeting] = await tg.wait_for(token, "sendMessage")
        assert "I'm the shop assistant" in greeting.text

        # text -> product photos with captions and inline keyboards, "typing" while the agent works
        mark = len(tg.calls_for(token))
        await post_update(shop_service, message_update(uid, "running shoes"))
        card = await tg.wait_for_message(
            token, lambda c: c.method == "sendPhoto" and "Running Shoes" in c.text, after=mark
        )
        [product_id] = await sql(db_url, "SELECT id FROM products WHERE title = 'Running Shoes'")
        assert card.fields["photo"] == f"https://cdn.example.com/p/{product_id['id']}.jpg"
        assert card.fields["parse_mode"] == "MarkdownV2"
        assert callback_data(card, "more_like:") == [f"more_like:{product_id['id']}"]
        photos = [c for c in tg.calls_for(token, "sendPhoto")[mark:] if not c.failed]
        assert all(callback_data(c, "add:") or "Out of stock" in c.text for c in photos)
        assert [c.fields["action"] for c in tg.calls_for(token, "sendChatAction")] == ["typing"]
        in_stock = await sql(
            db_url,
            "SELECT sku FROM variants WHERE product_id = %s AND stock > 0 AND active ORDER BY sku",
            product_id["id"],
        )
        adds = callback_data(card, "add:")
        assert {a.split(":")[1] for a in adds} <= {r["sku"] for r in in_stock}
        assert len(adds) == min(len(in_stock), 8) > 0

        # "Add" -> the callback is answered, the cart comes back; a duplicate delivery changes nothing
        add = adds[0]
        sku = add.split(":")[1]
        [before] = await sql(db_url, "SELECT stock, price_minor FROM variants WHERE sku = %s", sku)
        mark = len(tg.calls_for(token))
        press = button_update(uid, card, add)
        first, again = await post_update(shop_service, press), await post_update(shop_service, press)
        assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
        cart = await tg.wait_for_message(token, lambda c: c.text.startswith("*Your cart*"), after=mark)
        await quiet()
        answered = [c.fields["callback_query_id"] for c in tg.calls_for(token, "answerCallbackQuery")]
        assert answered == [press["callback_query"]["id"]]
        [said, listed] = [c for c in tg.calls_for(token)[mark:] if c.method in ("sendMessage", "sendPhoto")]
        assert listed is cart
        price = f"${before['price_minor'] / 100:,.2f}".replace(".", "\\.")
        assert "• 1 × Running Shoes" in cart.text
        assert cart.text.endswith(f"*Total:* {price}")
        assert callback_data(cart, "") == ["checkout", f"remove:{sku}"]
        assert [b["text"] for b in said.buttons] == ["Check out", "Keep shopping"]
        assert await cart_of(db_url, uid) == [(sku, 1)]

        # "Checkout" -> a message with a URL button to the payment page; the order waits for payment
        mark = len(tg.calls_for(token))
        await post_update(shop_service, button_update(uid, said, "checkout"))
        pay = await tg.wait_for_message(token, lambda c: bool(url_buttons(c)), after=mark)
        [button] = url_buttons(pay)
        [cleared] = await tg.wait_for(token, "editMessageReplyMarkup")  # the pressed buttons go away
        assert cleared.fields["message_id"] == str(said.result["message_id"])
        assert len(tg.calls_for(token, "answerCallbackQuery")) == 2
        [order] = await sql(
            db_url,
            "SELECT o.number, o.status, o.total_minor FROM orders o JOIN customer_identities i"
            " ON i.customer_id = o.customer_id WHERE i.channel = 'telegram' AND i.external_id = %s",
            str(uid),
        )
        number = order["number"]
        assert (order["status"], order["total_minor"]) == ("pending_payment", before["price_minor"])
        assert button["text"] == f"Pay ${before['price_minor'] / 100:,.2f}"
        assert number.replace("-", "\\-") in pay.text
        assert await cart_of(db_url, uid) == []
        [after] = await sql(db_url, "SELECT stock FROM variants WHERE sku = %s", sku)
        assert after["stock"] == before["stock"] - 1  # reserved

        # pay on the dev payment page -> the order is paid in SQL
        await pay_on_dev_page(on_service(button["url"], shop_service))

        async def status() -> str:
            return str(
                (await sql(db_url, "SELECT status FROM orders WHERE number = %s", number))[0]["status"]
            )

        await eventually(status, "paid")

        # "status of order N" -> paid
        mark = len(tg.calls_for(token))
        await post_update(shop_service, message_update(uid, f"What is the status of order {number}?"))
        escaped = number.replace("-", "\\-")
        shown = await tg.wait_for_message(
            token, lambda c: c.text.startswith(f"*Order {escaped}*"), after=mark
        )
        assert shown.text.startswith(f"*Order {escaped}*: paid\n• 1 × Running Shoes")
        assert any(f"Order {escaped} is paid" in c.text for c in tg.calls_for(token, "sendMessage")[-2:])
        assert all(not c.failed for c in tg.calls_for(token))
