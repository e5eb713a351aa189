"""Catalog HTTP API: hybrid search, one product, and the paginated catalog listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from elara_bot.api.deps import ConnDep, RuntimeDep
from elara_bot.catalog import service
from elara_bot.catalog.schemas import ProductPublic, SearchFilters, SearchResult
from elara_bot.errors import InvalidInput

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


class SearchResponse(SearchResult):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "waterproof boots",
                    "filters": {"max_price_minor": 20000, "options": {}, "in_stock": False},
                    "hits": [
                        {"product": _EXAMPLE_PRODUCT, "score": 0.032, "matching_variants": [_EXAMPLE_VARIANT]}
                    ],
                }
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


Price = Annotated[
    Decimal | None, Query(ge=0, le=10_000_000, decimal_places=2, description="major units, e.g. 49.99")
]


def _minor(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


@router.get("/search", response_model=SearchResponse)
async def search(
    conn: ConnDep,
    runtime: RuntimeDep,
    q: Annotated[
        str, Query(max_length=500, description="free text; 'under $50', 'size 10', 'red' are parsed")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 10,
    min_price: Price = None,
    max_price: Price = None,
    category: Annotated[str | None, Query(max_length=200, description="category path prefix")] = None,
    in_stock: bool = False,
) -> SearchResult:
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput("min_price must not exceed max_price")
    filters = SearchFilters(
        min_price_minor=_minor(min_price),
        max_price_minor=_minor(max_price),
        category=category,
        in_stock=in_stock,
    )
    # the request's transaction holds only this search and its log row: a lazy commit is safe
    return await service.search_products(
        conn, runtime.embedder, q, filters, limit, settings=runtime.settings.search, lazy_log=True
    )


@router.get("/{product_id}", response_model=ProductResponse)
async def get_product(product_id: str, conn: ConnDep) -> ProductPublic:
    return await service.get_product(conn, product_id)


@router.get("", response_model=ProductPage)
async def list_products(
    conn: ConnDep,
    category: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProductPage:
    items, total = await service.list_products(conn, category=category, limit=limit, offset=offset)
    return ProductPage(items=items, total=total, limit=limit, offset=offset)
