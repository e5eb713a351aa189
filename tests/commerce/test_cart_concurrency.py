"""Carts under concurrency, through the REST API of a live service: every acknowledged change counts.

Each test fires many requests at once at one shopper's cart (httpx.AsyncClient, one session token) and
checks the end state against the answers: a 200 means the change is in the cart (or in the order a racing
checkout created), a 4xx means it is not, and nothing is lost in between. One test drives the chat path:
three add_to_cart calls the hosted model emits in one step run in parallel on the turn's connection.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.conversation.helpers import LiveService, forget_cached_http_clients, llm_settings, sql

Lines = dict[str, int]


def _roomy_skus(db_url: str, count: int) -> list[str]:
    """Active variants with stock enough for every trial (the test owns this database)."""
    rows = sql(db_url, "SELECT sku FROM variants WHERE active ORDER BY sku LIMIT %s", (count,))
    skus = [str(r["sku"]) for r in rows]
    sql(db_url, "UPDATE variants SET stock = 1000000 WHERE sku = ANY(%s)", (skus,))
    return skus


async def _session(client: httpx.AsyncClient) -> dict[str, str]:
    created = await client.post("/api/v1/sessions")
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def _lines(body: dict[str, Any]) -> Lines:
    return {line["sku"]: int(line["quantity"]) for line in body["lines"]}


async def _cart(client: httpx.AsyncClient, auth: dict[str, str]) -> Lines:
    response = await client.get("/api/v1/cart", headers=auth)
    assert response.status_code == 200, response.text
    return _lines(response.json())


async def _add(client: httpx.AsyncClient, auth: dict[str, str], sku: str, quantity: int) -> httpx.Response:
    return await client.post("/api/v1/cart/items", json={"sku": sku, "quantity": quantity}, headers=auth)


@contextmanager
def _client(live_service: LiveService, **settings: Any) -> Iterator[Callable[[], httpx.AsyncClient]]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    with live_service(**settings) as base_url:
        yield lambda: httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)


class TestConcurrentAdds:
    @pytest.mark.parametrize("adds", [20, 50])
    async def test_every_acknowledged_add_counts(
        self, live_service: LiveService, db_url: str, adds: int
    ) -> None:
        [sku] = _roomy_skus(db_url, 1)
        with _client(live_service, max_item_quantity=100) as make:
            async with make() as client:
                auth = await _session(client)
                answers = await asyncio.gather(*(_add(client, auth, sku, 1) for _ in range(adds)))
                statuses = Counter(a.status_code for a in answers)
                assert statuses == {200: adds}, [a.text for a in answers if a.status_code != 200][:3]
                assert await _cart(client, auth) == {sku: adds}

    async def test_adds_past_the_item_maximum_are_refused_not_acknowledged(
        self, live_service: LiveService, db_url: str
    ) -> None:
        [sku] = _roomy_skus(db_url, 1)
        with _client(live_service, max_item_quantity=20) as make:
            async with make() as client:
                auth = await _session(client)
                answers = await asyncio.gather(*(_add(client, auth, sku, 5) for _ in range(10)))
                assert Counter(a.status_code for a in answers) == {200: 4, 409: 6}, [a.text for a in answers]
                refused = [a.json() for a in answers if a.status_code == 409]
                assert all(r["error"] == "Conflict" and "maximum of 20" in r["detail"] for r in refused)
                assert await _cart(client, auth) == {sku: 20}


class TestAddsRacingCheckout:
    SESSIONS = 10  # under the per-client session creation limit
    ROUNDS = 10  # SESSIONS x ROUNDS = 100 trials
    ADDS = 3

    async def _trial(self, client: httpx.AsyncClient, auth: dict[str, str], skus: list[str]) -> None:
        """One shopper: one more unit in the cart (whose answer is the whole cart so far, leftovers of
        the last trial included), then a checkout and three adds at once. Every acknowledged unit is in
        the order or in the open cart afterwards."""
        first = await _add(client, auth, skus[0], 1)
        assert first.status_code == 200, first.text
        before = _lines(first.json())

        async def add(sku: str) -> tuple[str, int]:
            await asyncio.sleep(random.uniform(0, 0.01))
            return sku, (await _add(client, auth, sku, 1)).status_code

        checking_out = asyncio.create_task(client.post("/api/v1/checkout", headers=auth))
        adds = await asyncio.gather(*(add(random.choice(skus)) for _ in range(self.ADDS)))
        checkout = await checking_out
        assert checkout.status_code == 201, checkout.text
        assert all(status == 200 for _, status in adds), adds
        acknowledged = Counter(before)
        acknowledged.update(sku for sku, _ in adds)
        ordered = Counter({line["sku"]: int(line["quantity"]) for line in checkout.json()["order"]["lines"]})
        in_cart = Counter(await _cart(client, auth))
        assert ordered + in_cart == acknowledged, (ordered, in_cart, acknowledged)

    async def test_every_acknowledged_add_is_in_the_order_or_the_new_cart(
        self, live_service: LiveService, db_url: str
    ) -> None:
        skus = _roomy_skus(db_url, 2)
        with _client(live_service) as make:
            async with make() as client:
                shoppers = [await _session(client) for _ in range(self.SESSIONS)]
                for _ in range(self.ROUNDS):
                    await asyncio.gather(*(self._trial(client, auth, skus) for auth in shoppers))


Op = tuple[str, int]  # ("add", n), ("set", n), ("remove", 0)
EDITS: list[Op] = [("add", 1), ("add", 2), ("set", 5), ("set", 7), ("remove", 0), ("add", 3), ("set", 4)]


def _apply(quantity: int, op: Op) -> tuple[int, int]:
    """(status, quantity after) of one edit applied alone to a line holding `quantity` (0: no line)."""
    kind, n = op
    if kind == "add":
        return 200, quantity + n
    if quantity == 0:
        return 404, 0
    return 200, n if kind == "set" else 0


def _serial_order(start: int, seen: list[tuple[Op, int, int]], final: int) -> tuple[Op, ...] | None:
    """An order of the edits that explains every answer (status and the quantity it showed) and the
    final quantity; None when no serial order does."""
    for order in itertools.permutations(seen):
        quantity = start
        for op, status, shown in order:
            expected, quantity = _apply(quantity, op)
            if expected != status or (status == 200 and shown != quantity):
                break
        else:
            if quantity == final:
                return tuple(op for op, _, _ in order)
    return None


class TestConcurrentEdits:
    ROUNDS = 10

    async def _edit(
        self, client: httpx.AsyncClient, auth: dict[str, str], sku: str, op: Op
    ) -> httpx.Response:
        kind, n = op
        if kind == "add":
            return await _add(client, auth, sku, n)
        if kind == "set":
            return await client.patch(f"/api/v1/cart/items/{sku}", json={"quantity": n}, headers=auth)
        return await client.delete(f"/api/v1/cart/items/{sku}", headers=auth)

    async def test_final_cart_is_a_serial_order_of_the_acknowledged_edits(
        self, live_service: LiveService, db_url: str
    ) -> None:
        sku, other = _roomy_skus(db_url, 2)
        with _client(live_service, max_item_quantity=100) as make:
            async with make() as client:
                auth = await _session(client)
                for round_ in range(1, self.ROUNDS + 1):
                    start = _lines((await _add(client, auth, sku, 2)).json())[sku]
                    answers = await asyncio.gather(
                        *(self._edit(client, auth, sku, op) for op in EDITS), _add(client, auth, other, 1)
                    )
                    assert {a.status_code for a in answers} <= {200, 404}, [a.text for a in answers]
                    seen = [
                        (op, a.status_code, _lines(a.json()).get(sku, 0) if a.status_code == 200 else 0)
                        for op, a in zip(EDITS, answers, strict=False)
                    ]
                    final = await _cart(client, auth)
                    assert _serial_order(start, seen, final.get(sku, 0)) is not None, (start, seen, final)
                    assert answers[-1].status_code == 200
                    assert final[other] == round_  # one unit of the other line per round


class TestParallelToolCalls:
    def test_three_add_to_cart_calls_in_one_step_all_count(
        self, live_service: LiveService, stubs: Any, db_url: str
    ) -> None:
        """The agent runs one step's tool calls concurrently (asyncio.gather) on the turn's one
        connection, so their statements interleave: the cart's arithmetic must hold up there too."""
        [sku] = _roomy_skus(db_url, 1)
        llm = stubs.parts["openai"]
        llm.reset(
            [
                {"tool_calls": [("add_to_cart", {"sku": sku, "quantity": q}) for q in (1, 2, 3)]},
                {"content": "Added them."},
            ]
        )
        forget_cached_http_clients()
        try:
            with live_service(llm=llm_settings(stubs)) as base_url, httpx.Client(base_url=base_url) as client:
                token = client.post("/api/v1/sessions").json()["token"]
                auth = {"Authorization": f"Bearer {token}"}
                reply = client.post(
                    "/api/v1/chat", json={"message": "add them all"}, headers=auth, timeout=60
                )
                assert reply.status_code == 200, reply.text
                cart = client.get("/api/v1/cart", headers=auth)
                assert _lines(cart.json()) == {sku: 6}
        finally:
            llm.reset()
