"""What gets embedded for a product, its content hash, and the batch upsert of embeddings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from psycopg import AsyncConnection


def embedding_text(title: str, category: str, option_text: str, description: str) -> str:
    """Title first (it matters most), then category path, option values and the description."""
    return f"{title}. {category}. {option_text}. {description}".strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vector_literal(vector: NDArray[np.float32]) -> str:
    """pgvector's text form, so callers need not register the vector type on the connection."""
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


async def store_embeddings(
    conn: AsyncConnection[dict[str, object]],
    rows: Sequence[tuple[str, str, NDArray[np.float32]]],
) -> None:
    """Write (product id, content hash, vector) rows in one executemany."""
    if not rows:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            "UPDATE products SET embedding = %s, content_hash = %s WHERE id = %s",  # halfvec or vector
            [(vector_literal(vector), digest, pid) for pid, digest, vector in rows],
        )
