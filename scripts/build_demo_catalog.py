"""Build the demo catalog (elara_bot/data/demo/catalog.jsonl) from τ²-bench retail's db.json (MIT).

Deterministic: every choice that looks random is derived from a SHA-256 of the product or item id.
The one synthetic price change: "Outdoor > Footwear" gets a 20 % seasonal markdown (see the data README).

    python scripts/build_demo_catalog.py [--source ../shared/data/tau2-retail/db.json]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "tau2-retail" / "db.json"
OUT_DIR = ROOT / "elara_bot" / "data" / "demo"
SVG_DIR = ROOT / "elara_bot" / "static" / "products"
MARKDOWN_CATEGORY = "Outdoor > Footwear"
MARKDOWN = 0.8

CATEGORIES: dict[str, str] = {
    "T-Shirt": "Clothing > Tops",
    "Laptop": "Electronics > Computers",
    "Running Shoes": "Sports > Footwear",
    "Smartphone": "Electronics > Phones",
    "Backpack": "Outdoor > Bags",
    "Coffee Maker": "Kitchen > Coffee",
    "Water Bottle": "Outdoor > Hydration",
    "Desk Lamp": "Home > Lighting",
    "Notebook": "Office > Stationery",
    "Sunglasses": "Accessories > Eyewear",
    "Wristwatch": "Accessories > Watches",
    "Electric Toothbrush": "Health & Beauty > Oral Care",
    "Yoga Mat": "Sports > Fitness",
    "Bluetooth Speaker": "Electronics > Audio",
    "Gaming Mouse": "Electronics > Computer Accessories",
    "Action Camera": "Electronics > Cameras",
    "Garden Hose": "Garden > Watering",
    "Hiking Boots": "Outdoor > Footwear",
    "Tablet": "Electronics > Tablets",
    "E-Reader": "Electronics > Tablets",
    "Portable Charger": "Electronics > Power",
    "Indoor Security Camera": "Home > Smart Home",
    "Electric Kettle": "Kitchen > Kettles",
    "Mechanical Keyboard": "Electronics > Computer Accessories",
    "Wireless Earbuds": "Electronics > Audio",
    "Smart Thermostat": "Home > Smart Home",
    "Fleece Jacket": "Clothing > Outerwear",
    "Wall Clock": "Home > Decor",
    "Dumbbell Set": "Sports > Fitness",
    "Pet Bed": "Pets > Beds",
    "Espresso Machine": "Kitchen > Coffee",
    "Cycling Helmet": "Sports > Cycling",
    "LED Light Bulb": "Home > Lighting",
    "Digital Camera": "Electronics > Cameras",
    "Bookshelf": "Home > Furniture",
    "Bicycle": "Sports > Cycling",
    "Sneakers": "Clothing > Footwear",
    "Office Chair": "Office > Furniture",
    "Smart Watch": "Electronics > Wearables",
    "Tea Kettle": "Kitchen > Kettles",
    "Luggage Set": "Travel > Luggage",
    "Patio Umbrella": "Garden > Patio",
    "Air Purifier": "Home > Appliances",
    "Makeup Kit": "Health & Beauty > Makeup",
    "Skateboard": "Sports > Skateboarding",
    "Jigsaw Puzzle": "Toys & Games > Puzzles",
    "Grill": "Garden > Outdoor Cooking",
    "Headphones": "Electronics > Audio",
    "Vacuum Cleaner": "Home > Appliances",
    "Perfume": "Health & Beauty > Fragrance",
}

# A short phrase on what each product is for; written by hand, used inside the templates.
USES: dict[str, str] = {
    "T-Shirt": "an everyday tee for casual wear",
    "Laptop": "a portable computer for work, study and gaming",
    "Running Shoes": "lightweight trainers for road running and jogging",
    "Smartphone": "an unlocked mobile phone",
    "Backpack": "a daypack for commuting, travel and hiking",
    "Coffee Maker": "a countertop brewer for morning coffee",
    "Water Bottle": "a reusable bottle for the gym, the office or the trail",
    "Desk Lamp": "a reading and task light for the desk",
    "Notebook": "a paper journal for notes and sketches",
    "Sunglasses": "shades that protect your eyes from the sun",
    "Wristwatch": "a classic analog timepiece",
    "Electric Toothbrush": "a powered brush for cleaner teeth",
    "Yoga Mat": "a non-slip mat for yoga and pilates",
    "Bluetooth Speaker": "a portable wireless speaker for music anywhere",
    "Gaming Mouse": "a precise mouse for PC gaming",
    "Action Camera": "a rugged camera for sports and adventure video",
    "Garden Hose": "a flexible hose for watering the garden and washing the car",
    "Hiking Boots": "sturdy boots for trails, mountains and rough terrain",
    "Tablet": "a touchscreen tablet for browsing, streaming and reading",
    "E-Reader": "an e-ink reader for ebooks",
    "Portable Charger": "a power bank to charge phones on the go",
    "Indoor Security Camera": "a home surveillance camera with live view",
    "Electric Kettle": "a fast kettle to boil water for tea and coffee",
    "Mechanical Keyboard": "a typing and gaming keyboard with mechanical switches",
    "Wireless Earbuds": "true wireless in-ear headphones",
    "Smart Thermostat": "a connected thermostat that saves energy",
    "Fleece Jacket": "a warm, soft layer for cold weather",
    "Wall Clock": "a clock to hang on the wall",
    "Dumbbell Set": "free weights for strength training at home",
    "Pet Bed": "a cosy bed for dogs and cats",
    "Espresso Machine": "a machine for barista-style espresso and cappuccino at home",
    "Cycling Helmet": "a protective bike helmet",
    "LED Light Bulb": "an energy-saving light bulb",
    "Digital Camera": "a high-resolution camera for photography",
    "Bookshelf": "shelving to store and display books",
    "Bicycle": "a bike for commuting, trails and road rides",
    "Sneakers": "casual shoes for everyday wear",
    "Office Chair": "an ergonomic desk chair for long working days",
    "Smart Watch": "a fitness tracker and smartwatch with notifications",
    "Tea Kettle": "a stovetop kettle for boiling water",
    "Luggage Set": "suitcases for travel",
    "Patio Umbrella": "shade for the patio, deck or garden",
    "Air Purifier": "a purifier that cleans indoor air of dust and allergens",
    "Makeup Kit": "a cosmetics set with foundation, shadows and brushes",
    "Skateboard": "a complete skateboard for street and park",
    "Jigsaw Puzzle": "a puzzle for family game nights",
    "Grill": "a barbecue for outdoor cooking",
    "Headphones": "headphones for music, calls and travel",
    "Vacuum Cleaner": "a vacuum to clean floors and carpets",
    "Perfume": "a fragrance for everyday wear",
}

COLOURS = ["#2f6f4f", "#3b5b92", "#8c4a2f", "#6b4c9a", "#b5651d", "#2a7f8f", "#9a3b4a", "#55701f"]

TEMPLATES = [
    "The {name} is {use}. {options_sentence} {stock_sentence}",
    "Meet our {lname}: {use}. {options_sentence} {stock_sentence}",
    "Looking for {a_use}? This {lname} fits the bill. {options_sentence} {stock_sentence}",
    "{name}: {use}. {options_sentence} {stock_sentence}",
]


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _option_values(variants: list[dict[str, Any]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for variant in variants:
        for key, value in variant["options"].items():
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
    return {key: sorted(vals, key=str.lower) for key, vals in values.items()}


def _join(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _options_sentence(values: dict[str, list[str]]) -> str:
    parts = []
    for key, vals in values.items():
        if key == "waterproof":
            parts.append(
                "waterproof and non-waterproof versions" if "yes" in vals else "a non-waterproof build"
            )
        elif key == "water resistance" and "yes" in vals:
            parts.append("a water-resistant version")
        else:
            parts.append(f"{key} {_join(vals)}")
    return "Available in " + "; ".join(parts) + "."


def _extra(name: str, values: dict[str, list[str]]) -> str:
    if name == "Hiking Boots":
        return (
            " The waterproof leather models keep your feet dry on wet trails,"
            " with grippy lug soles for mud and rock."
        )
    if "color" in values:
        return f" Pick the colour that suits you: {_join(values['color'])}."
    return ""


def describe(product: dict[str, Any], variants: list[dict[str, Any]]) -> str:
    name = product["name"]
    use = USES[name]
    values = _option_values(variants)
    template = TEMPLATES[_digest(product["product_id"], "tpl") % len(TEMPLATES)]
    text = template.format(
        name=name,
        lname=name.lower(),
        use=use,
        a_use=use,
        options_sentence=_options_sentence(values),
        stock_sentence=f"{len(variants)} variants to choose from.",
    )
    return text + _extra(name, values)


def stock_for(item_id: str, available: bool) -> int:
    if not available:
        return 0
    roll = _digest(item_id, "stock") % 100
    if roll < 8:
        return 1 + roll % 3  # a few nearly sold-out variants
    return _digest(item_id, "qty") % 41


def price_minor(price: float, category: str) -> int:
    cents = round(price * 100)
    return round(cents * MARKDOWN) if category == MARKDOWN_CATEGORY else cents


def svg(product_id: str, name: str) -> str:
    colour = COLOURS[_digest(product_id, "colour") % len(COLOURS)]
    label = html.escape(name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">'
        f'<rect width="400" height="400" rx="24" fill="{colour}"/>'
        '<circle cx="200" cy="160" r="70" fill="#ffffff" fill-opacity="0.18"/>'
        f'<text x="200" y="300" font-family="Helvetica, Arial, sans-serif" font-size="30" fill="#ffffff" '
        f'text-anchor="middle">{label}</text></svg>\n'
    )


def build_product(product: dict[str, Any]) -> dict[str, Any]:
    name = product["name"]
    category = CATEGORIES[name]
    raw_variants = sorted(product["variants"].values(), key=lambda v: v["item_id"])
    values = _option_values(raw_variants)
    attributes: dict[str, Any] = {"source": "tau2-bench retail", "option_names": list(values)}
    if category == MARKDOWN_CATEGORY:
        attributes["seasonal_markdown_percent"] = 20
    return {
        "id": product["product_id"],
        "title": name,
        "description": describe(product, raw_variants),
        "brand": None,
        "category": category,
        "attributes": attributes,
        "image_url": f"/static/products/{product['product_id']}.svg",
        "currency": "USD",
        "variants": [
            {
                "sku": v["item_id"],
                "options": v["options"],
                "price_minor": price_minor(v["price"], category),
                "stock": stock_for(v["item_id"], bool(v["available"])),
            }
            for v in raw_variants
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    data = json.loads(args.source.read_text())
    products = sorted(data["products"].values(), key=lambda p: p["product_id"])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    SVG_DIR.mkdir(parents=True, exist_ok=True)
    with (OUT_DIR / "catalog.jsonl").open("w") as out:
        for product in products:
            out.write(json.dumps(build_product(product), ensure_ascii=False) + "\n")
            (SVG_DIR / f"{product['product_id']}.svg").write_text(svg(product["product_id"], product["name"]))
    licence = args.source.parent / "LICENSE"
    if licence.exists():
        shutil.copyfile(licence, OUT_DIR / "LICENSE")


if __name__ == "__main__":
    main()
