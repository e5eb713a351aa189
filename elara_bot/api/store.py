"""The demo store page at ``/``: a catalog grid with the chat widget (``connectors.webchat``) on it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from elara_bot.api.deps import ConnDep
from elara_bot.catalog import service as catalog
from elara_bot.catalog.schemas import ProductPublic
from elara_bot.catalog.validation import safe_image_url
from elara_bot.money import format_amount

router = APIRouter(tags=["store"])

PAGE_SIZE = 24


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("elara_bot", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )


def price_text(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def product_view(product: ProductPublic) -> dict[str, object]:
    low = price_text(product.price_min_minor, product.currency)
    high = price_text(product.price_max_minor, product.currency)
    return {
        "id": product.id,
        "title": product.title,
        "brand": product.brand,
        "category": product.category,
        "description": product.description,
        "image_url": safe_image_url(product.image_url),  # http(s) or relative only, never javascript:
        "price": low if low == high else f"{low} – {high}",
        "price_low": low,
        "price_high": high,
        "price_min_minor": product.price_min_minor,
        "price_max_minor": product.price_max_minor,
        "currency": product.currency,
        "in_stock": any(v.in_stock for v in product.variants),
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def store_page(
    request: Request,
    conn: ConnDep,
    page: Annotated[int, Query(ge=0, le=10_000)] = 0,
    order: Annotated[str | None, Query(max_length=64)] = None,
    paid: Annotated[int, Query()] = 0,
    cancelled: Annotated[int, Query()] = 0,
) -> HTMLResponse:
    products, total = await catalog.list_products(conn, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    base = str(request.base_url).rstrip("/")
    html = (
        templates()
        .get_template("store.html")
        .render(
            store_name="Elara demo store",
            products=[product_view(p) for p in products],
            order_number=order,
            paid=paid == 1,
            cancelled=cancelled == 1,
            prev_page=page - 1 if page > 0 else None,
            next_page=page + 1 if (page + 1) * PAGE_SIZE < total else None,
            widget_src=f"{base}/widget.js",
            elara_url=base,
        )
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@lru_cache(maxsize=1)
def favicon_svg() -> bytes:
    return resources.files("elara_bot.static").joinpath("favicon.svg").read_bytes()


@router.get("/favicon.svg", include_in_schema=False)
@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """The store's icon (browsers ask for /favicon.ico even when the page names another)."""
    return Response(
        favicon_svg(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )
