"""Customers: get-or-create by channel identity."""

from __future__ import annotations

from uuid import UUID

from elara_bot.customers import repository as repo
from elara_bot.customers.schemas import Channel, CustomerPublic, Role
from elara_bot.db import Conn
from elara_bot.errors import NotFound


async def customer_for_identity(
    conn: Conn,
    channel: Channel,
    external_id: str,
    *,
    display_name: str | None = None,
    role: Role = "shopper",
) -> CustomerPublic:
    row = await repo.find_by_identity(conn, channel, external_id)
    if row is None:
        try:
            async with conn.transaction():  # a savepoint: undone when a concurrent create won
                row = await repo.insert_customer(conn, display_name, role)
                if not await repo.insert_identity(conn, row["id"], channel, external_id):
                    raise _Raced
        except _Raced:
            row = await repo.find_by_identity(conn, channel, external_id)
    if row is None:
        raise NotFound("customer not found")
    return CustomerPublic.model_validate(row)


class _Raced(Exception):
    pass


async def get_customer(conn: Conn, customer_id: UUID) -> CustomerPublic:
    row = await repo.find_by_id(conn, customer_id)
    if row is None:
        raise NotFound("customer not found")
    return CustomerPublic.model_validate(row)
