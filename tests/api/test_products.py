"""Products API on the live service: search (the issue's acceptance query), one product, listing, errors."""

from __future__ import annotations

import httpx

HIKING_BOOTS = "7363354090"


async def test_acceptance_query_returns_boots_under_200(service: str) -> None:
    async with httpx.AsyncClient(base_url=service) as client:
        resp = await client.get("/api/v1/products/search", params={"q": "waterproof boots under 200"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["filters"]["max_price_minor"] == 20000
    top = body["hits"][0]
    assert top["product"]["id"] == HIKING_BOOTS
    assert top["matching_variants"]
    assert all(v["price_minor"] <= 20000 for v in top["matching_variants"])


async def test_search_with_explicit_filters(service: str) -> None:
    params = {
        "q": "coffee",
        "min_price": "100",
        "max_price": "300.50",
        "category": "Kitchen",
        "in_stock": "true",
    }
    async with httpx.AsyncClient(base_url=service) as client:
        resp = await client.get("/api/v1/products/search", params=params)
    assert resp.status_code == 200
    body = resp.json()
    assert body["filters"]["min_price_minor"] == 10000
    assert body["filters"]["max_price_minor"] == 30050
    assert body["hits"]
    for hit in body["hits"]:
        assert hit["product"]["category"].startswith("Kitchen")
        assert all(10000 <= v["price_minor"] <= 30050 and v["stock"] > 0 for v in hit["matching_variants"])


async def test_bad_values_are_422(service: str) -> None:
    async with httpx.AsyncClient(base_url=service) as client:
        for params in (
            {"q": "x", "max_price": "abc"},
            {"q": "x", "limit": "0"},
            {"q": "x", "min_price": "-1"},
            {"q": "x", "max_price": "1.999"},
        ):
            resp = await client.get("/api/v1/products/search", params=params)
            assert resp.status_code == 422, params
            assert resp.json()["error"] == "InvalidInput"


async def test_get_product_and_404(service: str) -> None:
    async with httpx.AsyncClient(base_url=service) as client:
        ok = await client.get(f"/api/v1/products/{HIKING_BOOTS}")
        missing = await client.get("/api/v1/products/nope")
        svg = await client.get(ok.json()["image_url"])
    assert ok.status_code == 200
    assert ok.json()["title"] == "Hiking Boots"
    assert len(ok.json()["variants"]) > 1
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFound"
    assert "nope" in missing.json()["detail"]
    assert svg.status_code == 200
    assert "<svg" in svg.text


async def test_listing_is_paginated(service: str) -> None:
    async with httpx.AsyncClient(base_url=service) as client:
        first = (await client.get("/api/v1/products", params={"limit": 20})).json()
        last = (await client.get("/api/v1/products", params={"limit": 20, "offset": 40})).json()
        audio = (await client.get("/api/v1/products", params={"category": "electronics > audio"})).json()
    assert first["total"] == 50
    assert len(first["items"]) == 20
    assert len(last["items"]) == 10
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in last["items"]}
    assert {p["title"] for p in audio["items"]} == {"Bluetooth Speaker", "Wireless Earbuds", "Headphones"}
