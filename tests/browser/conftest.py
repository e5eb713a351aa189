"""Browser fixtures: Debian's Chromium driven by Playwright, the real service on a known port (so the
payment page's return address points back at it), and a second tiny page server on another origin that
embeds the widget the way a store's own site would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

import tests.helpers
from tests.browser.fake_chat import HOSTILE, FakeChat, build_fake, shop_page
from tests.helpers import free_port, serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class PageServer:
    """Serves whatever HTML a test puts in ``pages`` at ``{url}/{name}``: the store's own site."""

    url: str = ""
    pages: dict[str, str] = field(default_factory=dict)

    def origin_alias(self) -> str:
        """The same server reached through another origin (``localhost`` instead of ``127.0.0.1``)."""
        return self.url.replace("127.0.0.1", "localhost")


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    server = PageServer()

    async def show(request: Request) -> Response:
        html = server.pages.get(request.path_params["name"])
        if html is None:
            return PlainTextResponse("not found", status_code=404)
        return HTMLResponse(html)

    with serve_in_thread(Starlette(routes=[Route("/{name}", show)])) as url:
        server.url = url
        yield server


@pytest.fixture
def fake(page_server: PageServer) -> Iterator[FakeChat]:
    """The stand-in chat endpoint; ``{page_server.url}/shop`` embeds its widget under hostile page CSS."""
    state = FakeChat()
    with serve_in_thread(build_fake(state, page_server.url)) as url:
        state.url = url
        page_server.pages["shop"] = shop_page(url, head=f"<style>{HOSTILE}</style>")
        yield state


@pytest.fixture
def elara(
    live_service: Callable[..., AbstractContextManager[str]],
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The real service, with public_url equal to its own address and the page server's origin allowed."""
    with _start_elara(live_service, page_server, monkeypatch) as url:
        yield url


@contextmanager
def _start_elara(
    live_service: Callable[..., AbstractContextManager[str]],
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    **overrides: Any,
) -> Iterator[str]:
    port = free_port()
    monkeypatch.setattr(tests.helpers, "free_port", lambda: port)
    base = f"http://127.0.0.1:{port}"
    with live_service(public_url=base, cors_origins=[page_server.url], **overrides) as url:
        assert url == base
        yield url


@pytest.fixture
def elara_factory(
    live_service: Callable[..., AbstractContextManager[str]],
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., AbstractContextManager[str]]:
    """``with elara_factory(**settings_overrides) as url:`` — the service with extra settings."""

    def start(**overrides: Any) -> AbstractContextManager[str]:
        return _start_elara(live_service, page_server, monkeypatch, **overrides)

    return start


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield instance
        await instance.close()


@pytest.fixture
async def context(browser: Any) -> AsyncIterator[Any]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 860})
    ctx.set_default_timeout(20_000)
    yield ctx
    await ctx.close()


DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture
async def desktop(browser: Any) -> AsyncIterator[Any]:
    """A 1366×768 laptop screen."""
    ctx = await browser.new_context(**DESKTOP)
    ctx.set_default_timeout(20_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def phone(browser: Any) -> AsyncIterator[Any]:
    """A 390×844 touch phone."""
    ctx = await browser.new_context(**PHONE)
    ctx.set_default_timeout(20_000)
    yield ctx
    await ctx.close()


AXE = Path(__file__).resolve().parents[2] / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> str:
    """axe-core's browser bundle from the npm package, which ``scripts/setup.sh --dev`` installs into
    ``.cache/npm`` at its pinned version (read from disk: nothing is fetched while the tests run). Missing,
    the accessibility tests fail: a skip would let a machine without it pass them unchecked."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not installed at {AXE}: run scripts/setup.sh --dev (it installs npm with apt-get"
            " when missing, then axe-core from npm)",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page (open shadow roots included), each rule with its nodes."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=axe_script())
    result = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture
def shot() -> Callable[..., Any]:
    """``await shot(page, "name")`` saves tests/artifacts/widget-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def save(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"widget-{name}.png"
        await page.screenshot(path=str(path))
        return path

    return save
