"""What gets embedded for a product, its content hash, and pgvector's text form of a vector."""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray


def embedding_text(title: str, category: str, option_text: str, description: str) -> str:
    """Title first (it matters most), then category path, option values and the description."""
    return f"{title}. {category}. {option_text}. {description}".strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vector_literal(vector: NDArray[np.float32]) -> str:
    """pgvector's text form, so callers need not register the vector type on the connection."""
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"
