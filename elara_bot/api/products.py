"""Catalog HTTP API: hybrid search, one product, and the paginated catalog listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.api.errors import error_responses
from elara_bot.api.guard import PG_BIGINT_MAX
from elara_bot.catalog import service
from elara_bot.catalog.schemas import ProductPublic, SearchFilters, SearchResult
from elara_bot.money import to_minor

router = APIRouter(prefix="/api/v1/products", tags=["products"])

_EXAMPLE_VARIANT: dict[str, Any] = {
    "sku": "1615379700",
    "product_id": "7363354090",
    "options": {"size": "10", "material": "leather", "waterproof": "yes"},
    "price_minor": 19946,
    "currency": "USD",
    "stock": 12,
    "in_stock": True,
}
_EXAMPLE_PRODUCT: dict[str, Any] = {
    "id": "7363354090",
    "title": "Hiking Boots",
    "description": "Sturdy boots for trails ...",
    "brand": None,
    "category": "Outdoor > Footwear",
    "attributes": {"seasonal_markdown_percent": 20},
    "image_url": "/static/products/7363354090.svg",
    "price_min_minor": 18514,
    "price_max_minor": 20880,
    "currency": "USD",
    "variants": [_EXAMPLE_VARIANT],
}


_UNDER_200: dict[str, Any] = {
    "kind": "price",
    "text": "under 200",
    "source": "query",
    "key": None,
    "values": [],
    "min_price_minor": None,
    "max_price_minor": 20000,
}
_UNDER_100 = {**_UNDER_200, "text": "under $100", "max_price_minor": 10000}


class SearchResponse(SearchResult):
    """Hits meet every applied constraint. When none does, ``hits`` is empty and ``constraints`` says why:
    ``relaxed`` are the constraints that left nothing (``alternatives`` are the nearest products without
    them, cheapest first when a price was relaxed), ``unmatched`` the words nothing in the catalog is near."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "waterproof boots",
                    "filters": {"max_price_minor": 20000, "options": {}, "in_stock": False},
                    "hits": [
                        {"product": _EXAMPLE_PRODUCT, "score": 0.032, "matching_variants": [_EXAMPLE_VARIANT]}
                    ],
                    "constraints": {"applied": [_UNDER_200], "relaxed": [], "unmatched": []},
                    "alternatives": [],
                    "note": None,
                },
                {
                    "query": "hiking boots",
                    "filters": {"max_price_minor": 10000, "options": {}, "in_stock": False},
                    "hits": [],
                    "constraints": {"applied": [], "relaxed": [_UNDER_100], "unmatched": []},
                    "alternatives": [
                        {"product": _EXAMPLE_PRODUCT, "score": 0.032, "matching_variants": [_EXAMPLE_VARIANT]}
                    ],
                    "note": "No hiking boots under $100; the cheapest is Hiking Boots at $185.14.",
                },
                {
                    "query": "car tyres",
                    "filters": {"options": {}, "in_stock": False},
                    "hits": [],
                    "constraints": {"applied": [], "relaxed": [], "unmatched": ["car tyres"]},
                    "alternatives": [],
                    "note": "Nothing in this store matches “car tyres”.",
                },
            ]
        }
    )


class ProductResponse(ProductPublic):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_PRODUCT]})


class ProductPage(BaseModel):
    items: list[ProductPublic]
    total: int
    limit: int
    offset: int
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE_PRODUCT], "total": 50, "limit": 24, "offset": 0}]}
    )


# A string with the exact syntax accepted (a Decimal parameter documents "any string" and refuses most)
Price = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,8}(\.[0-9]{1,2})?$", description="major units, e.g. 49.99", examples=["49.99"]),
]


def _minor(value: str | None, currency: str) -> int | None:
    """A typed major-unit price in the store's currency's minor units (2 places for USD, 0 for JPY)."""
    return None if value is None else to_minor(value, currency)


@router.get("/search", response_model=SearchResponse)
async def search(
    conn: ConnDep,
    runtime: RuntimeDep,
    q: Annotated[
        str,
        Query(
            max_length=500,
            description="free text; 'under $50', 'size 10', 'red' are parsed into constraints (see"
            " `constraints` in the response: applied, relaxed when they left nothing, unmatched)",
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 10,
    min_price: Price = None,
    max_price: Price = None,
    category: Annotated[str | None, Query(max_length=200, description="category path prefix")] = None,
    in_stock: bool = False,
) -> Response:
    filters = SearchFilters(
        min_price_minor=_minor(min_price, runtime.settings.payments.currency),
        max_price_minor=_minor(max_price, runtime.settings.payments.currency),
        category=category,
        in_stock=in_stock,
    )
    if min_price is not None and max_price is not None and Decimal(min_price) > Decimal(max_price):
        # an empty price range matches nothing (OpenAPI cannot state "min <= max", so it is no 422)
        return _json(SearchResult(query=q, filters=filters, hits=[]))
    # the request's transaction holds only this search and its log row: a lazy commit is safe
    result = await service.search_products(
        conn,
        runtime.embedder,
        q,
        filters,
        limit,
        settings=runtime.settings.search,
        caches=runtime.search_caches,
        lazy_log=True,
        currency=runtime.settings.payments.currency,
    )
    return _json(result)


def _json(result: SearchResult) -> Response:
    """The result written once by pydantic. Returned as a model, FastAPI dumped it, validated the dump
    as a SearchResponse and serialised that again: 10 ms of a demo search's 22 (results of 40-50 KB,
    alternatives and variants included). The body is the same; ``response_model`` still documents it."""
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/{product_id}", response_model=ProductResponse, responses=error_responses(404))
async def get_product(product_id: str, conn: ConnDep) -> ProductPublic:
    return await service.get_product(conn, product_id)


# OpenAPI links: what a client (and schemathesis' stateful phase) can do next with a listed product
LISTING_LINKS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of the catalog",
        "links": {
            "GetProduct": {
                "operationId": "get_product_api_v1_products__product_id__get",
                "parameters": {"product_id": "$response.body#/items/0/id"},
            },
            "AddToCart": {
                "operationId": "add_item_api_v1_cart_items_post",
                "requestBody": {"sku": "$response.body#/items/0/variants/0/sku", "quantity": 1},
            },
        },
    }
}


@router.get("", response_model=ProductPage, responses=LISTING_LINKS)
async def list_products(
    conn: ConnDep,
    category: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    offset: Annotated[int, Query(ge=0, le=PG_BIGINT_MAX)] = 0,  # SQL OFFSET is a bigint
) -> ProductPage:
    items, total = await service.list_products(conn, category=category, limit=limit, offset=offset)
    return ProductPage(items=items, total=total, limit=limit, offset=offset)
