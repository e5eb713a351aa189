"""A deterministic synthetic catalog of N products built from the demo catalog (bench only)."""

from __future__ import annotations

import json
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "elara_bot" / "data" / "demo" / "catalog.jsonl"
ADJECTIVES = [
    "classic",
    "compact",
    "premium",
    "eco",
    "pro",
    "travel",
    "deluxe",
    "everyday",
    "smart",
    "rugged",
]
COLOURS = ["red", "blue", "green", "black", "white", "grey", "navy", "olive", "orange", "purple"]


def write_synthetic(path: Path, count: int) -> Path:
    """Product i is a variation of demo product i % 50 with a varied title and three variants."""
    demo = [json.loads(line) for line in DEMO.read_text().splitlines() if line.strip()]
    with path.open("w") as out:
        for i in range(count):
            base = demo[i % len(demo)]
            adjective, colour = ADJECTIVES[(i // 50) % 10], COLOURS[(i // 500) % 10]
            variants = [
                {
                    "sku": f"s{i}-{j}",
                    "options": {"color": colour, "size": str(6 + j)},
                    "price_minor": 500 + (i * 7919 + j * 131) % 50000,
                    "stock": (i + j) % 41,
                }
                for j in range(3)
            ]
            record = {
                "id": f"syn{i}",
                "title": f"{adjective.title()} {colour} {base['title']} {i}",
                "description": f"{adjective} {colour} edition. {base['description']}",
                "category": base["category"],
                "variants": variants,
            }
            out.write(json.dumps(record) + "\n")
    return path
