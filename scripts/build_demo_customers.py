"""Convert τ²-bench retail users and orders into the demo store's customers.jsonl and orders.jsonl.

Deterministic: the same db.json always gives the same files. Synthetic parts: order numbers
(EL- + 6 characters hashed from the τ² order id), ``placed_days_ago`` (hashed, spread over 0-120
days) and the demo merchant and admin accounts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "tau2-retail" / "db.json"
OUT = ROOT / "elara_bot" / "data" / "demo"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
STATUS = {"pending": "paid", "processed": "fulfilled", "delivered": "delivered", "cancelled": "cancelled"}
STAFF = [
    {"external_id": "merchant@elara.example", "display_name": "Demo Merchant", "role": "merchant"},
    {"external_id": "admin@elara.example", "display_name": "Demo Admin", "role": "admin"},
]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def order_number(source_id: str) -> str:
    value = int.from_bytes(_digest(source_id)[:8], "big")
    chars = []
    for _ in range(6):
        value, index = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "EL-" + "".join(chars)


def customer(user: dict[str, Any]) -> dict[str, Any]:
    name = user["name"]
    return {
        "external_id": user["email"],
        "display_name": f"{name['first_name']} {name['last_name']}",
        "email": user["email"],
        "role": "shopper",
        "source_id": user["user_id"],
        "address": user.get("address"),
    }


def order(raw: dict[str, Any], email: str) -> dict[str, Any]:
    lines: dict[str, dict[str, Any]] = {}
    for item in raw["items"]:
        line = lines.setdefault(
            item["item_id"],
            {
                "sku": item["item_id"],
                "product_id": item["product_id"],
                "title": item["name"],
                "options": item["options"],
                "quantity": 0,
                "unit_price_minor": round(item["price"] * 100),
            },
        )
        line["quantity"] += 1
    tracking = [t for f in raw.get("fulfillments", []) for t in f.get("tracking_id", [])]
    return {
        "number": order_number(raw["order_id"]),
        "source_id": raw["order_id"],
        "customer": email,
        "status": STATUS[raw["status"]],
        "currency": "USD",
        "lines": list(lines.values()),
        "total_minor": sum(line["unit_price_minor"] * line["quantity"] for line in lines.values()),
        "tracking": tracking,
        "address": raw.get("address"),
        "placed_days_ago": int.from_bytes(_digest("days" + raw["order_id"])[:4], "big") % 121,
    }


def build(source: Path, out: Path) -> tuple[int, int]:
    data = json.loads(source.read_text(encoding="utf-8"))
    users = sorted(data["users"].values(), key=lambda u: u["user_id"])
    customers = [customer(u) for u in users] + STAFF
    emails = {u["user_id"]: u["email"] for u in users}
    raw_orders = sorted(data["orders"].values(), key=lambda o: o["order_id"])
    orders = [order(o, emails[o["user_id"]]) for o in raw_orders if o["user_id"] in emails]
    numbers = [o["number"] for o in orders]
    if len(set(numbers)) != len(numbers):
        raise SystemExit("order number collision: change the hash")
    for name, rows in (("customers.jsonl", customers), ("orders.jsonl", orders)):
        text = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
        (out / name).write_text(text, encoding="utf-8")
    return len(customers), len(orders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    customers, orders = build(args.source, args.out)
    print(f"wrote {customers} customers and {orders} orders to {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
