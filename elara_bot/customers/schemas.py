"""Customer DTOs."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel

Role = Literal["shopper", "merchant", "admin"]
Channel = Literal["web", "telegram", "slack", "email", "cli"]


class CustomerPublic(BaseModel):
    id: UUID
    display_name: str | None
    email: str | None
    role: Role
